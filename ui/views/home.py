"""My work: what the signed-in person has to do in the current cycle."""

from datetime import date

import streamlit as st

from review.todo import todo
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.components import todo_list
from ui.markup import inert


def render() -> None:
    actor = state.signed_in()
    st.title("My work")
    if context.settings().database_url.endswith("data/review.db"):
        st.caption("Fictional demo network: every district, person and document here is synthetic.")
    cycle, rubric = cycle_picker.current()
    with context.database().reading() as s:
        tasks = todo(s, actor, cycle, rubric, date.today())
    st.caption(inert(f"Cycle {cycle.name} · rubric {rubric.title} ({rubric.key})"))
    todo_list.show(tasks)
