"""The district a reviewer rates: one of the districts assigned to them in the cycle."""

from __future__ import annotations

import streamlit as st

from review import scope
from review.access import Action, Actor
from review.db import Cycle, District, Participation
from ui import context
from ui.components import item_picker
from ui.markup import inert


def pick(actor: Actor, cycle: Cycle, *, key: str) -> tuple[District, Participation]:
    """The chosen district with its phase; a `?district=CODE` link chooses it the first time.

    Stops the page with a hint when the reviewer has no district to rate in `cycle`.
    """
    with context.database().reading() as s:
        reviewed = scope.districts(s, actor, cycle, Action.RATE_PEER)
    if not reviewed:
        st.info(f"You have no district to review in cycle {inert(cycle.name)}.")
        st.stop()
    names = {d.code: d.name for d, _ in reviewed}
    asked = st.query_params.get("district")
    if asked and asked not in names:
        st.error(
            f"You are not assigned to review district {inert(asked)} in cycle {inert(cycle.name)}. "
            "Choose one of your assigned districts below."
        )
    code = item_picker.choose(
        "District",
        list(names),
        key=key,
        format_func=lambda c: f"{c} · {names[c]}",
        default=asked if asked in names else None,
    )
    return next((d, p) for d, p in reviewed if d.code == code)
