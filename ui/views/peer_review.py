"""Peer reviewers: read an assigned district's self-evaluation and evidence, then rate it."""

import streamlit as st

from review import evidence, overview, ratings
from review.access import PHASE_LABELS, Actor, Phase
from review.db import Cycle, District, Rating
from review.rubrics import Item, Rubric
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.components import (
    descriptors,
    district_picker,
    district_view,
    item_evidence,
    item_overview,
    item_picker,
    offline_peer,
    peer_submission,
    questions,
    rating_form,
)
from ui.markup import inert


def render() -> None:
    actor = state.signed_in()
    st.title("Rate a district")
    state.show_flash()
    reviewer = state.own_district(actor)
    cycle, rubric = cycle_picker.current()
    district, part = district_picker.pick(actor, cycle, key="peer_district")
    phase, code = Phase(part.phase), district.code
    with context.database().reading() as s:
        lines = overview.peer_overview(s, actor, cycle, rubric, district.id)
        files = evidence.evidence_for(s, actor, cycle, district.id)

    rated = sum(line.rated for line in lines)
    st.caption(f"{PHASE_LABELS[phase]} · you have rated {rated} of {len(lines)} items")
    district_view.figures(district.enrollment, context.school_counts(cycle).get(code))
    if phase == Phase.DRAFT:
        st.info(
            f"{inert(district.name)} has not submitted its self-evaluation yet; you can read "
            "what is there, and rate once it is submitted."
        )
    picker = f"peer_item_{code}"
    status = item_overview.peer_status
    item_overview.show(rubric, lines, picker=picker, status=status, level="Your level")
    item = item_picker.pick(rubric, key=picker, status={x.item_id: status(x) for x in lines})
    descriptors.show(rubric, item)
    own, row = _ratings(actor, cycle, district, reviewer, item)
    district_view.self_rating(rubric, item, own, name=district.name, enrollment=district.enrollment)
    item_evidence.linked(files, item, actor, cycle, key="peer")
    open_for_rating = phase in (Phase.SELF_SUBMITTED, Phase.PEER_REVIEW)
    rating_form.show(
        rubric, item, row, _form(actor, cycle, rubric, district, item, open_for_rating)
    )
    peer_submission.show(actor, cycle, rubric, district, phase)
    offline_peer.show(actor, cycle, rubric, district, phase)
    questions.ask(actor, cycle, district.id, item, scope=f"{code}_{item.id}")


def _ratings(
    actor: Actor, cycle: Cycle, district: District, reviewer: int, item: Item
) -> tuple[Rating | None, Rating | None]:
    """The district's own rating of `item` and the reviewer's."""
    with context.database().reading() as s:
        rows = ratings.read_ratings(
            s, actor, cycle, district.id, raters={district.id, reviewer}, item_id=item.id
        )
    by_rater = {r.rater_district_id: r for r in rows}
    return by_rater.get(district.id), by_rater.get(reviewer)


def _form(
    actor: Actor, cycle: Cycle, rubric: Rubric, district: District, item: Item, editable: bool
) -> rating_form.Form:
    """The reviewer's rating of `item`, saved as a whole with the form's button."""
    return rating_form.Form(
        prefix="peer",
        scope=f"{district.code}_{item.id}",
        owner=f"{actor.user_id}:{cycle.id}:{district.id}",
        text_field="rationale",
        text_label="Rationale: why this level, citing the evidence",
        save=lambda s, data, expected: ratings.save_peer_rating(
            s,
            actor,
            cycle,
            rubric,
            district_id=district.id,
            item_id=item.id,
            data=data,
            expected_version=expected,
        ),
        suggestions=True,
        editable=editable,
    )
