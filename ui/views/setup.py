"""Coordinators: cycles, districts, triads (typed or uploaded) and user accounts."""

import streamlit as st

from ui import state
from ui.components import (
    index_import,
    setup_accounts,
    setup_cycle,
    setup_deadlines,
    setup_districts,
    setup_triads,
)


def render() -> None:
    actor = state.signed_in()
    st.title("Cycle setup")
    state.show_flash()
    tab_cycle, tab_districts, tab_triads, tab_index, tab_users = st.tabs(
        ["Cycle", "Districts", "Triads", "Index results", "Users"],
        # Keyed and tracked, so a rerun that changes what is above the tabs (a message shown
        # once) keeps the tab the coordinator is working in.
        key="setup_tab",
        on_change="rerun",
    )
    with tab_cycle:
        setup_cycle.create(actor)
        current = setup_cycle.chosen()
        if current is not None:
            setup_deadlines.show(actor, current)
    with tab_districts:
        setup_districts.show(actor, current)
    with tab_triads:
        if current is None:
            setup_cycle.missing()
        else:
            setup_triads.show(actor, current)
    with tab_index:
        if current is None:
            setup_cycle.missing()
        else:
            index_import.show(actor, current)
    with tab_users:
        setup_accounts.show(actor)
