"""Every item of one district at a glance: its level, what it still needs, its files, its questions.

The Self-evaluation and Rate a district pages list these lines so that a person sees the whole
rubric at once and opens any item from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from review import scope
from review.access import Action, Actor
from review.comments import waiting_by_item
from review.db import Cycle, Rating
from review.ratings import is_rated, linked_items, needs, ratings_of
from review.rubrics import Rubric


@dataclass(frozen=True)
class ItemLine:
    """One item of one district as one rater district sees it.

    `level` and `not_applicable` are that rater's (the district's own on Self-evaluation, the
    reviewer's on Rate a district); `needs` is what stops the self-evaluation from being
    submitted (see `ratings.needs`), empty for a reviewer.
    """

    item_id: str
    level: int | None
    not_applicable: bool
    evidence: int
    questions_waiting: int
    needs: tuple[str, ...]

    @property
    def rated(self) -> bool:
        return is_rated(self)


def self_overview(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int
) -> list[ItemLine]:
    """The district's own ratings of every item, in rubric order, with what each still needs."""
    scope.check(session, actor, cycle, Action.READ_DISTRICT, district_id)
    return _lines(session, cycle, rubric, district_id, district_id, with_needs=True)


def peer_overview(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int
) -> list[ItemLine]:
    """The reviewer's (`actor`'s district's) ratings of every item of a district they rate."""
    scope.check(session, actor, cycle, Action.RATE_PEER, district_id)
    assert actor.district_id is not None  # RATE_PEER is only ever allowed to a district
    return _lines(session, cycle, rubric, district_id, actor.district_id, with_needs=False)


def _lines(
    session: Session,
    cycle: Cycle,
    rubric: Rubric,
    district_id: int,
    rater_id: int,
    *,
    with_needs: bool,
) -> list[ItemLine]:
    rows: dict[str, Rating] = {
        r.item_id: r
        # The rater's own lines: its drafts count (they are what it has rated so far).
        for r in ratings_of(session, cycle, district_id, raters={rater_id}, drafts_of=rater_id)
    }
    files = linked_items(session, cycle, district_id)
    waiting = waiting_by_item(session, cycle, district_id)
    lines = []
    for item in rubric.items:
        row = rows.get(item.id)
        lines.append(
            ItemLine(
                item_id=item.id,
                level=row.level if row else None,
                not_applicable=row.not_applicable if row else False,
                evidence=files.get(item.id, 0),
                questions_waiting=waiting.get(item.id, 0),
                needs=needs(item, row, files.get(item.id, 0)) if with_needs else (),
            )
        )
    return lines
