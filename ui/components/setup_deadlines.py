"""Cycle setup, the chosen cycle's deadlines and whether districts may read their peer ratings."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session

from review import cycles
from review.access import DEADLINE_LABELS, Actor, Phase
from review.db import Cycle
from ui.guard import act
from ui.markup import inert

PHASES = (Phase.DRAFT, Phase.PEER_REVIEW, Phase.RECONCILIATION)


def show(actor: Actor, current: Cycle) -> None:
    """The cycle's pinned rubric, then its deadlines and release in one form."""
    st.markdown(
        f"**Cycle {inert(current.name)}** · rubric {current.rubric_id}@"
        f"{current.rubric_version} (pinned, hash {current.rubric_hash[:12]}…)"
    )
    # The version these fields were filled from: a save over someone else's change since then
    # is refused, not silently applied.
    version_key = f"cycle_version_{current.name}"
    shown = st.session_state.setdefault(version_key, current.row_version)
    # Keys name the cycle and that version: a widget with a key keeps what it holds when its
    # default changes, so shared keys would carry one cycle's dates into another's form.
    prefix = f"cycle_{current.name}_v{shown}"
    with st.form("deadlines"):
        dates = {
            p.value: st.text_input(
                f"Deadline: {DEADLINE_LABELS[p]}",
                value=current.deadlines.get(p.value, ""),
                placeholder="YYYY-MM-DD",
                key=f"{prefix}_deadline_{p.value}",
            )
            for p in PHASES
        }
        released = st.checkbox(
            "Districts may read the peer ratings of their own district",
            value=current.released,
            key=f"{prefix}_released",
        )
        if st.form_submit_button("Save deadlines and release"):
            act(
                lambda s: _save(s, actor, current.name, dates, released, shown),
                done="Saved.",
            )
            # Saved or refused (their settings shown), the next save starts from the version
            # stored now.
            st.session_state.pop(version_key, None)


def _save(
    s: Session, actor: Actor, name: str, dates: dict[str, str], released: bool, version: int
) -> None:
    cycles.update_cycle(
        s,
        actor,
        cycles.get_cycle(s, name),
        expected_version=version,
        deadlines={k: v for k, v in dates.items() if v},
        released=released,
    )
