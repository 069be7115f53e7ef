"""What a reviewer reads of a district beside the rubric: its size, its own rating of an item."""

from __future__ import annotations

import streamlit as st

from review.db import Rating
from review.figures import per_thousand, written
from review.index.counts import district_figures, shown
from review.index.models import SchoolCounts
from review.rubrics import Item, Rubric
from ui.components import descriptors
from ui.markup import inert


def figures(enrollment: int, counts: SchoolCounts | None) -> None:
    """The district's size, and its schools as the cycle's index data counts them."""
    found = district_figures(counts)
    columns = st.columns(1 + len(found))
    columns[0].metric("Students", f"{enrollment:,}")
    for column, (label, n) in zip(columns[1:], found.items(), strict=True):
        column.metric("Schools" if label == "schools" else f"{label.title()} schools", shown(n))
    st.caption(
        f"Schools from the cycle's index data for {counts.year}."
        if counts is not None
        else "Schools: the cycle's index data for this district is not imported yet."
    )


def self_rating(
    rubric: Rubric, item: Item, own: Rating | None, *, name: str, enrollment: int
) -> None:
    """The district's self-rating of `item`: level, narrative and the measures it reported."""
    st.subheader(f"{inert(name)}'s self-evaluation")
    if own is None:
        st.caption("Not rated by the district yet.")
        return
    st.markdown(f"Self level: **{descriptors.choice_for(rubric, own.level, own.not_applicable)}**")
    st.text(own.narrative or "(no narrative)")
    for measure in item.context_measures:
        value = own.context_values.get(measure.id)
        if value is not None:
            rate = per_thousand(value, enrollment)
            st.metric(measure.label, written(value), help="as reported by the district")
            if rate is not None:
                st.caption(f"{written(rate)} per 1,000 students")


def peer_ratings(rubric: Rubric, item: Item, peers: list[Rating]) -> None:
    """The peers' ratings of `item` (the domain returns them only once the cycle releases them)."""
    if not peers:
        return
    st.subheader("Peer ratings")
    for peer in (p for p in peers if p.item_id == item.id):
        st.markdown(f"Level **{rubric.label(peer.level)}**")
        st.text(peer.narrative)
