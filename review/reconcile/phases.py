"""A district's way through reconciliation: started (peer ratings lock), finalized once every
item is decided and none is under calibration review, reopened with a reason."""

from __future__ import annotations

from sqlalchemy.orm import Session

from review import audit, scope
from review.access import PHASE_LABELS, Action, Actor, Phase
from review.cycles import participation, set_phase
from review.db import Cycle, District, Participation
from review.errors import InvalidInput
from review.peer_sets import waiting_for
from review.reconcile._network import (
    Network,
    district,
    grouped,
    load,
    require_coordinator,
    require_participant,
)
from review.reconcile.calibration import open_calibrations
from review.reconcile.flags import RULE_LABELS, district_flags, undecided
from review.reconcile.status import DECIDED, INCOMPLETE, UNRATED, missing_raters, needs
from review.rubrics import Rubric


class NotReady(InvalidInput):
    """A district cannot be finalized yet; `blockers` says why, item by item."""

    def __init__(self, district_name: str, blockers: list[str]) -> None:
        self.blockers = blockers
        super().__init__(f"{district_name} cannot be finalized yet: " + "; ".join(blockers) + ".")


def what_it_locks(district_name: str) -> str:
    """What starting a district's reconciliation locks, in words for the confirmation."""
    return (
        f"the peer ratings of {district_name} (no reviewer can change or withdraw them any "
        f"more) and {district_name}'s self-evaluation"
    )


def start_reconciliation(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, *, district_id: int
) -> None:
    """Move a district from peer review to reconciliation: an explicit step, taken by one of
    its peer reviewers or a coordinator once every reviewing district has submitted its
    ratings. It locks what `what_it_locks` says; decisions and proposals are refused before it.

    Raises:
        InvalidInput: the district is not in peer review, a reviewing district has not
            submitted its ratings, or a peer rating is missing.
        PermissionDenied: the actor neither reviews the district nor coordinates.
    """
    found = district(session, district_id)
    scope.check(session, actor, cycle, Action.RECONCILE, found.id)
    part = _locked_in(
        session, cycle, found, Phase.PEER_REVIEW, "reconciliation starts from peer review."
    )
    waiting = waiting_for(session, cycle, found.id)
    if waiting:
        raise InvalidInput(
            f"Reconciliation of {found.name} needs every reviewing district's submitted "
            f"ratings first: waiting for {', '.join(waiting)} to submit."
        )
    _start(session, actor, load(session, cycle), rubric, part, found)


def _start(
    session: Session,
    actor: Actor,
    network: Network,
    rubric: Rubric,
    part: Participation,
    found: District,
) -> None:
    missing = [
        f"{item.id} (waiting for {', '.join(raters)})"
        for item in rubric.items
        if (raters := missing_raters(network, item, found.id))
    ]
    if missing:
        raise InvalidInput(
            f"Reconciliation of {found.name} needs every peer rating first: "
            + "; ".join(missing)
            + "."
        )
    _move(session, actor, part, Phase.PEER_REVIEW, Phase.RECONCILIATION)
    audit.record(session, actor, "start reconciliation", "participation", part.id)


def finalization_blockers(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int
) -> list[str]:
    """What stops a district from being finalized, item by item in rubric order (empty: ready).

    Blockers are undecided items (with their open flags, or missing ratings) and items under
    calibration review. An optional item no peer rated needs no decision.
    """
    scope.check(session, actor, cycle, Action.READ_PEER_RATINGS, district_id)
    return _blockers(session, cycle, rubric, district_id)


def _blockers(session: Session, cycle: Cycle, rubric: Rubric, district_id: int) -> list[str]:
    network = load(session, cycle)
    require_participant(network, district_id)
    flags = grouped(undecided(network, district_flags(network, rubric, district_id)))
    calibration = open_calibrations(session, cycle)
    blockers = []
    for item in rubric.items:
        need = needs(network, item, district_id, flags.get(item.id, ()))
        if need == INCOMPLETE:
            waiting = ", ".join(missing_raters(network, item, district_id))
            blockers.append(f"{item.id} is not rated by every reviewer (waiting for {waiting})")
        elif item.id in flags:
            rules = ", ".join(RULE_LABELS.get(f.rule, f.rule) for f in flags[item.id])
            blockers.append(f"{item.id} has open flags ({rules})")
        elif need not in (DECIDED, UNRATED):
            blockers.append(f"{item.id} has no decision yet")
        if item.id in calibration:
            blockers.append(
                f"{item.id} is under calibration review ({calibration[item.id].reason})"
            )
    return blockers


def finalize_district(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, *, district_id: int
) -> None:
    """Make a district's review final (coordinators only).

    Raises:
        NotReady: an item is undecided, has an open flag, or is under calibration review.
        InvalidInput: the district is not in reconciliation.
        PermissionDenied: the actor is not a coordinator.
    """
    found = district(session, district_id)
    require_coordinator(actor, "finalize a district")
    part = _locked_in(
        session,
        cycle,
        found,
        Phase.RECONCILIATION,
        "only a district in reconciliation can be finalized.",
    )
    blockers = _blockers(session, cycle, rubric, found.id)
    if blockers:
        raise NotReady(found.name, blockers)
    _move(session, actor, part, Phase.RECONCILIATION, Phase.FINAL)
    audit.record(session, actor, "finalize district", "participation", part.id)


def reopen_district(
    session: Session, actor: Actor, cycle: Cycle, *, district_id: int, reason: str
) -> None:
    """Reopen a final district for reconciliation, recording who and why (coordinators only).

    Decisions stay; a coordinator changes one by adjudication.

    Raises:
        InvalidInput: a blank reason, or a district that is not final.
        PermissionDenied: the actor is not a coordinator.
    """
    found = district(session, district_id)
    require_coordinator(actor, "reopen a district")
    why = reason.strip()
    if not why:
        raise InvalidInput("Give the reason for reopening; it is kept in the audit log.")
    part = _locked_in(session, cycle, found, Phase.FINAL, "nothing to reopen.")
    _move(session, actor, part, Phase.FINAL, Phase.RECONCILIATION)
    audit.record(
        session,
        actor,
        "reopen district",
        "participation",
        part.id,
        before={"phase": Phase.FINAL.value},
        after={"phase": Phase.RECONCILIATION.value, "reason": why},
    )


_IS = {Phase.PEER_REVIEW: "in peer review", Phase.RECONCILIATION: "in reconciliation"}


def _locked_in(
    session: Session, cycle: Cycle, found: District, phase: Phase, otherwise: str
) -> Participation:
    """The district's place in the cycle, locked for a phase change, if it is in `phase`.

    Raises:
        InvalidInput: it is in another phase; the message ends with `otherwise`.
    """
    part = participation(session, cycle, found.id, lock="update")
    if part.phase != phase:
        now = PHASE_LABELS[Phase(part.phase)]
        state = _IS.get(phase, phase.value)
        raise InvalidInput(f"{found.name} is not {state} ({now}); {otherwise}")
    return part


def _move(session: Session, actor: Actor, part: Participation, old: Phase, new: Phase) -> None:
    """Change a district's phase from `old` to `new`.

    Callers read `part` under lock="update", so acts on one district's phase run one after
    the other; `set_phase` still names `old` in its UPDATE, so a change it did not see is
    refused rather than overwritten.
    """
    if Phase(part.phase) != old:
        raise AssertionError(f"{part.id}: phase {part.phase}, expected {old}")
    set_phase(session, actor, part, new)
