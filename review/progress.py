"""How far each district is: phase, completion per district and reviewer, overdue items."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from review import scope
from review.access import PHASE_LABELS, Action, Actor, Phase
from review.cycles import reviewers_by_district
from review.db import Cycle
from review.ratings import linked_items_by_district, rated_keys
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
    open_flags: int | None  # None: the reader may not see the peer ratings flags come from
    overdue: tuple[str, ...]


def percent(done: int, total: int) -> int:
    return round(100 * done / total) if total else 0


def cycle_progress(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, today: date
) -> list[DistrictProgress]:
    """One row per district of the cycle that `actor` may read, in code order: every district
    for a coordinator, its own and those it reviews for a district.

    A fixed number of grouped queries, whatever the number of districts.
    """
    flags = Counter(f.district for f in open_flags(session, cycle, rubric))
    in_rubric = {i.id for i in rubric.items}
    # (district, rater) -> items of the rubric that rater has rated for that district
    done = Counter((d, rater) for d, rater, item in rated_keys(session, cycle) if item in in_rubric)
    linked = linked_items_by_district(session, cycle)
    reviewers_of = reviewers_by_district(session, cycle)
    items = len(rubric.items)
    rows = []
    peers = {d.id for d, _ in scope.districts(session, actor, cycle, Action.READ_PEER_RATINGS)}
    for district, part in scope.districts(session, actor, cycle, Action.READ_DISTRICT):
        evidence = linked.get(district.id, {})
        missing = sum(1 for i in rubric.items if i.evidence_required and not evidence.get(i.id))
        reviewers = {
            r.code: percent(done[district.id, r.id], items)
            for r in reviewers_of.get(district.id, [])
        }
        rows.append(
            DistrictProgress(
                code=district.code,
                name=district.name,
                phase=PHASE_LABELS[Phase(part.phase)],
                self_percent=percent(done[district.id, district.id], items),
                evidence_missing=missing,
                reviewer_percent=reviewers,
                open_flags=flags[district.code] if district.id in peers else None,
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
