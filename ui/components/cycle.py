"""The review cycle: picked in the sidebar once per run, then given to the page with its rubric."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import select

from review.db import Cycle
from review.rubrics import Rubric
from ui import context, state

# The cycle the sidebar loaded in this run; written on every run, before the page runs, so a
# page reads it without a second query and never sees a cycle from an earlier run.
_OF_THIS_RUN = "cycle_of_this_run"


def picker() -> None:
    """The sidebar's cycle picker (the newest cycle until someone picks another)."""
    with context.database().reading() as session:
        cycles = {c.name: c for c in session.scalars(select(Cycle).order_by(Cycle.name.desc()))}
    chosen = None
    if cycles:
        names = list(cycles)
        if (wanted := st.session_state.pop(state.CYCLE_CHOSEN, None)) in names:
            st.session_state[state.CYCLE_PICKER] = wanted
        if st.session_state.get(state.CYCLE_PICKER) not in names:
            remembered = state.cycle_name()
            st.session_state[state.CYCLE_PICKER] = remembered if remembered in names else names[0]
        chosen = st.selectbox("Review cycle", names, key=state.CYCLE_PICKER)
        st.session_state[state.CYCLE] = chosen
    else:
        st.info("No review cycle yet.")
    st.session_state[_OF_THIS_RUN] = cycles.get(chosen) if chosen else None


def current() -> tuple[Cycle, Rubric]:
    """The sidebar's cycle; stops the page with a hint when there is none."""
    cycle = st.session_state.get(_OF_THIS_RUN)
    if not isinstance(cycle, Cycle):
        st.info("There is no review cycle yet. A coordinator creates one under Cycle setup.")
        st.stop()
    assert isinstance(cycle, Cycle)
    return cycle, context.rubric_of(cycle)
