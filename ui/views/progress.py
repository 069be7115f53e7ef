"""Coordinators: each district's phase, completion per district and reviewer, overdue phases."""

from datetime import date

import streamlit as st

from review.access import DEADLINE_LABELS
from review.progress import cycle_progress
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.components.table import NO_VALUE
from ui.markup import inert

# Fits 1400 px beside the sidebar (a main column of about 936 px) with no sideways scrolling:
# the district is pinned, what is overdue comes next and wraps onto a second line, labels are
# short and their help says the rest.
COLUMNS = {
    "District": st.column_config.TextColumn(width=170, pinned=True),
    "Overdue": st.column_config.TextColumn(
        width=250, help="Phases whose deadline passed while the district was still in them"
    ),
    "Phase": st.column_config.TextColumn(width=140),
    "Self-evaluation": st.column_config.ProgressColumn(
        "Self",
        min_value=0,
        max_value=100,
        format="%d%%",
        width=90,
        help="Share of the items the district has rated in its self-evaluation",
    ),
    "Need evidence": st.column_config.NumberColumn(
        "No evidence", width=85, help="Items that need evidence and have none linked"
    ),
    "Open flags": st.column_config.TextColumn("Flags", width=50, help="Open flags"),
    "Peer ratings": st.column_config.TextColumn(
        "Peers",
        width=145,
        help="How much of the district each reviewing district has rated and submitted",
    ),
}
# A district late in two phases names both on two lines: Streamlit wraps a cell's text only in
# rows taller than 4rem (64 px).
ROW_HEIGHT = 66
HEADER_HEIGHT = 38


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
                "Overdue": "; ".join(r.overdue) or NO_VALUE,
                "Phase": r.phase,
                "Self-evaluation": r.self_percent,
                "Need evidence": r.evidence_missing,
                "Open flags": NO_VALUE if r.open_flags is None else r.open_flags,
                "Peer ratings": ", ".join(f"{k} {v}%" for k, v in r.reviewer_percent.items()),
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
        column_config=COLUMNS,
        row_height=ROW_HEIGHT,
        height=HEADER_HEIGHT + ROW_HEIGHT * len(rows),  # every district, no inner scrolling
    )


def _deadlines(deadlines: dict[str, str]) -> list[str]:
    return [f"{label} {deadlines[p]}" for p, label in DEADLINE_LABELS.items() if p in deadlines]
