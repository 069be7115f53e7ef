"""One read of everything reconciliation needs about a cycle, shared by every reconcile module.

A handful of grouped queries, whatever the number of districts; ratings are read as plain
columns (a network of 60 districts has about 10,000 of them) and their text only when shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from review import audit
from review.access import Actor, Role
from review.db import (
    Assignment,
    Base,
    Blob,
    Cycle,
    District,
    Evidence,
    EvidenceLink,
    Participation,
    Rating,
    Triad,
    User,
)
from review.db import Decision as DecisionRow
from review.db import DecisionRating as DecisionRatingRow
from review.errors import NotFound, PermissionDenied
from review.flags import Flag
from review.ratings import PEER, SELF, shared

NA = "not applicable"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RatingView(Frozen):
    """One raw rating as reconciliation shows it; `rationale` is the self narrative or the
    peer's rationale. `level` is `None` when not rated or "not applicable"."""

    rating_id: int
    rater: str
    source: str
    level: int | None
    not_applicable: bool
    rationale: str
    suggestions: str
    row_version: int


class EvidenceSummary(Frozen):
    evidence_id: int
    file_name: str
    description: str
    media_type: str


@dataclass(frozen=True, slots=True)
class Score:
    """The columns of a rating that rules and statistics need; text is read only when shown."""

    id: int
    district_id: int
    item_id: str
    rater_district_id: int
    source: str
    level: int | None
    not_applicable: bool
    row_version: int


@dataclass(frozen=True)
class Network:
    """One read of everything reconciliation needs about a cycle (a handful of queries).

    `ratings` holds the shared ratings only (`review.ratings.shared`): a reviewer's draft
    counts in no flag, queue, statistic or library until its set is submitted."""

    cycle: Cycle
    districts: dict[int, District]
    phases: dict[int, str]
    triads: dict[int, str]
    reviewers: dict[int, tuple[int, ...]]
    ratings: dict[tuple[int, str], tuple[Score, ...]]
    evidence: dict[tuple[int, str], int]
    decisions: dict[tuple[int, str], DecisionRow]
    decision_ratings: dict[int, tuple[int, ...]]

    def code(self, district_id: int) -> str:
        return self.districts[district_id].code

    def self_rating(self, district_id: int, item_id: str) -> Score | None:
        rows = self.ratings.get((district_id, item_id), ())
        return next((r for r in rows if r.source == SELF), None)

    def peer_ratings(self, district_id: int, item_id: str) -> tuple[Score, ...]:
        return tuple(r for r in self.ratings.get((district_id, item_id), ()) if r.source == PEER)


def load(session: Session, cycle: Cycle) -> Network:
    participants = session.execute(
        select(District, Participation.phase, Triad.name)
        .join(Participation, Participation.district_id == District.id)
        .join(Triad, Triad.id == Participation.triad_id)
        .where(Participation.cycle_id == cycle.id)
    )
    districts, phases, triads = {}, {}, {}
    for district, phase, triad in participants:
        districts[district.id], phases[district.id], triads[district.id] = district, phase, triad
    return Network(
        cycle=cycle,
        districts=districts,
        phases=phases,
        triads=triads,
        reviewers=_reviewers(session, cycle),
        ratings=_ratings(session, cycle),
        evidence=_evidence_counts(session, cycle),
        decisions={
            (row.district_id, row.item_id): row
            for row in session.scalars(select(DecisionRow).where(DecisionRow.cycle_id == cycle.id))
        },
        decision_ratings=decision_ratings(session, cycle),
    )


def decision_ratings(session: Session, cycle: Cycle) -> dict[int, tuple[int, ...]]:
    """Decision id -> the ids of the ratings it was decided from, ascending."""
    rows = session.execute(
        select(DecisionRatingRow.decision_id, DecisionRatingRow.rating_id)
        .join(DecisionRow, DecisionRow.id == DecisionRatingRow.decision_id)
        .where(DecisionRow.cycle_id == cycle.id)
        .order_by(DecisionRatingRow.decision_id, DecisionRatingRow.rating_id)
    )
    found: dict[int, list[int]] = defaultdict(list)
    for decision_id, rating_id in rows:
        found[decision_id].append(rating_id)
    return {decision_id: tuple(ids) for decision_id, ids in found.items()}


def _reviewers(session: Session, cycle: Cycle) -> dict[int, tuple[int, ...]]:
    found: dict[int, list[int]] = defaultdict(list)
    rows = session.execute(
        select(Assignment.reviewed_district_id, Assignment.reviewer_district_id).where(
            Assignment.cycle_id == cycle.id
        )
    )
    for reviewed, reviewer in rows:
        found[reviewed].append(reviewer)
    return {reviewed: tuple(sorted(ids)) for reviewed, ids in found.items()}


def _ratings(session: Session, cycle: Cycle) -> dict[tuple[int, str], tuple[Score, ...]]:
    query = (
        select(
            Rating.id,
            Rating.district_id,
            Rating.item_id,
            Rating.rater_district_id,
            Rating.source,
            Rating.level,
            Rating.not_applicable,
            Rating.row_version,
        )
        .where(Rating.cycle_id == cycle.id, shared())
        .order_by(Rating.rater_district_id)
    )
    found: dict[tuple[int, str], list[Score]] = defaultdict(list)
    for row in session.execute(query):
        score = Score(*row)
        found[score.district_id, score.item_id].append(score)
    return {key: tuple(scores) for key, scores in found.items()}


def texts(session: Session, rating_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Rating id -> (narrative or rationale, suggestions)."""
    ids = list(rating_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Rating.id, Rating.narrative, Rating.suggestions).where(Rating.id.in_(ids))
    )
    return {rating_id: (narrative, suggestions) for rating_id, narrative, suggestions in rows}


def _evidence_counts(session: Session, cycle: Cycle) -> dict[tuple[int, str], int]:
    rows = session.execute(
        select(Evidence.district_id, EvidenceLink.item_id, func.count())
        .join(EvidenceLink, EvidenceLink.evidence_id == Evidence.id)
        .where(Evidence.cycle_id == cycle.id)
        .group_by(Evidence.district_id, EvidenceLink.item_id)
    )
    return {(district_id, item_id): count for district_id, item_id, count in rows}


def evidence_summaries(
    session: Session, cycle: Cycle, *, district_id: int | None = None, item_id: str | None = None
) -> dict[tuple[int, str], tuple[EvidenceSummary, ...]]:
    query = (
        select(Evidence, EvidenceLink.item_id, Blob.media_type)
        .join(EvidenceLink, EvidenceLink.evidence_id == Evidence.id)
        .join(Blob, Blob.sha256 == Evidence.sha256)
        .where(Evidence.cycle_id == cycle.id)
        .order_by(Evidence.id)
    )
    if district_id is not None:
        query = query.where(Evidence.district_id == district_id)
    if item_id is not None:
        query = query.where(EvidenceLink.item_id == item_id)
    found: dict[tuple[int, str], list[EvidenceSummary]] = defaultdict(list)
    for row, linked, media_type in session.execute(query):
        found[row.district_id, linked].append(
            EvidenceSummary(
                evidence_id=row.id,
                file_name=row.file_name,
                description=row.description,
                media_type=media_type,
            )
        )
    return {key: tuple(values) for key, values in found.items()}


def names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return dict(rows.all())


def grouped(flags: Iterable[Flag]) -> dict[str, tuple[Flag, ...]]:
    found: dict[str, list[Flag]] = defaultdict(list)
    for flag in flags:
        found[flag.item].append(flag)
    return {item: tuple(values) for item, values in found.items()}


def rating_view(network: Network, row: Score, shown: dict[int, tuple[str, str]]) -> RatingView:
    rationale, suggestions = shown.get(row.id, ("", ""))
    return RatingView(
        rating_id=row.id,
        rater=network.code(row.rater_district_id),
        source=row.source,
        level=row.level,
        not_applicable=row.not_applicable,
        rationale=rationale,
        suggestions=suggestions,
        row_version=row.row_version,
    )


def district(session: Session, district_id: int) -> District:
    found = session.get(District, district_id)
    if found is None:
        raise NotFound(f"no district with id {district_id}")
    return found


def require_coordinator(actor: Actor, what: str) -> None:
    if not actor.has(Role.COORDINATOR):
        raise PermissionDenied(f"{actor.name} may not {what}: only a coordinator may.")


def require_participant(network: Network, district_id: int) -> None:
    if district_id not in network.districts:
        raise NotFound(f"the district is not part of cycle {network.cycle.name}")


def either(levels: Sequence[int]) -> str:
    """Levels in words: '2', '2 or 3', '1, 2 or 3'."""
    words = [str(level) for level in levels]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def today() -> date:
    return audit.now().date()


def insert_new(
    session: Session, model: type[Base], values: dict[str, Any], keys: Sequence[str]
) -> int | None:
    """Insert a row unless its unique `keys` are taken; the new row's id, or `None` when another
    transaction holds them. The unique constraint decides, so two first saves never both win:
    the database makes the later one wait for the earlier one's commit, then does nothing.

    (`ON CONFLICT DO NOTHING` rather than an `IntegrityError` caught around a SAVEPOINT: no
    failed statement to recover from, and one statement on both backends.)
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(keys))
        .returning(model.id)  # type: ignore[attr-defined]
    )
    new_id: int | None = session.scalar(statement)
    return new_id
