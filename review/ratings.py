"""Self and peer ratings: drafts, submission, and refusal of lost updates."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from review import audit, scope
from review.access import Action, Actor, Phase, require
from review.cycles import assigned_to, participation, set_phase
from review.db import Cycle, Evidence, EvidenceLink, Rating
from review.errors import ConflictError, IncompleteSubmission, InvalidInput
from review.rubrics import Item, Rubric

SELF, PEER = "self", "peer"
DRAFT, SUBMITTED, WITHDRAWN = "draft", "submitted", "withdrawn"
MAX_TEXT = 20_000


class RatingInput(BaseModel):
    """What a rater enters for one item; `level=None` means not rated yet."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: int | None = None
    not_applicable: bool = False
    narrative: str = Field(default="", max_length=MAX_TEXT)
    suggestions: str = Field(default="", max_length=MAX_TEXT)
    context_values: dict[str, int] = Field(default_factory=dict)

    @classmethod
    def checked(cls, **fields: object) -> RatingInput:
        """The input from a form, or `InvalidInput` saying which field is wrong and how.

        Raises:
            InvalidInput: e.g. a narrative longer than `MAX_TEXT` characters.
        """
        try:
            return cls.model_validate(fields)
        except ValidationError as error:
            problems = []
            for problem in error.errors():
                field = ".".join(str(part) for part in problem["loc"])
                given = fields.get(str(problem["loc"][0]))
                if problem["type"] == "string_too_long" and isinstance(given, str):
                    problems.append(
                        f"the {field} has {len(given):,} characters; at most {MAX_TEXT:,} fit"
                    )
                else:
                    problems.append(f"{field}: {problem['msg']}")
            raise InvalidInput("; ".join(problems) + ". Nothing was saved.") from None


def rating_dict(row: Rating) -> dict[str, object]:
    return {
        "level": row.level,
        "not_applicable": row.not_applicable,
        "narrative": row.narrative,
        "suggestions": row.suggestions,
        "context_values": dict(row.context_values),
        "status": row.status,
        "row_version": row.row_version,
    }


def save_self_rating(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    *,
    district_id: int,
    item_id: str,
    data: RatingInput,
    expected_version: int | None,
) -> Rating:
    """Save a draft self-rating.

    Args:
        expected_version: the row version the editor started from (None for a first save).

    Raises:
        ConflictError: someone saved this item since; `current` holds their text.
        InvalidInput: a level not on the scale, "not applicable" where not allowed, or a
            self-evaluation that is already submitted.
    """
    require(actor, Action.EDIT_SELF, district_id=district_id)
    if participation(session, cycle, district_id, lock="share").phase != Phase.DRAFT:
        raise InvalidInput("the self-evaluation is submitted and can no longer change")
    _validate(rubric, item_id, data)
    return _save(
        session, actor, cycle, district_id, item_id, district_id, SELF, data, expected_version
    )


def save_peer_rating(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    *,
    district_id: int,
    item_id: str,
    data: RatingInput,
    expected_version: int | None,
) -> Rating:
    """Save a draft peer rating (level, rationale in `narrative`, suggestions) of an assigned
    district. No one else sees it until the reviewer's district submits its set
    (`review.peer_sets`).

    The district moves to the peer-review phase with its first peer rating.

    Raises:
        ConflictError: someone saved this item since; `current` holds their text.
        InvalidInput: a level not on the scale, a district not open for peer rating, or a set
            that is already submitted (withdraw it first).
    """
    require(
        actor,
        Action.RATE_PEER,
        district_id=district_id,
        assigned=assigned_to(session, cycle, actor.district_id),
    )
    part = participation(session, cycle, district_id)
    # The first peer rating moves the phase, so it takes the lock a phase change needs.
    part = participation(
        session,
        cycle,
        district_id,
        lock="update" if part.phase == Phase.SELF_SUBMITTED else "share",
    )
    if part.phase not in (Phase.SELF_SUBMITTED, Phase.PEER_REVIEW):
        raise InvalidInput(
            "peer ratings are open only after the self-evaluation is submitted and before "
            "reconciliation"
        )
    _validate(rubric, item_id, data)
    assert actor.district_id is not None
    if is_submitted(session, cycle, district_id, actor.district_id):
        raise InvalidInput(
            f"item {item_id}: your district's ratings of this district are submitted; "
            "withdraw them to change a rating (possible until reconciliation starts)."
        )
    row = _save(
        session, actor, cycle, district_id, item_id, actor.district_id, PEER, data, expected_version
    )
    set_phase(session, actor, part, Phase.PEER_REVIEW)
    return row


def _validate(rubric: Rubric, item_id: str, data: RatingInput) -> None:
    item = rubric.item(item_id)
    if data.level is not None and data.level not in rubric.levels:
        raise InvalidInput(
            f"item {item_id}: level {data.level} is not on the scale {rubric.levels}"
        )
    if data.not_applicable and not item.allow_not_applicable:
        raise InvalidInput(f"item {item_id}: 'not applicable' is not allowed for this item")
    if data.not_applicable and data.level is not None:
        raise InvalidInput(f"item {item_id}: choose a level or 'not applicable', not both")
    known = {m.id for m in item.context_measures}
    for key, value in data.context_values.items():
        if key not in known:
            raise InvalidInput(f"item {item_id}: unknown context measure {key!r}")
        if value < 0:
            raise InvalidInput(f"item {item_id}: {key} must not be negative")


def _save(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    district_id: int,
    item_id: str,
    rater_district_id: int,
    source: str,
    data: RatingInput,
    expected_version: int | None,
) -> Rating:
    """Write the rating only if it is still at `expected_version`: the database decides.

    A later version is an UPDATE whose WHERE names the version the editor started from; a
    first version is an INSERT that the unique key refuses when another first save won.
    Either way the loser gets `ConflictError` with the winner's row.
    """
    key = (cycle, district_id, item_id, rater_district_id)
    values = {
        "level": data.level,
        "not_applicable": data.not_applicable,
        "narrative": data.narrative,
        "suggestions": data.suggestions,
        "context_values": dict(data.context_values),
        "status": DRAFT,
        "updated_by": actor.user_id,
        "updated_at": audit.now(),
    }
    if expected_version is None:
        before = None
        row = Rating(
            cycle_id=cycle.id,
            district_id=district_id,
            item_id=item_id,
            rater_district_id=rater_district_id,
            source=source,
            row_version=1,
            **values,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError as error:
            conflict = _conflict(session, item_id, key, expected_version)
            if not conflict.current:  # not the unique key: some other fault
                raise error
            raise conflict from None
    else:
        row_or_none = find_rating(session, *key)
        if row_or_none is None or row_or_none.row_version != expected_version:
            raise _conflict(session, item_id, key, expected_version)
        row = row_or_none
        before = rating_dict(row)
        changed = session.execute(
            update(Rating)
            .where(Rating.id == row.id, Rating.row_version == expected_version)
            .values(row_version=Rating.row_version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise _conflict(session, item_id, key, expected_version)
        session.refresh(row)
    audit.record(
        session,
        actor,
        f"save {source} rating",
        "rating",
        row.id,
        before=before,
        after=rating_dict(row),
    )
    return row


def _conflict(
    session: Session,
    item_id: str,
    key: tuple[Cycle, int, str, int],
    expected_version: int | None,
) -> ConflictError:
    """The refusal of a save that lost, carrying the rating as the winner left it."""
    row = session.scalar(_rating_query(*key).execution_options(populate_existing=True))
    current = row.row_version if row else None
    who = "someone else" if row is None else "another person"
    return ConflictError(
        f"item {item_id}: {who} saved this rating after you opened it "
        f"(version {current}, you started from {expected_version}). Your text was not "
        "saved; compare it with theirs below, then save again.",
        current=rating_dict(row) if row else {},
    )


def find_rating(
    session: Session, cycle: Cycle, district_id: int, item_id: str, rater_district_id: int
) -> Rating | None:
    return session.scalar(_rating_query(cycle, district_id, item_id, rater_district_id))


def _rating_query(
    cycle: Cycle, district_id: int, item_id: str, rater_district_id: int
) -> Select[Rating]:
    return select(Rating).where(
        Rating.cycle_id == cycle.id,
        Rating.district_id == district_id,
        Rating.item_id == item_id,
        Rating.rater_district_id == rater_district_id,
    )


class _Rated(Protocol):
    @property
    def level(self) -> int | None: ...
    @property
    def not_applicable(self) -> bool: ...


def is_rated(row: _Rated | None) -> bool:
    """A rating counts as given once it has a level or says the item does not apply."""
    return row is not None and (row.level is not None or row.not_applicable)


def rated_items(session: Session, actor: Actor, cycle: Cycle, district_id: int) -> frozenset[str]:
    """The items of a district that the actor's district has rated (see `is_rated`)."""
    scope.check(session, actor, cycle, Action.RATE_PEER, district_id)
    rows = session.execute(
        select(Rating.item_id, Rating.level, Rating.not_applicable).where(
            Rating.cycle_id == cycle.id,
            Rating.district_id == district_id,
            Rating.rater_district_id == actor.district_id,
        )
    )
    return frozenset(row.item_id for row in rows if is_rated(row))


def read_ratings(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    district_id: int,
    *,
    raters: Collection[int] | None = None,
    item_id: str | None = None,
) -> list[Rating]:
    """The ratings of a district that `actor` may see, by item then rater (see `ratings_of`).

    The district's self-ratings go to whoever may read the district; a rater's own ratings,
    drafts included, go to that rater; other peers' submitted ratings only to whoever may read
    the district's peer ratings (for the district itself, once the cycle releases them).
    """
    scope.check(session, actor, cycle, Action.READ_DISTRICT, district_id)
    peers = scope.allowed(session, actor, cycle, Action.READ_PEER_RATINGS, district_id)
    rows = ratings_of(
        session, cycle, district_id, raters=raters, item_id=item_id, drafts_of=actor.district_id
    )
    return [
        row for row in rows if peers or row.rater_district_id in (district_id, actor.district_id)
    ]


def ratings_of(
    session: Session,
    cycle: Cycle,
    district_id: int,
    *,
    raters: Collection[int] | None = None,
    item_id: str | None = None,
    drafts_of: int | None = None,
) -> list[Rating]:
    """The shared ratings of a district in a cycle (see `shared`), by item then rater.

    `raters` keeps only those raters' rows (the district's own id selects its self-ratings);
    `item_id` keeps one item's; `drafts_of` adds that rater district's unsubmitted peer ratings.
    """
    query = select(Rating).where(
        Rating.cycle_id == cycle.id, Rating.district_id == district_id, shared(drafts_of)
    )
    if raters is not None:
        query = query.where(Rating.rater_district_id.in_(raters))
    if item_id is not None:
        query = query.where(Rating.item_id == item_id)
    return list(session.scalars(query.order_by(Rating.item_id, Rating.rater_district_id)))


def shared(drafts_of: int | None = None) -> ColumnElement[bool]:
    """The ratings anyone but their rater may see or count: self-ratings and submitted peer
    ratings. A peer rating is its rater's draft until the rater's district submits the set
    (`review.peer_sets`); `drafts_of` names a rater district whose drafts count too (its own
    view). Every read of ratings for other people goes through here."""
    rule = or_(Rating.source == SELF, Rating.status == SUBMITTED)
    if drafts_of is not None:
        rule = or_(rule, Rating.rater_district_id == drafts_of)
    return rule


def is_submitted(session: Session, cycle: Cycle, district_id: int, rater_district_id: int) -> bool:
    """Whether a rater district's peer ratings of a district are submitted (all go together)."""
    found = session.scalar(
        select(Rating.id)
        .where(
            Rating.cycle_id == cycle.id,
            Rating.district_id == district_id,
            Rating.rater_district_id == rater_district_id,
            Rating.source == PEER,
            Rating.status == SUBMITTED,
        )
        .limit(1)
    )
    return found is not None


def linked_items(session: Session, cycle: Cycle, district_id: int) -> dict[str, int]:
    """Item id -> number of evidence files linked, for one district."""
    counts: dict[str, int] = {}
    rows = session.scalars(
        select(EvidenceLink.item_id)
        .join(Evidence, Evidence.id == EvidenceLink.evidence_id)
        .where(Evidence.cycle_id == cycle.id, Evidence.district_id == district_id)
    )
    for item_id in rows:
        counts[item_id] = counts.get(item_id, 0) + 1
    return counts


def rated_keys(session: Session, cycle: Cycle) -> frozenset[tuple[int, int, str]]:
    """(district, rater district, item) of every shared rating given in the cycle (see
    `is_rated` and `shared`): a reviewer's draft counts for no one until its set is submitted.

    One query for the whole network, reading only the columns that decide it.
    """
    rows = session.execute(
        select(
            Rating.district_id,
            Rating.rater_district_id,
            Rating.item_id,
            Rating.level,
            Rating.not_applicable,
        ).where(Rating.cycle_id == cycle.id, shared())
    )
    return frozenset(
        (row.district_id, row.rater_district_id, row.item_id) for row in rows if is_rated(row)
    )


def linked_items_by_district(session: Session, cycle: Cycle) -> dict[int, dict[str, int]]:
    """District id -> (item id -> number of evidence files linked), in one query."""
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(Evidence.district_id, EvidenceLink.item_id, func.count())
        .join(Evidence, Evidence.id == EvidenceLink.evidence_id)
        .where(Evidence.cycle_id == cycle.id)
        .group_by(Evidence.district_id, EvidenceLink.item_id)
    )
    for district_id, item_id, files in rows:
        counts.setdefault(district_id, {})[item_id] = files
    return counts


def missing_for_submission(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int
) -> list[str]:
    """What stops a self-evaluation from being submitted, item by item, in rubric order."""
    scope.check(session, actor, cycle, Action.READ_DISTRICT, district_id)
    return _missing(session, cycle, rubric, district_id)


def _missing(session: Session, cycle: Cycle, rubric: Rubric, district_id: int) -> list[str]:
    own = {
        r.item_id: r
        for r in ratings_of(session, cycle, district_id)
        if r.rater_district_id == district_id
    }
    evidence = linked_items(session, cycle, district_id)
    return [
        f"{item.id} ({item.title}) {need}"
        for item in rubric.items
        for need in needs(item, own.get(item.id), evidence.get(item.id, 0))
    ]


def needs(item: Item, row: _Rated | None, files: int) -> tuple[str, ...]:
    """What one item still needs before its self-evaluation can be submitted.

    Args:
        row: the district's own rating of the item, None when there is none.
        files: how many evidence files are linked to the item.

    Returns:
        "has no level" and/or "needs evidence"; empty when the item is complete.
    """
    found = []
    if item.required and not is_rated(row):
        found.append("has no level")
    applicable = not (row is not None and row.not_applicable)
    if item.evidence_required and applicable and not files:
        found.append("needs evidence")
    return tuple(found)


def submit_self_evaluation(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, *, district_id: int
) -> None:
    """Submit the self-evaluation, or refuse with the list of what is missing."""
    require(actor, Action.SUBMIT_SELF, district_id=district_id)
    # Locked first: a save still under way finishes before the ratings are read, and any save
    # after it finds the self-evaluation submitted.
    part = participation(session, cycle, district_id, lock="update")
    if part.phase != Phase.DRAFT:
        raise InvalidInput("the self-evaluation was already submitted")
    missing = _missing(session, cycle, rubric, district_id)
    if missing:
        raise IncompleteSubmission(missing)
    for row in ratings_of(session, cycle, district_id):
        if row.source == SELF:
            row.status = SUBMITTED
    set_phase(session, actor, part, Phase.SELF_SUBMITTED)
    audit.record(session, actor, "submit self-evaluation", "participation", part.id)
