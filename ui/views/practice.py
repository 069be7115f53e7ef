"""Practice library: what districts did at the top level, to learn from one another.

Narratives, rationales and suggestions are shown as plain text, exactly as written.
"""

import streamlit as st

from ui import state
from ui.components import cycle as cycle_picker
from ui.components import practice_entry, practice_filters


def render() -> None:
    actor = state.signed_in()
    st.title("Practice library")
    st.caption(
        "Items decided at the top level of the rubric, with the district's narrative, why the "
        "level was decided, the evidence, and the peers' notes once the cycle releases them."
    )
    cycle, rubric = cycle_picker.current()
    search = practice_filters.choose(rubric)
    found = practice_filters.find(actor, cycle, search)
    st.caption(f"{len(found)} practice(s) found.")
    for number, practice in enumerate(found):
        practice_entry.show(number, practice)
