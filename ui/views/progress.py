"""Coordinators: each district's phase, completion per district and reviewer, overdue phases."""

from datetime import date

import streamlit as st

from review.access import DEADLINE_LABELS
from review.progress import cycle_progress
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.markup import inert

# Fits 1400 px beside the sidebar: district, phase and what is overdue come first and stay.
COLUMNS = {
    "District": st.column_config.TextColumn(width=175, pinned=True),
    "Overdue": st.column_config.TextColumn(
        width=300, help="Phases whose deadline passed while the district was still in them"
    ),
    "Phase": st.column_config.TextColumn(width=165),
    "Self-evaluation": st.column_config.ProgressColumn(
        "Self-evaluation", min_value=0, max_value=100, format="%d%%", width=100
    ),
    "Need evidence": st.column_config.NumberColumn(
        "Evidence", width=65, help="Items that need evidence and have none linked"
    ),
    "Open flags": st.column_config.TextColumn("Flags", width=50, help="Open flags"),
    "Peer ratings": st.column_config.TextColumn(
        width=140, help="How much of the district each reviewing district has rated"
    ),
}


def render() -> None:
    actor = state.signed_in()
    st.title("Progress")
    cycle, rubric = cycle_picker.current()
    with context.database().reading() as s:
        rows = cycle_progress(s, actor, cycle, rubric, date.today())
    st.caption(
        f"Cycle {inert(cycle.name)} · {len(rubric.items)} items · deadlines: "
        + (", ".join(_deadlines(cycle.deadlines)) or "none set")
    )
    if not rows:
        st.info("No districts in this cycle yet: define triads under Cycle setup.")
        st.stop()
    st.dataframe(
        [
            {
                "District": f"{r.code} · {r.name}",
                "Overdue": "; ".join(r.overdue) or "–",
                "Phase": r.phase,
                "Self-evaluation": r.self_percent,
                "Need evidence": r.evidence_missing,
                "Open flags": "–" if r.open_flags is None else r.open_flags,
                "Peer ratings": ", ".join(f"{k} {v}%" for k, v in r.reviewer_percent.items()),
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
        column_config=COLUMNS,
    )


def _deadlines(deadlines: dict[str, str]) -> list[str]:
    return [f"{label} {deadlines[p]}" for p, label in DEADLINE_LABELS.items() if p in deadlines]
