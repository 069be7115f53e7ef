"""My work: what the signed-in person has to do in the current cycle."""

from datetime import date

import streamlit as st

from review import scope
from review.access import Action, Role
from review.db import District
from review.progress import cycle_progress
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.markup import inert


def render() -> None:
    actor = state.signed_in()
    st.title("My work")
    st.caption(
        "Fictional demo network: every district, person and document here is synthetic."
        if context.settings().database_url.endswith("data/review.db")
        else ""
    )
    cycle, rubric = cycle_picker.current()
    today, own_id = date.today(), actor.district_id
    with context.database().reading() as s:
        rows = {p.code: p for p in cycle_progress(s, actor, cycle, rubric, today)}
        own = s.get(District, own_id) if own_id else None
        reviewing = [d.code for d, _ in scope.districts(s, actor, cycle, Action.RATE_PEER)]
    st.write(f"Cycle **{inert(cycle.name)}**, rubric {inert(rubric.title)} ({inert(rubric.key)}).")

    if actor.has(Role.DISTRICT_EDITOR) and own is not None and own.code in rows:
        mine = rows[own.code]
        with st.container(border=True):
            st.subheader(f"Your district: {inert(own.name)}")
            st.write(
                f"{mine.phase} · {mine.self_percent}% of items rated · "
                f"{mine.evidence_missing} item(s) still need evidence"
            )
            st.page_link(
                "ui/pages/self_evaluation.py",
                label="Open the self-evaluation",
                icon=":material/edit_note:",
            )
    if actor.has(Role.PEER_REVIEWER) and reviewing:
        with st.container(border=True):
            st.subheader("Districts you review")
            for code in reviewing:
                row = rows[code]
                done = row.reviewer_percent.get(own.code if own else "", 0)
                st.write(f"**{inert(row.name)}** · {row.phase} · you have rated {done}%")
            st.page_link(
                "ui/pages/peer_review.py", label="Rate a district", icon=":material/rate_review:"
            )
    if actor.has(Role.COORDINATOR):
        with st.container(border=True):
            st.subheader("Network")
            late = sum(1 for r in rows.values() if r.overdue)
            st.write(f"{len(rows)} districts in this cycle · {late} with overdue phases")
            st.page_link(
                "ui/pages/progress.py", label="Progress dashboard", icon=":material/monitoring:"
            )
    if actor.roles == frozenset({Role.OBSERVER}):
        st.info("Finalized review packets will appear here once districts are final.")
