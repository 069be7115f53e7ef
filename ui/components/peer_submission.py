"""'Submit my ratings of <district>': a reviewer sends its set of peer ratings, or takes it back.

Until submitted, the ratings are drafts no one else sees (`review.peer_sets`).
"""

from __future__ import annotations

import streamlit as st

from review import peer_sets
from review.access import Actor, Phase
from review.db import Cycle, District
from review.rubrics import Rubric
from ui import context
from ui.guard import act
from ui.markup import inert


def show(actor: Actor, cycle: Cycle, rubric: Rubric, district: District, phase: Phase) -> None:
    """The section for `actor`'s district's ratings of `district`."""
    st.subheader(f"Submit my ratings of {inert(district.name)}")
    with context.database().reading() as s:
        mine = peer_sets.rating_set(s, actor, cycle, rubric, district.id)
    st.text(
        f"Your ratings: {peer_sets.SET_LABELS[mine.status]} · {mine.rated} of "
        f"{len(rubric.items)} items rated"
    )
    key = f"peer_set_{district.code}"
    if mine.submitted:
        _submitted(actor, cycle, rubric, district, phase, key)
        return
    st.caption(
        "Your ratings are drafts: no one else sees them, and no flag counts them, until you "
        "submit them. You can withdraw them until reconciliation starts."
    )
    if mine.missing:
        st.text("Still to rate: " + ", ".join(mine.missing))
    if phase not in (Phase.SELF_SUBMITTED, Phase.PEER_REVIEW):
        return
    if st.button("Submit my ratings", key=f"{key}_submit", type="primary"):
        act(
            lambda s: peer_sets.submit_peer_ratings(
                s, actor, cycle, rubric, district_id=district.id, expected=mine.versions
            ),
            done=f"Submitted your ratings of {district.name}.",
            rerun=True,
        )


def _submitted(
    actor: Actor, cycle: Cycle, rubric: Rubric, district: District, phase: Phase, key: str
) -> None:
    if phase != Phase.PEER_REVIEW:
        st.caption("Reconciliation has started: your submitted ratings are locked.")
        return
    st.caption(
        "Submitted: the other reviewers and the coordinators see them. Withdraw them to change "
        "a rating (possible until reconciliation starts)."
    )
    if st.button("Withdraw my ratings", key=f"{key}_withdraw"):
        act(
            lambda s: peer_sets.withdraw_peer_ratings(
                s, actor, cycle, rubric, district_id=district.id
            ),
            done=f"Withdrew your ratings of {district.name}: they are drafts again.",
            rerun=True,
        )
