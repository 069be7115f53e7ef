"""Each district's School Quality Improvement Index summary beside its review."""

import streamlit as st

from review import scope
from review.access import Action
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.components import index_summary
from ui.markup import inert


def render() -> None:
    actor = state.signed_in()
    st.title("Index summary")
    cycle, _ = cycle_picker.current()
    with context.database().reading() as s:
        codes = [d.code for d, _ in scope.districts(s, actor, cycle, Action.READ_INDEX)]
    if not codes:
        st.info("There is no district to show for this cycle.")
        st.stop()
    code = st.selectbox("District", codes, key="index_district")
    summary = context.district_summary(cycle, code)
    if summary is None:
        st.info(
            f"Cycle {inert(cycle.name)} has no index results for district {code} yet. A "
            "coordinator imports them with `python -m review index import`."
        )
        st.stop()
    index_summary.show(summary, key=f"index_{code}")
