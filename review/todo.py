"""What the signed-in person has to do next in a cycle: one list for every role they hold.

Built from the reads the pages use (`progress`, `scope`, `ratings`, `comments`, the reconcile
queue), so the list agrees with what each page shows. A handful of queries for the actor's own
district and each district their district reviews (a triad holds two to four), and none per
district for a coordinator or an observer: their tasks come from the network-wide reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from review import comments, ratings, scope
from review.access import PHASE_LABELS, Action, Actor, Phase, Role
from review.comments import Message
from review.db import Cycle, District, Participation
from review.progress import DistrictProgress, cycle_progress
from review.reconcile import NEEDS_CHOICE, NEEDS_CONFIRM, NEEDS_CONSENSUS, ProposalStatus, queue
from review.reconcile.queue import QueueEntry
from review.rubrics import Rubric


class TaskKind(StrEnum):
    SUBMIT = "submit"  # the self-evaluation: items still missing, or ready to submit
    QUESTION = "question"  # a reviewer's question waiting for the district's answer
    ANSWER = "answer"  # the district answered a question the reviewer asked
    RATE = "rate"  # peer ratings still to give
    DECIDE = "decide"  # reconciliation decisions due
    OVERDUE = "overdue"  # a district's phase past its deadline (coordinators)
    PACKET = "packet"  # a final district's review packet is ready


class Task(BaseModel):
    """One thing to do. `page` names the page that does it (a file in `ui/pages/`);
    `district` and `item` say what to open there. `days_left` is negative once `due` has
    passed, and `None` when the task has no deadline."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: TaskKind
    text: str
    page: str
    due: date | None = None
    days_left: int | None = None
    district: str | None = None
    item: str | None = None


_DECIDING = (NEEDS_CONFIRM, NEEDS_CHOICE, NEEDS_CONSENSUS)
_RATING_OPEN = (Phase.SELF_SUBMITTED, Phase.PEER_REVIEW)


def todo(session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, today: date) -> list[Task]:
    """Every task of `actor` in `cycle`, soonest deadline first (tasks without one last),
    then in the order of the roles: district editor, peer reviewer, coordinator, packets."""
    tasks: list[Task] = []
    if actor.has(Role.DISTRICT_EDITOR) and actor.district_id is not None:
        tasks += _editor(session, actor, cycle, rubric, today)
    if actor.has(Role.PEER_REVIEWER):
        tasks += _reviewer(session, actor, cycle, rubric, today)
    if actor.has(Role.COORDINATOR):
        tasks += _coordinator(cycle_progress(session, actor, cycle, rubric, today), cycle, today)
    tasks += _packets(scope.districts(session, actor, cycle, Action.READ_FINAL))
    return sorted(tasks, key=lambda t: (t.days_left is None, t.days_left or 0))


def _due(cycle: Cycle, phase: Phase, today: date) -> dict[str, object]:
    """The `due` and `days_left` of a task that must be done before `phase` ends."""
    text = (cycle.deadlines or {}).get(phase.value)
    try:
        due = date.fromisoformat(text) if text else None
    except ValueError:
        due = None
    return {"due": due, "days_left": (due - today).days if due else None}


def _editor(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, today: date
) -> list[Task]:
    own = scope.districts(session, actor, cycle, Action.EDIT_SELF)
    if not own:
        return []
    district, part = own[0]
    tasks: list[Task] = []
    if part.phase == Phase.DRAFT:
        missing = ratings.missing_for_submission(session, actor, cycle, rubric, district.id)
        tasks.append(
            Task(
                kind=TaskKind.SUBMIT,
                text=_self_evaluation_text(missing),
                page="self_evaluation",
                district=district.code,
                **_due(cycle, Phase.DRAFT, today),
            )
        )
    if part.phase != Phase.FINAL:
        thread = comments.thread(session, actor, cycle, district.id)
        tasks += [
            Task(
                kind=TaskKind.QUESTION,
                text=f"Answer {q.author}'s question on {q.item_id}",
                page="self_evaluation",
                district=district.code,
                item=q.item_id,
            )
            for q in _unanswered(thread)
        ]
    return tasks


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _self_evaluation_text(missing: Sequence[str]) -> str:
    unrated = sum(1 for m in missing if m.endswith("has no level"))
    evidence = sum(1 for m in missing if m.endswith("needs evidence"))
    if not missing:
        return "Submit your self-evaluation: every item is ready"
    parts = []
    if unrated:
        parts.append(f"{_count(unrated, 'item')} without a level")
    if evidence:
        parts.append(f"{_count(evidence, 'item')} without the evidence it needs")
    return "Complete your self-evaluation: " + " and ".join(parts)


def _unanswered(thread: Iterable[Message]) -> list[Message]:
    messages = list(thread)
    answered = {m.parent_id for m in messages if m.kind == "answer"}
    return [m for m in messages if m.kind == "question" and m.id not in answered]


def _reviewer(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, today: date
) -> list[Task]:
    tasks: list[Task] = []
    own = session.get(District, actor.district_id) if actor.district_id else None
    for district, part in scope.districts(session, actor, cycle, Action.RATE_PEER):
        phase = Phase(part.phase)
        if phase in _RATING_OPEN:
            tasks += _ratings_to_give(session, actor, cycle, rubric, district, today)
            tasks += _answers(session, actor, cycle, district)
        elif phase == Phase.RECONCILIATION and own is not None:
            entries = queue(session, actor, cycle, rubric, district.id)
            tasks += _decisions(own.code, cycle, district, entries, today)
    return tasks


def _ratings_to_give(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district: District, today: date
) -> list[Task]:
    rated = ratings.rated_items(session, actor, cycle, district.id)
    left = [i.id for i in rubric.items if i.id not in rated]
    if not left:
        return []
    return [
        Task(
            kind=TaskKind.RATE,
            text=f"Rate {district.name}: {len(left)} of {len(rubric.items)} items not rated yet",
            page="peer_review",
            district=district.code,
            item=left[0],
            **_due(cycle, Phase.PEER_REVIEW, today),
        )
    ]


def _answers(session: Session, actor: Actor, cycle: Cycle, district: District) -> list[Task]:
    messages = comments.thread(session, actor, cycle, district.id)
    mine = {m.id for m in messages if m.kind == "question" and m.author_id == actor.user_id}
    return [
        Task(
            kind=TaskKind.ANSWER,
            text=f"{district.name} answered your question on {m.item_id}",
            page="peer_review",
            district=district.code,
            item=m.item_id,
        )
        for m in messages
        if m.kind == "answer" and m.parent_id in mine
    ]


def _decisions(
    own_code: str, cycle: Cycle, district: District, entries: Sequence[QueueEntry], today: date
) -> list[Task]:
    """The items a reviewer's district still has to confirm, choose or agree on: no one has
    proposed a level yet, or a proposal waits for this district's confirmation."""
    waiting = [e.item for e in entries if _waits_for(e, own_code)]
    if not waiting:
        return []
    return [
        Task(
            kind=TaskKind.DECIDE,
            text=f"Reconcile {district.name}: {_count(len(waiting), 'item')} "
            "waiting for your decision",
            page="reconciliation",
            district=district.code,
            item=waiting[0],
            **_due(cycle, Phase.RECONCILIATION, today),
        )
    ]


def _waits_for(entry: QueueEntry, own_code: str) -> bool:
    if entry.needs not in _DECIDING:
        return False
    proposal = entry.proposal
    if proposal is None:
        return True
    return proposal.status == ProposalStatus.PROPOSED and own_code in proposal.waiting_for


def _coordinator(progress: Sequence[DistrictProgress], cycle: Cycle, today: date) -> list[Task]:
    tasks = []
    for row in progress:
        if row.phase == PHASE_LABELS[Phase.RECONCILIATION]:
            flags = row.open_flags or 0
            tasks.append(
                Task(
                    kind=TaskKind.DECIDE,
                    text=f"Reconciliation of {row.name}: {_count(flags, 'open flag')}"
                    if flags
                    else f"Reconciliation of {row.name}: no open flags, finalize once every "
                    "item is decided",
                    page="reconciliation",
                    district=row.code,
                    **_due(cycle, Phase.RECONCILIATION, today),
                )
            )
        if row.overdue:
            first = min(_passed(cycle, row.overdue))
            tasks.append(
                Task(
                    kind=TaskKind.OVERDUE,
                    text=f"{row.name} is late: {'; '.join(row.overdue)}",
                    page="progress",
                    district=row.code,
                    due=first,
                    days_left=(first - today).days,
                )
            )
    return tasks


def _passed(cycle: Cycle, overdue: Sequence[str]) -> list[date]:
    """The deadlines named in a progress row's overdue phases (`progress.overdue` wording)."""
    named = " ".join(overdue)
    return [
        date.fromisoformat(due)
        for phase, due in (cycle.deadlines or {}).items()
        if phase in PHASE_LABELS and f"{PHASE_LABELS[Phase(phase)]} was due {due}" in named
    ]


def _packets(final: Iterable[tuple[District, Participation]]) -> list[Task]:
    return [
        Task(
            kind=TaskKind.PACKET,
            text=f"The review packet of {district.name} is ready",
            page="packets",
            district=district.code,
        )
        for district, part in final
        if part.phase == Phase.FINAL
    ]
