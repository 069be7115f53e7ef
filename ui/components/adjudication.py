"""A coordinator decides an item as a third reader, or changes a decision already made."""

from __future__ import annotations

import streamlit as st

from review import reconcile
from review.reconcile import Method
from ui.components import descriptors
from ui.components.decision_form import Case, decide, level_form


def show(case: Case) -> None:
    """The adjudication form, once the item has peer levels to decide between."""
    entry, rubric = case.entry, case.rubric
    if entry.needs in (reconcile.INCOMPLETE, reconcile.UNRATED):
        return
    st.markdown("**Adjudicate** (coordinator, as a third reader)")
    decision = entry.decision
    scale = descriptors.level_options(rubric, case.item)[1:]  # every level: no "Not rated"
    current = (
        descriptors.choice_for(rubric, decision.level, decision.not_applicable)
        if decision
        else None
    )
    seen_key = f"recon_seen_{case.slot}"
    expected = st.session_state.get(seen_key, decision.row_version if decision else None)
    choice, why, go = level_form(
        case,
        "adjudicate",
        scale,
        label="Rationale: why this level",
        button="Change the decision" if decision else "Adjudicate",
        index=scale.index(current) if current in scale else None,
    )
    # The version the coordinator saw is the one rendered before this run, so a decision
    # changed meanwhile by someone else is refused instead of silently overwritten.
    st.session_state[seen_key] = decision.row_version if decision else None
    if go:
        level, not_applicable = descriptors.parse_level(rubric, choice)
        decide(
            case,
            case.request(
                Method.ADJUDICATION,
                level=level,
                not_applicable=not_applicable,
                rationale=why,
                expected_version=expected,
            ),
        )
