"""The district being reconciled: one the reader reviews, or any for a coordinator."""

from __future__ import annotations

import streamlit as st

from review import scope
from review.access import PHASE_LABELS, Action, Actor, Phase
from review.cycles import participants
from review.db import Cycle, District
from ui import context
from ui.components import item_picker
from ui.markup import inert


def pick(actor: Actor, cycle: Cycle) -> tuple[District, Phase]:
    """The chosen district with its phase; a `?district=CODE` link chooses it the first time.

    Says why a district asked for in the address cannot be reconciled, and stops the page with
    a hint when the reader may reconcile none in `cycle`.
    """
    with context.database().reading() as s:
        allowed = {
            d.code: (d, Phase(p.phase))
            for d, p in scope.districts(s, actor, cycle, Action.RECONCILE)
        }
    asked = st.query_params.get("district")
    if asked and asked not in allowed:
        _refuse(actor, cycle, asked)
    if not allowed:
        st.info(
            f"You review no district in cycle {inert(cycle.name)}, so there is nothing to "
            "reconcile."
        )
        st.stop()
    code = item_picker.choose(
        "District",
        sorted(allowed),
        key="recon_district",
        format_func=lambda c: f"{c} · {allowed[c][0].name}",
        default=asked if asked in allowed else _first_to_settle(allowed),
    )
    district, phase = allowed[code]
    st.caption(f"Cycle {inert(cycle.name)} · {inert(district.name)} · {PHASE_LABELS[phase]}")
    return district, phase


def _first_to_settle(allowed: dict[str, tuple[District, Phase]]) -> str | None:
    """Where the reader's work is: the first district in reconciliation, else in peer review."""
    for phase in (Phase.RECONCILIATION, Phase.PEER_REVIEW):
        waiting = sorted(code for code, (_, p) in allowed.items() if p == phase)
        if waiting:
            return waiting[0]
    return None


def _refuse(actor: Actor, cycle: Cycle, asked: str) -> None:
    with context.database().reading() as s:
        everyone = participants(s, cycle)
    own = any(d.code == asked and d.id == actor.district_id for d, _ in everyone)
    st.error(
        f"You cannot reconcile district {inert(asked)}: a district never reconciles its own "
        "ratings."
        if own
        else f"You cannot reconcile district {inert(asked)} in cycle {inert(cycle.name)}: "
        "only its peer reviewers and the coordinators can see its peer ratings."
    )
