"""The evidence of one item as a reviewer reads it, and last cycle's carried forward."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from review import carry
from review.access import Actor
from review.db import Cycle
from review.evidence import EvidenceFile
from review.rubrics import Item, Rubric
from ui import context
from ui.components import evidence_view
from ui.guard import act


def linked(
    files: Sequence[EvidenceFile],
    item: Item,
    actor: Actor,
    cycle: Cycle,
    *,
    key: str,
    empty: str | None = None,
) -> None:
    """The files linked to `item`, each previewed once opened; `empty` is said when none is."""
    shown = [f for f in files if item.id in f.items]
    for file in shown:
        evidence_view.show(file, actor, cycle, key=key)
    if not shown and empty:
        st.caption(empty)


def carry_forward(
    earlier: Cycle, item: Item, actor: Actor, cycle: Cycle, rubric: Rubric, *, district_id: int
) -> None:
    """Last cycle's narrative and evidence of `item`, following the rubric's crosswalk."""
    if not st.button(f"Carry forward from {earlier.name}", key=f"carry_{item.id}"):
        return
    st.session_state.pop(f"self_version_{item.id}", None)
    st.session_state.pop(f"self_narrative_{item.id}", None)
    act(
        lambda s: carry.carry_forward(
            s,
            context.settings(),
            actor,
            context.catalogue(),
            cycle,
            rubric,
            district_id=district_id,
            item_id=item.id,
        ),
        done=lambda r: f"Carried forward the narrative and {r[1]} evidence file(s).",
        rerun=True,
    )
