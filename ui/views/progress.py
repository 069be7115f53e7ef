"""Coordinators: each district's phase, completion per district and reviewer, overdue phases."""

from datetime import date

import streamlit as st

from review.progress import cycle_progress
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.markup import inert


def render() -> None:
    actor = state.signed_in()
    st.title("Progress")
    cycle, rubric = cycle_picker.current()
    with context.database().reading() as s:
        rows = cycle_progress(s, actor, cycle, rubric, date.today())
    st.caption(
        f"Cycle {inert(cycle.name)} · {len(rubric.items)} items · deadlines: "
        + (", ".join(f"{k} {v}" for k, v in sorted(cycle.deadlines.items())) or "none set")
    )
    if not rows:
        st.info("No districts in this cycle yet: define triads under Cycle setup.")
        st.stop()
    st.dataframe(
        [
            {
                "District": f"{r.code} · {r.name}",
                "Phase": r.phase,
                "Self-evaluation %": r.self_percent,
                "Items needing evidence": r.evidence_missing,
                "Open flags": "–" if r.open_flags is None else r.open_flags,
                "Peer review %": ", ".join(f"{k} {v}%" for k, v in r.reviewer_percent.items()),
                "Overdue": "; ".join(r.overdue),
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "Self-evaluation %": st.column_config.ProgressColumn(
                "Self-evaluation %", min_value=0, max_value=100, format="%d%%"
            )
        },
    )
