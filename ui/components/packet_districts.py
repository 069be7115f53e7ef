"""The districts whose packets the reader may open, and the one (or all) they choose."""

from __future__ import annotations

import streamlit as st

from review import scope
from review.access import PHASE_LABELS, Action, Actor, Phase
from review.db import Cycle, District
from ui import context

ALL = "ALL"


def readable(actor: Actor, cycle: Cycle) -> dict[str, tuple[District, Phase]]:
    """Each district the reader may read the final review of, by code, with its phase; stops
    the page with a hint when there is none yet."""
    with context.database().reading() as s:
        found = {
            d.code: (d, Phase(p.phase))
            for d, p in scope.districts(s, actor, cycle, Action.READ_FINAL)
        }
    if not found:
        st.info(
            "No packet is available to you yet: a district's packet opens to it once the "
            "district's review is final."
        )
        st.stop()
    return found


def choose(readable: dict[str, tuple[District, Phase]]) -> str:
    """A district's code, or `ALL` (offered when there is more than one)."""
    options = [ALL, *readable] if len(readable) > 1 else list(readable)
    code: str = st.selectbox(
        "District",
        options,
        key="packet_district",
        format_func=lambda c: (
            "All districts"
            if c == ALL
            else f"{c} · {readable[c][0].name} ({PHASE_LABELS[readable[c][1]]})"
        ),
    )
    return code
