"""Decisions: the reconciled level of each item of a district, decided one of four ways.

Every decision is a separate `decisions` row that points at the ratings it was decided from;
raw ratings are never changed and nothing is ever averaged. `decide()` takes a `Method`:

- agreement: every peer gave the same level and no flag is open; a peer reviewer of the
  district (or a coordinator) confirms it, and it is the decision at once;
- choice: the peers gave different but close levels and no flag is open; a peer reviewer
  proposes one of those levels, with a rationale;
- consensus: a peer reviewer proposes a level (any level on the scale) with a rationale;
- adjudication: a coordinator decides, with a rationale, as a third reader. Only an
  adjudication can replace an earlier decision.

A choice or a consensus is a proposal (`review.reconcile.proposals`): no single reviewing
district decides between its own level and another's alone. It becomes the decision when
every other reviewing district has confirmed it (`confirm`).

Concurrency is settled by the database: a first decision (or proposal, or confirmation) is an
insert that the unique key lets win once, and a replacement is an UPDATE that names the row
version it replaces; the loser gets `ConflictError` with the winner's row in `current`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from review import audit, comments
from review.access import PHASE_LABELS, Actor, Phase, Role
from review.cycles import assigned_to, participation
from review.db import ConsensusConfirmation as ConfirmationRow
from review.db import ConsensusProposal as ProposalRow
from review.db import Cycle, District, Participation
from review.db import Decision as DecisionRow
from review.db import DecisionRating as DecisionRatingRow
from review.errors import ConflictError, InvalidInput, NotFound, PermissionDenied
from review.flags import Flag
from review.ratings import is_rated
from review.reconcile import proposals
from review.reconcile._network import (
    NA,
    Frozen,
    Network,
    decision_ratings,
    district,
    either,
    insert_new,
    load,
    names,
)
from review.reconcile.flags import RULE_LABELS, district_flags
from review.reconcile.proposals import Proposal, ProposalStatus
from review.reconcile.status import (
    DECIDED,
    INCOMPLETE,
    NEEDS_CHOICE,
    NEEDS_CONFIRM,
    UNRATED,
    missing_raters,
    needs,
    rated_values,
)
from review.rubrics import Item, Rubric


class Method(StrEnum):
    AGREEMENT = "agreement"
    CHOICE = "choice"
    CONSENSUS = "consensus"
    ADJUDICATION = "adjudication"


class DecisionRequest(Frozen):
    """What to decide for one item of one district, and how.

    `level` is `None` with `not_applicable=True` where the rubric allows it (an agreement
    takes the peers' common level and needs neither). `expected_version` is the row version
    the actor saw of what the request replaces: the decision, for an adjudication; the
    item's unconfirmed proposal, for a choice or consensus; `None` when there was none.
    """

    district_id: int
    item_id: str
    method: Method
    level: int | None = None
    not_applicable: bool = False
    rationale: str = ""
    expected_version: int | None = None


class Decision(Frozen):
    """A reconciled level; `level` is `None` only when decided "not applicable".

    `flags` are the flags that were open on the item when it was decided; `decided_by` is
    who decided it (for a confirmed proposal, who proposed it).
    """

    id: int
    district: str
    item: str
    level: int | None
    not_applicable: bool
    method: str
    rationale: str
    decided_by: str
    decided_by_id: int
    decided_at: datetime
    rating_ids: tuple[int, ...]
    flags: tuple[Flag, ...]
    row_version: int


_WHY = {
    Method.CHOICE: "why this level and not the other",
    Method.CONSENSUS: "what the peers agreed and why",
    Method.ADJUDICATION: "why this level",
}
_ACTIONS = {Method.AGREEMENT: "confirm agreement", Method.CHOICE: "choose level"}


def decide(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, request: DecisionRequest
) -> Decision | Proposal:
    """Decide an item, or propose its level: see the module's description of each `Method`.

    The district must be in reconciliation: it is started explicitly
    (`phases.start_reconciliation`), never as a side effect of deciding one item.

    Returns:
        The decision; for a choice or consensus the proposal, unless the proposer's district
        is the item's only reviewing district (then the proposal is the decision at once).

    Raises:
        ConflictError: the item was decided, or its proposal changed, since the actor looked
            (`current` holds what is there now).
        InvalidInput: the method does not fit the peers' ratings (with what to do instead),
            a blank rationale, a level not on the scale, ratings missing, a proposal after
            the reconciliation deadline, or the district not in reconciliation (still in
            peer review: "start reconciliation first").
        PermissionDenied: agreement: the actor neither reviews the district nor coordinates;
            choice and consensus: the actor is not a peer reviewer of the district;
            adjudication: the actor is not a coordinator.
    """
    found, item = find(session, rubric, request.district_id, request.item_id)
    method = request.method
    if method == Method.ADJUDICATION:
        if not actor.has(Role.COORDINATOR):
            raise PermissionDenied(f"Only a coordinator can adjudicate; {actor.name} is not one.")
    else:
        coordinator_too = method == Method.AGREEMENT
        require_decider(session, actor, cycle, found, coordinator_too=coordinator_too)
    rationale = "" if method == Method.AGREEMENT else _rationale(request.rationale, _WHY[method])
    if method in (Method.CONSENSUS, Method.ADJUDICATION):
        _check_level(rubric, item, request.level, request.not_applicable)
    target = _open_target(session, cycle, rubric, found, item)
    _refuse_stale(target, request)
    if method == Method.AGREEMENT:
        if target.needs != NEEDS_CONFIRM:
            raise InvalidInput(_cannot_confirm(target))
        common = rated_values(target.network, found.id, item.id)[0]
        level = common if isinstance(common, int) else None
        return _write(session, actor, target, method, level, "", decided_by=actor.user_id)
    if method == Method.CHOICE:
        _check_choice(target, request.level)
    if method in (Method.CHOICE, Method.CONSENSUS):
        return _propose(session, actor, target, request, rationale)
    _take_over(session, actor, target)
    return _write(
        session, actor, target, method, request.level, rationale, decided_by=actor.user_id
    )


def confirm(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    *,
    proposal_id: int,
    expected_version: int,
) -> Decision | Proposal:
    """Confirm a proposal for the actor's district (a peer reviewer of the item's district).

    Args:
        expected_version: the proposal's row version the actor saw.

    Returns:
        The decision when this was the last confirmation it waited for, else the proposal.

    Raises:
        ConflictError: the actor's district has already confirmed it, or the proposal
            changed or the item was decided since the actor looked.
        InvalidInput: the proposal is with a coordinator (the deadline passed), or the
            district is not in reconciliation.
        NotFound: no such proposal in the cycle.
        PermissionDenied: the actor is not a peer reviewer of the district.
    """
    row = session.get(ProposalRow, proposal_id, populate_existing=True)
    if row is None or row.cycle_id != cycle.id:
        raise NotFound(f"no proposal {proposal_id} in cycle {cycle.name}")
    found, item = find(session, rubric, row.district_id, row.item_id)
    doing = "confirm proposals for"
    require_decider(session, actor, cycle, found, coordinator_too=False, doing=doing)
    target = _open_target(session, cycle, rubric, found, item)
    if target.needs == DECIDED:
        raise _decided_conflict(target)
    _refuse_closed(target, row)
    if row.row_version != expected_version or not proposals.touch(
        session, row.id, expected_version
    ):
        raise _proposal_conflict(session, target)
    assert actor.district_id is not None  # require_decider: a peer reviewer has a district
    confirmed = insert_new(
        session,
        ConfirmationRow,
        {
            "proposal_id": row.id,
            "district_id": actor.district_id,
            "user_id": actor.user_id,
            "confirmed_at": audit.now(),
        },
        ("proposal_id", "district_id"),
    )
    if confirmed is None:
        raise _confirmed_twice(session, target, row, actor.district_id)
    audit.record(
        session,
        actor,
        "confirm proposal",
        "consensus_proposal",
        row.id,
        after={"district_id": actor.district_id, "row_version": expected_version + 1},
    )
    return _settle(session, actor, target, row.id)


def decisions_of(session: Session, cycle: Cycle, district_id: int) -> list[Decision]:
    """A district's decisions, by item id."""
    network = load(session, cycle)
    users = names(session, {row.decided_by for row in network.decisions.values()})
    return [
        decision_view(network, row, users)
        for (d, _), row in sorted(network.decisions.items())
        if d == district_id
    ]


def decision_view(network: Network, row: DecisionRow, users: dict[int, str]) -> Decision:
    return Decision(
        id=row.id,
        district=network.code(row.district_id),
        item=row.item_id,
        level=row.level,
        not_applicable=row.not_applicable,
        method=row.method,
        rationale=row.rationale,
        decided_by=users.get(row.decided_by, f"user {row.decided_by}"),
        decided_by_id=row.decided_by,
        decided_at=row.decided_at,
        rating_ids=network.decision_ratings.get(row.id, ()),
        flags=tuple(Flag.model_validate(f) for f in row.flags),
        row_version=row.row_version,
    )


def require_decider(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    found: District,
    *,
    coordinator_too: bool,
    doing: str = "decide items of",
) -> None:
    """Peer reviewers assigned to the district (and coordinators, if `coordinator_too`)."""
    if coordinator_too and actor.has(Role.COORDINATOR):
        return
    if actor.district_id == found.id:
        raise PermissionDenied(
            f"{actor.name} may not {doing} {found.name}: a district never reconciles its "
            "own ratings."
        )
    reviews = found.id in assigned_to(session, cycle, actor.district_id)
    if not (actor.has(Role.PEER_REVIEWER) and reviews):
        who = "its peer reviewers and the coordinators" if coordinator_too else "its peer reviewers"
        raise PermissionDenied(f"{actor.name} may not {doing} {found.name}: only {who} may.")


def find(session: Session, rubric: Rubric, district_id: int, item_id: str) -> tuple[District, Item]:
    return district(session, district_id), rubric.item(item_id)


# --- checks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """A district's item about to be decided: its flags (open unless decided) and its needs."""

    network: Network
    rubric: Rubric
    part: Participation
    district: District
    item: Item
    flags: tuple[Flag, ...]
    needs: str

    @property
    def where(self) -> str:
        return f"District {self.district.code}, item {self.item.id}"

    @property
    def key(self) -> tuple[int, str]:
        return self.district.id, self.item.id


def _rationale(rationale: str, what: str) -> str:
    text = rationale.strip()
    if not text:
        raise InvalidInput(f"Write a rationale: {what}.")
    if len(text) > comments.MAX_COMMENT:
        raise InvalidInput(f"The rationale is longer than {comments.MAX_COMMENT} characters.")
    return text


def _check_level(rubric: Rubric, item: Item, level: int | None, not_applicable: bool) -> None:
    if not_applicable:
        if level is not None:
            raise InvalidInput(f"Item {item.id}: choose a level or 'not applicable', not both.")
        if not item.allow_not_applicable:
            raise InvalidInput(f"Item {item.id}: 'not applicable' is not allowed for this item.")
    elif level not in rubric.levels:
        raise InvalidInput(f"Item {item.id}: level {level} is not on the scale {rubric.levels}.")


def _open_target(
    session: Session, cycle: Cycle, rubric: Rubric, found: District, item: Item
) -> _Target:
    """The item to decide; refused outside reconciliation (it is started explicitly, see
    `phases.start_reconciliation`), and when its ratings are incomplete or absent."""
    part = participation(session, cycle, found.id, lock="update")
    phase = Phase(part.phase)
    if phase == Phase.FINAL:
        raise InvalidInput(
            f"{found.name} is final; a coordinator must reopen it before a decision changes."
        )
    if phase == Phase.PEER_REVIEW:
        raise InvalidInput(
            f"{found.name} is still in peer review: start reconciliation first (it locks the "
            "peer ratings and the self-evaluation), then decide or propose."
        )
    if phase != Phase.RECONCILIATION:
        raise InvalidInput(
            f"{found.name} is not in peer review yet ({PHASE_LABELS[phase]}); there is "
            "nothing to reconcile."
        )
    network = load(session, cycle)
    flags = tuple(district_flags(network, rubric, found.id, [item]))
    need = needs(network, item, found.id, flags)
    target = _Target(network, rubric, part, found, item, flags, need)
    if target.needs == INCOMPLETE:
        missing = ", ".join(missing_raters(network, item, found.id))
        raise InvalidInput(
            f"{target.where}: not every reviewer has rated it yet (waiting for {missing})."
        )
    if target.needs == UNRATED:
        raise InvalidInput(
            f"{target.where}: no peer rated this optional item; there is nothing to decide."
        )
    return target


def _refuse_stale(target: _Target, request: DecisionRequest) -> None:
    """Only an adjudication replaces a decision, and only the version its coordinator saw."""
    current = target.network.decisions.get(target.key)
    if request.method != Method.ADJUDICATION:
        if current is not None:
            raise _decided_conflict(target)
        return
    if (current.row_version if current else None) != request.expected_version:
        raise ConflictError(
            f"{target.where}: the decision changed after you opened it; read the current "
            "decision below, then decide again.",
            current=_decision_dict(current, target.network) if current else {},
        )


def _check_choice(target: _Target, level: int | None) -> None:
    if target.needs != NEEDS_CHOICE:
        raise InvalidInput(_cannot_choose(target))
    values = rated_values(target.network, target.district.id, target.item.id)
    given = sorted({v for v in values if isinstance(v, int)})
    if level not in given:
        raise InvalidInput(
            f"{target.where}: choose one of the peers' levels ({either(given)}); to decide "
            "another level, propose a consensus with a rationale."
        )


def _cannot_confirm(target: _Target) -> str:
    if target.needs == NEEDS_CHOICE:
        given = _levels_text(target)
        return (
            f"{target.where}: the peers gave different levels ({given}); choose one with a "
            "rationale."
        )
    return f"{target.where}: {_consensus_reason(target)}"


def _cannot_choose(target: _Target) -> str:
    if target.needs == NEEDS_CONFIRM:
        return f"{target.where}: the peers agree ({_levels_text(target)}); confirm it."
    return f"{target.where}: {_consensus_reason(target)}"


def _consensus_reason(target: _Target) -> str:
    agree = (
        "the peers must agree a consensus level with a written rationale, or a coordinator "
        "adjudicates"
    )
    if target.flags:
        rules = ", ".join(RULE_LABELS.get(f.rule, f.rule) for f in target.flags)
        return f"open flags ({rules}); {agree}."
    return f"the peers' ratings are far apart ({_levels_text(target)}); {agree}."


def _levels_text(target: _Target) -> str:
    return ", ".join(
        f"{target.network.code(r.rater_district_id)}: {NA if r.not_applicable else r.level}"
        for r in target.network.peer_ratings(target.district.id, target.item.id)
        if is_rated(r)
    )


def _decided_conflict(target: _Target) -> ConflictError:
    row = target.network.decisions[target.key]
    final = NA if row.not_applicable else f"level {row.level}"
    return ConflictError(
        f"{target.where} is already decided ({final}, by {row.method}); only a coordinator can "
        "change it, by adjudication.",
        current=_decision_dict(row, target.network),
    )


# --- proposals -------------------------------------------------------------------------------


def _refuse_closed(target: _Target, row: ProposalRow) -> None:
    """A proposal with a coordinator takes no more proposals or confirmations."""
    if proposals.status(row, target.network.cycle) == ProposalStatus.SENT_TO_COORDINATOR:
        due = proposals.deadline(target.network.cycle)
        when = f"the reconciliation deadline ({due}) passed" if due else "it was adjudicated"
        raise InvalidInput(
            f"{target.where}: the proposal was sent to a coordinator ({when} before every "
            "reviewing district confirmed it); a coordinator adjudicates this item."
        )


def _propose(
    session: Session, actor: Actor, target: _Target, request: DecisionRequest, rationale: str
) -> Decision | Proposal:
    cycle = target.network.cycle
    if proposals.overdue(cycle):
        raise InvalidInput(
            f"{target.where}: the reconciliation deadline ({proposals.deadline(cycle)}) has "
            "passed; a coordinator adjudicates this item."
        )
    row = proposals.current(session, cycle, target.district.id, target.item.id)
    if row is not None:
        _refuse_closed(target, row)
    if (row.row_version if row else None) != request.expected_version:
        raise _proposal_conflict(session, target)
    assert actor.district_id is not None  # require_decider: a peer reviewer has a district
    values: dict[str, Any] = {
        "method": request.method.value,
        "level": request.level,
        "not_applicable": request.level is None,
        "rationale": rationale,
        "proposed_by": actor.user_id,
        "proposer_district_id": actor.district_id,
        "status": ProposalStatus.PROPOSED.value,
        "created_at": audit.now(),
    }
    if row is None:
        keys = {"cycle_id": cycle.id, "district_id": target.district.id, "item_id": target.item.id}
        proposal_id = insert_new(
            session, ProposalRow, {**keys, **values, "row_version": 1}, tuple(keys)
        )
        if proposal_id is None:
            raise _proposal_conflict(session, target)
        before = None
    else:
        assert request.expected_version is not None  # equal to the row's version, checked above
        before = proposals.as_dict(row)
        if not proposals.replace(session, row.id, request.expected_version, values):
            raise _proposal_conflict(session, target)
        proposal_id = row.id
    session.execute(
        insert(ConfirmationRow).values(
            proposal_id=proposal_id,
            district_id=actor.district_id,
            user_id=actor.user_id,
            confirmed_at=values["created_at"],
        )
    )
    stored = session.get(ProposalRow, proposal_id, populate_existing=True)
    assert stored is not None
    action = "propose" if before is None else "replace proposal"
    audit.record(
        session,
        actor,
        action,
        "consensus_proposal",
        proposal_id,
        before=before,
        after=proposals.as_dict(stored),
    )
    return _settle(session, actor, target, proposal_id)


def _settle(
    session: Session, actor: Actor, target: _Target, proposal_id: int
) -> Decision | Proposal:
    """The decision once every reviewing district has confirmed the proposal, else the
    proposal as it stands."""
    row = session.get(ProposalRow, proposal_id, populate_existing=True)
    assert row is not None
    confirmed = proposals.confirming_districts(session, proposal_id)
    reviewers = target.network.reviewers.get(target.district.id, ())
    if set(reviewers) - set(confirmed):
        users = names(session, {row.proposed_by})
        return proposals.view(target.network, row, confirmed, users)
    if not proposals.settle(session, proposal_id, ProposalStatus.CONFIRMED):
        raise _proposal_conflict(session, target)
    method = Method(row.method)
    return _write(
        session, actor, target, method, row.level, row.rationale, decided_by=row.proposed_by
    )


def _take_over(session: Session, actor: Actor, target: _Target) -> None:
    """An adjudication closes the item's unconfirmed proposal: it went to a coordinator."""
    row = proposals.current(session, target.network.cycle, target.district.id, target.item.id)
    if row is None or row.status != ProposalStatus.PROPOSED:
        return
    if proposals.settle(session, row.id, ProposalStatus.SENT_TO_COORDINATOR):
        audit.record(
            session,
            actor,
            "send to coordinator",
            "consensus_proposal",
            row.id,
            before={"status": ProposalStatus.PROPOSED.value},
            after={"status": ProposalStatus.SENT_TO_COORDINATOR.value},
        )


def _proposal_conflict(session: Session, target: _Target) -> ConflictError:
    row = proposals.current(session, target.network.cycle, target.district.id, target.item.id)
    if row is None:
        return ConflictError(
            f"{target.where}: the proposal you saw is gone; reload to see the item now.",
            current={},
        )
    who = names(session, {row.proposed_by}).get(row.proposed_by, f"user {row.proposed_by}")
    level = NA if row.not_applicable else f"level {row.level}"
    return ConflictError(
        f"{target.where}: the proposal changed after you opened it ({who} now proposes "
        f"{level}); read it below, then confirm it or propose again.",
        current=proposals.as_dict(row),
    )


def _confirmed_twice(
    session: Session, target: _Target, row: ProposalRow, district_id: int
) -> ConflictError:
    winner = session.scalar(
        select(ConfirmationRow).where(
            ConfirmationRow.proposal_id == row.id, ConfirmationRow.district_id == district_id
        )
    )
    who = names(session, {winner.user_id}).get(winner.user_id, "") if winner else ""
    return ConflictError(
        f"{target.where}: District {target.network.code(district_id)} has already confirmed "
        f"this proposal{f' ({who})' if who else ''}; each district confirms once.",
        current={
            **proposals.as_dict(row),
            "confirmed_by": winner.user_id if winner else None,
            "confirmed_at": winner.confirmed_at.isoformat() if winner else None,
        },
    )


# --- writing a decision ----------------------------------------------------------------------


def _write(
    session: Session,
    actor: Actor,
    target: _Target,
    method: Method,
    level: int | None,
    rationale: str,
    *,
    decided_by: int,
) -> Decision:
    """Write (or, for an adjudication, replace) the decision; raw ratings stay as they are."""
    network, found, item = target.network, target.district, target.item
    current = network.decisions.get(target.key)
    before = _decision_dict(current, network) if current else None
    values: dict[str, Any] = {
        "level": level,
        "not_applicable": level is None,
        "method": method.value,
        "rationale": rationale,
        "flags": [f.model_dump(mode="json") for f in target.flags],
        "decided_by": decided_by,
        "decided_at": audit.now(),
    }
    if current is None:
        keys = {"cycle_id": network.cycle.id, "district_id": found.id, "item_id": item.id}
        decision_id = insert_new(
            session, DecisionRow, {**keys, **values, "row_version": 1}, tuple(keys)
        )
        if decision_id is None:
            raise _lost(session, target)
    else:
        replaced = session.execute(
            update(DecisionRow)
            .where(DecisionRow.id == current.id, DecisionRow.row_version == current.row_version)
            .values(**values, row_version=current.row_version + 1)
            .execution_options(synchronize_session=False)
        )
        if replaced.rowcount != 1:  # type: ignore[attr-defined]
            raise _lost(session, target)
        decision_id = current.id
        session.execute(
            delete(DecisionRatingRow).where(DecisionRatingRow.decision_id == current.id)
        )
    rating_ids = sorted(r.id for r in network.ratings.get(target.key, ()))
    if rating_ids:
        session.execute(
            insert(DecisionRatingRow),
            [{"decision_id": decision_id, "rating_id": rating_id} for rating_id in rating_ids],
        )
    row = session.get(DecisionRow, decision_id, populate_existing=True)
    assert row is not None
    written = _with_ratings(network, row.id, tuple(rating_ids))
    audit.record(
        session,
        actor,
        _ACTIONS.get(method, method.value),
        "decision",
        row.id,
        before=before,
        after=_decision_dict(row, written),
    )
    users = names(session, {decided_by}) if decided_by != actor.user_id else {}
    return decision_view(written, row, {actor.user_id: actor.name, **users})


def _lost(session: Session, target: _Target) -> ConflictError:
    """Someone else's decision won the race for this item: theirs is the one to read."""
    winner = session.scalar(
        select(DecisionRow)
        .where(
            DecisionRow.cycle_id == target.network.cycle.id,
            DecisionRow.district_id == target.district.id,
            DecisionRow.item_id == target.item.id,
        )
        .execution_options(populate_existing=True)
    )
    if winner is None:
        return ConflictError(f"{target.where}: the decision was removed; reload.", current={})
    final = NA if winner.not_applicable else f"level {winner.level}"
    network = _with_ratings(
        target.network,
        winner.id,
        decision_ratings(session, target.network.cycle).get(winner.id, ()),
    )
    return ConflictError(
        f"{target.where} was decided by someone else just now ({final}, by {winner.method}); "
        "read their decision below.",
        current=_decision_dict(winner, network),
    )


def _with_ratings(network: Network, decision_id: int, rating_ids: tuple[int, ...]) -> Network:
    return replace(network, decision_ratings={**network.decision_ratings, decision_id: rating_ids})


def _decision_dict(row: DecisionRow, network: Network) -> dict[str, Any]:
    """A decision row for the audit log and for `ConflictError.current`."""
    return {
        "district_id": row.district_id,
        "item": row.item_id,
        "level": row.level,
        "not_applicable": row.not_applicable,
        "method": row.method,
        "rationale": row.rationale,
        "rating_ids": list(network.decision_ratings.get(row.id, ())),
        "row_version": row.row_version,
    }
