"""What an item is decided from: its open flags, the self-rating and each peer rating with
their rationales, and the evidence linked to it."""

from __future__ import annotations

import streamlit as st

from review import evidence, reconcile
from ui import context
from ui.components import evidence_view, reconcile_queue
from ui.components.decision_form import Case
from ui.components.descriptors import short_level
from ui.markup import inert


def flags(case: Case) -> None:
    """Each open flag, and a calibration review that holds the item."""
    entry = case.entry
    for flag in entry.flags:
        st.warning(f"⚑ {reconcile.RULE_LABELS.get(flag.rule, flag.rule)}: {inert(flag.detail)}")
    if entry.calibration is not None:
        st.warning(
            "This item is under calibration review; no district can be finalized until it is "
            "resolved."
        )
        st.text(entry.calibration.reason)


def ratings(case: Case) -> None:
    """The self-rating and the peer ratings side by side, each with its rationale."""
    entry = case.entry
    st.markdown("#### Ratings")
    columns = st.columns(1 + len(entry.peer_ratings))
    with columns[0], st.container(border=True):
        st.markdown(f"**Self-rating: {short_level(entry.self_level)}**")
        st.text(entry.self_rating.rationale if entry.self_rating else "(not rated)")
    for column, rating in zip(columns[1:], entry.peer_ratings, strict=True):
        with column, st.container(border=True):
            st.markdown(f"**Peer {rating.rater}: {reconcile_queue.rated(rating)}**")
            st.text(rating.rationale or "(no rationale)")
            if rating.suggestions:
                st.caption("Suggestions")
                st.text(rating.suggestions)


def linked_evidence(case: Case) -> None:
    """The files linked to the item, each with its preview and Download button."""
    if not case.entry.evidence:
        return
    st.markdown("#### Evidence")
    with context.database().reading() as s:
        files = {
            f.id: f for f in evidence.evidence_for(s, case.actor, case.cycle, case.district.id)
        }
    for summary in case.entry.evidence:
        evidence_view.show(
            files[summary.evidence_id], case.actor, case.cycle, key=f"recon_{case.slot}"
        )
