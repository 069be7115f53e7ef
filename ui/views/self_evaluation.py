"""District editors: rate each item, write the narrative, attach evidence, submit."""

from dataclasses import dataclass

import streamlit as st
from sqlalchemy.orm import Session

from review import carry, evidence, overview, ratings, scope
from review.access import PHASE_LABELS, Action, Actor, Phase
from review.db import Cycle, District, Participation, Rating
from review.evidence import EvidenceFile
from review.overview import ItemLine
from review.rubrics import Item, Rubric
from ui import context, state
from ui.components import cycle as cycle_picker
from ui.components import (
    descriptors,
    district_view,
    evidence_manager,
    item_evidence,
    item_overview,
    item_picker,
    offline_workbook,
    questions,
    rating_form,
    self_submit,
)
from ui.markup import inert

PICKER = "self_item"


@dataclass(frozen=True)
class _District:
    """What the page shows of the editor's district, read afresh on every rerun."""

    district: District
    part: Participation
    lines: list[ItemLine]
    own: dict[str, Rating]  # self-ratings by item
    peers: list[Rating]
    files: list[EvidenceFile]
    earlier: Cycle | None


def _read(s: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int) -> _District:
    district, part = scope.district(s, actor, cycle, Action.READ_DISTRICT, district_id)
    rows = ratings.read_ratings(s, actor, cycle, district_id)
    return _District(
        district=district,
        part=part,
        lines=overview.self_overview(s, actor, cycle, rubric, district_id),
        own={r.item_id: r for r in rows if r.source == ratings.SELF},
        peers=[r for r in rows if r.source == ratings.PEER],
        files=evidence.evidence_for(s, actor, cycle, district_id),
        earlier=carry.previous_cycle(s, cycle),
    )


def render() -> None:
    actor = state.signed_in()
    own_id = state.own_district(actor)
    cycle, rubric = cycle_picker.current()
    with context.database().reading() as s:
        shown = _read(s, actor, cycle, rubric, own_id)
    district, lines, editable = shown.district, shown.lines, shown.part.phase == Phase.DRAFT

    st.title(f"Self-evaluation · {inert(district.name)}")
    state.show_flash()
    rated = sum(line.rated for line in lines)
    st.caption(
        f"Cycle {inert(cycle.name)} · rubric {rubric.key} · {PHASE_LABELS[Phase(shown.part.phase)]}"
    )
    st.progress(rated / len(lines), text=f"{rated} of {len(lines)} items rated")
    item_overview.show(rubric, lines, picker=PICKER, status=item_overview.self_status)
    item = item_picker.pick(
        rubric, key=PICKER, status={x.item_id: item_overview.self_status(x) for x in lines}
    )
    descriptors.show(rubric, item)
    rating_form.show(rubric, item, shown.own.get(item.id), _form(actor, cycle, rubric, shown, item))

    _evidence(actor, cycle, rubric, shown, item, editable)
    questions.answer(actor, cycle, district.id, item)
    district_view.peer_ratings(rubric, item, shown.peers)
    st.divider()
    self_submit.show(
        actor, cycle, rubric, lines, district_id=district.id, editable=editable, picker=PICKER
    )
    offline_workbook.show(actor, cycle, rubric, district.id, editable=editable)


def _evidence(
    actor: Actor, cycle: Cycle, rubric: Rubric, shown: _District, item: Item, editable: bool
) -> None:
    """The item's files to manage and upload, and last cycle's to carry forward."""
    district_id = shown.district.id
    evidence_manager.show(
        actor,
        cycle,
        rubric,
        district_id=district_id,
        item=item,
        files=shown.files,
        editable=editable,
    )
    if editable and shown.earlier is not None:
        item_evidence.carry_forward(
            shown.earlier, item, actor, cycle, rubric, district_id=district_id
        )


def _form(
    actor: Actor, cycle: Cycle, rubric: Rubric, shown: _District, item: Item
) -> rating_form.Form:
    """The self-rating of `item`: saved as a draft on every change while the district edits."""
    district = shown.district
    return rating_form.Form(
        prefix="self",
        scope=item.id,
        owner=f"{actor.user_id}:{cycle.id}:{district.id}",
        text_field="narrative",
        text_label="Narrative: what the district did, and what the evidence shows",
        save=lambda s, data, expected: ratings.save_self_rating(
            s,
            actor,
            cycle,
            rubric,
            district_id=district.id,
            item_id=item.id,
            data=data,
            expected_version=expected,
        ),
        autosave=True,
        editable=shown.part.phase == Phase.DRAFT,
        measure_help=f"Read per 1,000 students: {district.enrollment:,} enrolled.",
    )
