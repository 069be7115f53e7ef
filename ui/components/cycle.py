"""The cycle chosen in the sidebar, loaded with its rubric."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from review.db import Cycle
from review.rubrics import Rubric
from ui import context, state


def current(session: Session) -> tuple[Cycle, Rubric]:
    """The sidebar's cycle (or the newest); stops the page with a hint when there is none."""
    name = state.cycle_name()
    query = select(Cycle).order_by(Cycle.name.desc()).limit(1)
    if name:
        query = select(Cycle).where(Cycle.name == name)
    cycle = session.scalar(query)
    if cycle is None:
        st.info("There is no review cycle yet. A coordinator creates one under Cycle setup.")
        st.stop()
    assert cycle is not None
    return cycle, context.rubric_of(cycle)
