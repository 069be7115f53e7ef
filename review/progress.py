"""How far each district is: phase, completion per district and reviewer, overdue items."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from review.access import PHASE_LABELS, Phase
from review.cycles import participants, reviewers_of
from review.db import Cycle
from review.ratings import is_rated, linked_items, ratings_of
from review.reconcile import open_flags
from review.rubrics import Rubric

_ORDER = list(Phase)


@dataclass(frozen=True)
class DistrictProgress:
    code: str
    name: str
    phase: str
    self_percent: int
    evidence_missing: int
    reviewer_percent: dict[str, int]
    open_flags: int
    overdue: tuple[str, ...]


def percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 0


def cycle_progress(
    session: Session, cycle: Cycle, rubric: Rubric, today: date
) -> list[DistrictProgress]:
    """One row per district of the cycle, in code order."""
    flags = Counter(f.district for f in open_flags(session, cycle, rubric))
    rows = []
    for district, part in participants(session, cycle):
        ratings = ratings_of(session, cycle, district.id)
        rated = {(r.rater_district_id, r.item_id) for r in ratings if is_rated(r)}
        own = sum((district.id, item.id) in rated for item in rubric.items)
        evidence = linked_items(session, cycle, district.id)
        missing = sum(1 for i in rubric.items if i.evidence_required and not evidence.get(i.id))
        reviewers = {
            r.code: percent(sum((r.id, i.id) in rated for i in rubric.items), len(rubric.items))
            for r in reviewers_of(session, cycle, district.id)
        }
        rows.append(
            DistrictProgress(
                code=district.code,
                name=district.name,
                phase=PHASE_LABELS[Phase(part.phase)],
                self_percent=percent(own, len(rubric.items)),
                evidence_missing=missing,
                reviewer_percent=reviewers,
                open_flags=flags[district.code],
                overdue=overdue(cycle.deadlines, Phase(part.phase), today),
            )
        )
    return rows


def overdue(deadlines: dict[str, str], phase: Phase, today: date) -> tuple[str, ...]:
    """The phases whose deadline has passed while the district has not moved beyond them."""
    late = []
    for name, due in sorted(deadlines.items()):
        try:
            deadline_phase, due_date = Phase(name), date.fromisoformat(due)
        except ValueError:
            continue
        if today > due_date and _ORDER.index(phase) <= _ORDER.index(deadline_phase):
            late.append(f"{PHASE_LABELS[deadline_phase]} was due {due}")
    return tuple(late)
