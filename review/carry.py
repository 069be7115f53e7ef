"""Carry last cycle's narrative and evidence forward to the same item this cycle."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from review import evidence, ratings
from review.access import Actor
from review.db import Blob, Cycle, Evidence, EvidenceLink
from review.errors import NotFound
from review.rubrics import Catalogue, Rubric
from review.settings import Settings


def previous_cycle(session: Session, cycle: Cycle) -> Cycle | None:
    """The latest cycle named before this one (cycle names are school years)."""
    return session.scalar(
        select(Cycle).where(Cycle.name < cycle.name).order_by(Cycle.name.desc()).limit(1)
    )


def previous_item_ids(rubric: Rubric, item_id: str) -> list[str]:
    """Item ids of the earlier version that became `item_id` (through the crosswalk)."""
    renamed = [
        old
        for old, new in (rubric.crosswalk.items.items() if rubric.crosswalk else [])
        if new == item_id
    ]
    return renamed or [item_id]


def carry_forward(
    session: Session,
    settings: Settings,
    actor: Actor,
    catalogue: Catalogue,
    cycle: Cycle,
    rubric: Rubric,
    *,
    district_id: int,
    item_id: str,
) -> tuple[str, int]:
    """Copy last cycle's narrative (level left unset) and evidence into this cycle's draft.

    Returns:
        The narrative carried and the number of evidence files linked.

    Raises:
        NotFound: there is no earlier cycle, or it has nothing for this item.
    """
    earlier = previous_cycle(session, cycle)
    if earlier is None:
        raise NotFound("there is no earlier cycle to carry forward from")
    old_ids = previous_item_ids(rubric, item_id)
    old = [
        r
        for r in ratings.ratings_of(session, earlier, district_id)
        if r.item_id in old_ids and r.source == ratings.SELF and r.narrative
    ]
    files = _old_files(session, earlier, district_id, old_ids)
    if not old and not files:
        raise NotFound(f"cycle {earlier.name} has no narrative or evidence for {item_id}")
    narrative = old[0].narrative if old else ""
    if narrative:
        current = ratings.find_rating(session, cycle, district_id, item_id, district_id)
        data = ratings.RatingInput(
            level=current.level if current else None,
            narrative=narrative,
            suggestions=current.suggestions if current else "",
            context_values=dict(current.context_values) if current else {},
        )
        ratings.save_self_rating(
            session,
            actor,
            cycle,
            rubric,
            district_id=district_id,
            item_id=item_id,
            data=data,
            expected_version=current.row_version if current else None,
        )
    for file, blob in files:
        evidence.add_evidence(
            session,
            settings,
            actor,
            cycle,
            rubric,
            district_id=district_id,
            file_name=file.file_name,
            data=blob.data,
            description=file.description,
            items=(item_id,),
        )
    return narrative, len(files)


def _old_files(
    session: Session, cycle: Cycle, district_id: int, item_ids: list[str]
) -> list[tuple[Evidence, Blob]]:
    rows = session.execute(
        select(Evidence, Blob)
        .join(Blob, Blob.sha256 == Evidence.sha256)
        .join(EvidenceLink, EvidenceLink.evidence_id == Evidence.id)
        .where(
            Evidence.cycle_id == cycle.id,
            Evidence.district_id == district_id,
            EvidenceLink.item_id.in_(item_ids),
        )
        .order_by(Evidence.id)
    ).all()
    return list(dict.fromkeys(rows))
