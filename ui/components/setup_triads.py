"""Cycle setup, the triads: who reviews whom in the cycle, typed or uploaded."""

from __future__ import annotations

import streamlit as st

from review import cycles, roster
from review.access import Actor
from review.db import Cycle
from ui import context
from ui.components import triads as triad_table
from ui.guard import act, shown_errors
from ui.markup import inert


def show(actor: Actor, cycle: Cycle) -> None:
    """The Triads tab: the cycle's triads, then a way to replace them."""
    with context.database().reading() as s:
        members = cycles.triads(s, actor, cycle)
    triad_table.show(members, cycle.name)
    st.markdown(
        f"**Change the triads of cycle {inert(cycle.name)}**: one per line, "
        "`Name: CODE, CODE, CODE`"
    )
    text = st.text_area("Triads", key="triads_text", placeholder="North: ALV, CPU, FHU")
    upload = st.file_uploader(
        "Or upload triads (CSV or XLSX with columns triad, district_code)",
        type=["csv", "xlsx"],
        key="triads_file",
    )
    if not st.button("Save triads", key="save_triads"):
        return
    triads = {}
    with shown_errors():
        triads = (
            roster.parse_triads(upload.getvalue(), upload.name)
            if upload
            else roster.parse_triad_text(text)
        )
    if triads:
        act(
            lambda s: cycles.define_triads(s, actor, cycles.get_cycle(s, cycle.name), triads),
            done=lambda made: f"Saved {len(triads)} triad(s) and {len(made)} assignments.",
            rerun=True,
        )
