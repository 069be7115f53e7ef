"""A reviewer district's peer ratings of one district, as a set: drafted, submitted, withdrawn.

Until a reviewer's district submits its set, its peer ratings are drafts that only it sees:
no flag, queue, statistic, library or export counts them (`review.ratings.shared`). A set is
submitted whole, once every required item is rated, and can be withdrawn (and changed and
submitted again) until the district's reconciliation starts; from then on it is locked.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from review import audit, scope
from review.access import Action, Actor, Phase, Role, require
from review.cycles import assigned_to, participation, reviewers_by_district
from review.db import Cycle, District, Rating
from review.errors import ConflictError, InvalidInput, NotFound
from review.ratings import DRAFT, PEER, SUBMITTED, WITHDRAWN, is_rated
from review.rubrics import Rubric

NOT_STARTED = "not started"
SET_LABELS = {
    NOT_STARTED: "not started",
    DRAFT: "draft (not submitted)",
    SUBMITTED: "submitted",
    WITHDRAWN: "withdrawn (not submitted)",
}
_OPEN = (Phase.SELF_SUBMITTED, Phase.PEER_REVIEW)


class RatingSet(BaseModel):
    """One reviewer district's ratings of a district, told in counts, never their text.

    `status` is a key of `SET_LABELS`. `rated` and `missing` are `None` and empty for another
    reviewer's set read by a reviewer (only coordinators see how far another reviewer is).
    `versions` (item -> row version) is what the reviewer saw; a submit names it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    district: str
    rater: str
    status: str
    rated: int | None
    missing: tuple[str, ...]
    versions: dict[str, int]

    @property
    def submitted(self) -> bool:
        return self.status == SUBMITTED


class IncompleteRatings(InvalidInput):
    """A set of peer ratings cannot be submitted yet; `missing` lists the unrated items."""

    def __init__(self, district_name: str, missing: list[str]) -> None:
        self.missing = missing
        super().__init__(
            f"Your ratings of {district_name} cannot be submitted yet: rate every required "
            f"item first. Not rated: {'; '.join(missing)}."
        )


def rating_set(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int
) -> RatingSet:
    """The actor's district's set of ratings of a district it reviews."""
    scope.check(session, actor, cycle, Action.RATE_PEER, district_id)
    assert actor.district_id is not None  # RATE_PEER: a reviewer has a district
    return _set(session, cycle, rubric, _district(session, district_id), actor.district_id)


def rating_sets(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int
) -> list[RatingSet]:
    """Every reviewer district's set for a district, by reviewer code.

    Coordinators see how far each set is; a reviewer sees its own that way and only the
    status of the others.
    """
    scope.check(session, actor, cycle, Action.RECONCILE, district_id)
    found = _district(session, district_id)
    reviewers = reviewers_by_district(session, cycle).get(district_id, [])
    sets = []
    for reviewer in sorted(reviewers, key=lambda d: d.code):
        one = _set(session, cycle, rubric, found, reviewer.id)
        if not (actor.has(Role.COORDINATOR) or reviewer.id == actor.district_id):
            one = one.model_copy(update={"rated": None, "missing": (), "versions": {}})
        sets.append(one)
    return sets


def waiting_for(session: Session, cycle: Cycle, district_id: int) -> list[str]:
    """Codes of the reviewer districts whose ratings of a district are not submitted."""
    done = set(
        session.scalars(
            select(Rating.rater_district_id).where(
                Rating.cycle_id == cycle.id,
                Rating.district_id == district_id,
                Rating.source == PEER,
                Rating.status == SUBMITTED,
            )
        )
    )
    reviewers = reviewers_by_district(session, cycle).get(district_id, [])
    return sorted(d.code for d in reviewers if d.id not in done)


def submit_peer_ratings(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    *,
    district_id: int,
    expected: Mapping[str, int] | None = None,
) -> RatingSet:
    """Submit the actor's district's ratings of a district as one set.

    Args:
        expected: item -> row version of each rating the reviewer saw (`RatingSet.versions`);
            a rating saved since, or one added or taken away, refuses the submit.

    Raises:
        IncompleteRatings: a required item is not rated (the list says which).
        ConflictError: a rating changed since the reviewer looked.
        InvalidInput: the set is already submitted, or the district is not in peer review.
        PermissionDenied: the actor does not review the district.
    """
    found = _district(session, district_id)
    rater = _reviewer(session, actor, cycle, district_id)
    # Locked for a phase change: saves of this district wait, and so does a start of its
    # reconciliation, so the set submitted is the set reconciliation reads.
    part = participation(session, cycle, district_id, lock="update")
    if part.phase not in _OPEN:
        raise InvalidInput(
            f"Your ratings of {found.name} can be submitted only during peer review; "
            f"reconciliation has started or the self-evaluation is not submitted."
        )
    rows = _rows(session, cycle, district_id, rater)
    if any(r.status == SUBMITTED for r in rows):
        raise InvalidInput(f"Your ratings of {found.name} are already submitted.")
    by_item = {r.item_id: r for r in rows}
    missing = [
        f"{item.id} ({item.title})"
        for item in rubric.items
        if item.required and not is_rated(by_item.get(item.id))
    ]
    if missing:
        raise IncompleteRatings(found.name, missing)
    if not any(is_rated(r) for r in rows):
        raise InvalidInput(f"Rate at least one item of {found.name} before submitting.")
    seen = {r.item_id: r.row_version for r in rows}
    if expected is not None and dict(expected) != seen:
        raise _changed(found, seen, dict(expected))
    for row in rows:
        # Compare-and-set per rating: a save that slipped in is never submitted unseen. The
        # status is not the rating's text, so its version stays: after a withdrawal the
        # reviewer's open form saves on from the version it shows.
        changed = session.execute(
            update(Rating)
            .where(
                Rating.id == row.id,
                Rating.row_version == seen[row.item_id],
                Rating.status != SUBMITTED,
            )
            .values(status=SUBMITTED)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            now = {r.item_id: r.row_version for r in _rows(session, cycle, district_id, rater)}
            raise _changed(found, now, seen)
    audit.record(
        session,
        actor,
        "submit peer ratings",
        "participation",
        part.id,
        after={"rater_district_id": rater, "ratings": seen},
    )
    return _set(session, cycle, rubric, found, rater)


def withdraw_peer_ratings(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, *, district_id: int
) -> RatingSet:
    """Take back the actor's district's submitted ratings of a district, to change them.

    They are drafts again (no one else sees them) until submitted again.

    Raises:
        InvalidInput: the set is not submitted, or the district's reconciliation has started.
        PermissionDenied: the actor does not review the district.
    """
    found = _district(session, district_id)
    rater = _reviewer(session, actor, cycle, district_id)
    part = participation(session, cycle, district_id, lock="update")
    if part.phase != Phase.PEER_REVIEW:
        raise InvalidInput(
            f"Your ratings of {found.name} can no longer be withdrawn: its reconciliation has "
            "started, and the peer ratings are locked."
        )
    before = {r.item_id: r.row_version for r in _rows(session, cycle, district_id, rater)}
    changed = session.execute(
        update(Rating)
        .where(
            Rating.cycle_id == cycle.id,
            Rating.district_id == district_id,
            Rating.rater_district_id == rater,
            Rating.source == PEER,
            Rating.status == SUBMITTED,
        )
        .values(status=WITHDRAWN)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount == 0:  # type: ignore[attr-defined]
        raise InvalidInput(f"Your ratings of {found.name} are not submitted; nothing to withdraw.")
    audit.record(
        session,
        actor,
        "withdraw peer ratings",
        "participation",
        part.id,
        before={"rater_district_id": rater, "ratings": before},
    )
    return _set(session, cycle, rubric, found, rater)


def _reviewer(session: Session, actor: Actor, cycle: Cycle, district_id: int) -> int:
    assigned = assigned_to(session, cycle, actor.district_id)
    require(actor, Action.RATE_PEER, district_id=district_id, assigned=assigned)
    assert actor.district_id is not None  # RATE_PEER: a reviewer has a district
    return actor.district_id


def _district(session: Session, district_id: int) -> District:
    found = session.get(District, district_id)
    if found is None:
        raise NotFound(f"no district with id {district_id}")
    return found


def _rows(session: Session, cycle: Cycle, district_id: int, rater: int) -> list[Rating]:
    return list(
        session.scalars(
            select(Rating)
            .where(
                Rating.cycle_id == cycle.id,
                Rating.district_id == district_id,
                Rating.rater_district_id == rater,
                Rating.source == PEER,
            )
            .order_by(Rating.item_id)
            .execution_options(populate_existing=True)
        )
    )


def _set(session: Session, cycle: Cycle, rubric: Rubric, found: District, rater: int) -> RatingSet:
    rows = _rows(session, cycle, found.id, rater)
    statuses = {r.status for r in rows}
    if not rows:
        status = NOT_STARTED
    elif SUBMITTED in statuses:
        status = SUBMITTED
    elif statuses == {WITHDRAWN}:
        status = WITHDRAWN
    else:
        status = DRAFT
    by_item = {r.item_id: r for r in rows}
    rater_code = _district(session, rater).code
    return RatingSet(
        district=found.code,
        rater=rater_code,
        status=status,
        rated=sum(1 for item in rubric.items if is_rated(by_item.get(item.id))),
        missing=tuple(
            item.id for item in rubric.items if item.required and not is_rated(by_item.get(item.id))
        ),
        versions={r.item_id: r.row_version for r in rows},
    )


def _changed(found: District, now: dict[str, int], seen: dict[str, int]) -> ConflictError:
    items = sorted(i for i in set(now) | set(seen) if now.get(i) != seen.get(i))
    return ConflictError(
        f"Your district's ratings of {found.name} changed after you looked ({', '.join(items)}); "
        "read them again, then submit.",
        current={"versions": now},
    )
