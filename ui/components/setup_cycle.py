"""Cycle setup, the cycle itself: open a new cycle, and the cycle the other tabs work on."""

from __future__ import annotations

import streamlit as st

from review import cycles
from review.access import Actor
from review.db import Cycle
from ui import context, state
from ui.guard import act


def chosen() -> Cycle | None:
    """The cycle chosen in the sidebar, read afresh; None before any cycle exists."""
    with context.database().reading() as s:
        name = state.cycle_name()
        return cycles.get_cycle(s, name) if name else None


def missing() -> None:
    """What a tab that works on a cycle says when there is none."""
    st.info("Create or choose a cycle first.")


def create(actor: Actor) -> None:
    """The form that opens a new cycle on a rubric version; the new cycle is then chosen."""
    with st.form("new_cycle"):
        st.markdown("**Open a new cycle**")
        name = st.text_input("Name (school year)", placeholder="2016-17", key="cycle_name")
        keys = [r.key for r in context.rubric_versions()]
        rubric_key = st.selectbox("Rubric version", keys, index=len(keys) - 1, key="cycle_rubric")
        spec = st.text_input("Index specification", value="core-sqii@2016-17", key="cycle_spec")
        if st.form_submit_button("Create cycle"):
            created = act(
                lambda s: cycles.create_cycle(
                    s,
                    actor,
                    context.catalogue(),
                    name=name,
                    rubric_key=rubric_key,
                    index_spec=spec.strip() or None,
                )
            )
            if created is not None:
                state.choose_cycle(created.name)
                state.flash(f"Cycle {created.name} created; now define its triads.")
                st.rerun()
