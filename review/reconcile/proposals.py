"""Proposals: the level one reviewing district proposes for an item (a choice between the
peers' levels, or a consensus), and the other reviewing districts' confirmations.

A proposal takes effect (becomes the decision, in `review.reconcile.decisions`) once every
reviewing district of the item's district has confirmed it: the proposer's district counts
as confirmed, each other district confirms once, through any of its users. A proposal still
unconfirmed after the cycle's reconciliation deadline is sent to a coordinator, who
adjudicates. Every change of a proposal row is a compare-and-set on its `row_version`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from review.db import ConsensusConfirmation as ConfirmationRow
from review.db import ConsensusProposal as ProposalRow
from review.db import Cycle
from review.reconcile._network import Frozen, Network, names, today


class ProposalStatus(StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"  # every reviewing district confirmed it: it is the decision
    SENT_TO_COORDINATOR = "sent_to_coordinator"  # unconfirmed at the deadline, or adjudicated


STATUS_LABELS = {
    ProposalStatus.PROPOSED: "proposed",
    ProposalStatus.CONFIRMED: "confirmed",
    ProposalStatus.SENT_TO_COORDINATOR: "sent to a coordinator",
}


class Proposal(Frozen):
    """A proposed level for one item of one district; `level` is `None` only for "not
    applicable". `confirmed_by` and `waiting_for` are reviewing district codes (the
    proposer's district is among `confirmed_by`)."""

    id: int
    district: str
    item: str
    method: str  # choice | consensus
    level: int | None
    not_applicable: bool
    rationale: str
    proposed_by: str
    proposer_district: str
    status: ProposalStatus
    confirmed_by: tuple[str, ...]
    waiting_for: tuple[str, ...]
    created_at: datetime
    row_version: int


def deadline(cycle: Cycle) -> date | None:
    """The cycle's reconciliation deadline, if it has one."""
    due = (cycle.deadlines or {}).get("reconciliation")
    return date.fromisoformat(due) if due else None


def overdue(cycle: Cycle, on: date | None = None) -> bool:
    """Whether the reconciliation deadline has passed (the deadline day itself still counts,
    as for every phase deadline in `review.progress`)."""
    due = deadline(cycle)
    return due is not None and (on or today()) > due


def status(row: ProposalRow, cycle: Cycle) -> ProposalStatus:
    """The stored status, except that an unconfirmed proposal is with a coordinator once the
    deadline has passed (time moves it; no write is needed for that)."""
    stored = ProposalStatus(row.status)
    if stored == ProposalStatus.PROPOSED and overdue(cycle):
        return ProposalStatus.SENT_TO_COORDINATOR
    return stored


def current(session: Session, cycle: Cycle, district_id: int, item_id: str) -> ProposalRow | None:
    """The item's proposal row (there is at most one), read afresh."""
    return session.scalar(
        select(ProposalRow)
        .where(
            ProposalRow.cycle_id == cycle.id,
            ProposalRow.district_id == district_id,
            ProposalRow.item_id == item_id,
        )
        .execution_options(populate_existing=True)
    )


def confirming_districts(session: Session, proposal_id: int) -> list[int]:
    return list(
        session.scalars(
            select(ConfirmationRow.district_id)
            .where(ConfirmationRow.proposal_id == proposal_id)
            .order_by(ConfirmationRow.id)
        )
    )


def replace(session: Session, row_id: int, expected_version: int, values: dict[str, Any]) -> bool:
    """Replace an unconfirmed proposal seen at `expected_version`; its confirmations go.
    False when it changed since (or is no longer unconfirmed)."""
    done = _compare_and_set(session, row_id, expected_version, {**values})
    if done:
        session.execute(delete(ConfirmationRow).where(ConfirmationRow.proposal_id == row_id))
    return done


def touch(session: Session, row_id: int, expected_version: int) -> bool:
    """Move an unconfirmed proposal seen at `expected_version` to its next version, so two
    confirmations (or a confirmation and a replacement) never both start from one version."""
    return _compare_and_set(session, row_id, expected_version, {})


def settle(session: Session, row_id: int, new: ProposalStatus) -> bool:
    """Close an unconfirmed proposal as confirmed or sent to a coordinator (once)."""
    result = session.execute(
        update(ProposalRow)
        .where(ProposalRow.id == row_id, ProposalRow.status == ProposalStatus.PROPOSED.value)
        .values(status=new.value, row_version=ProposalRow.row_version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _compare_and_set(
    session: Session, row_id: int, expected_version: int, values: dict[str, Any]
) -> bool:
    result = session.execute(
        update(ProposalRow)
        .where(
            ProposalRow.id == row_id,
            ProposalRow.row_version == expected_version,
            ProposalRow.status == ProposalStatus.PROPOSED.value,
        )
        .values(**values, row_version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def as_dict(row: ProposalRow) -> dict[str, Any]:
    """A proposal row for the audit log and for `ConflictError.current`."""
    return {
        "district_id": row.district_id,
        "item": row.item_id,
        "method": row.method,
        "level": row.level,
        "not_applicable": row.not_applicable,
        "rationale": row.rationale,
        "proposed_by": row.proposed_by,
        "proposer_district_id": row.proposer_district_id,
        "status": row.status,
        "row_version": row.row_version,
    }


def of_district(session: Session, network: Network, district_id: int) -> dict[str, Proposal]:
    """Each item's proposal for a district, keyed by item id (two queries)."""
    rows = list(
        session.scalars(
            select(ProposalRow).where(
                ProposalRow.cycle_id == network.cycle.id, ProposalRow.district_id == district_id
            )
        )
    )
    confirmed: dict[int, list[int]] = defaultdict(list)
    if rows:
        found = session.execute(
            select(ConfirmationRow.proposal_id, ConfirmationRow.district_id)
            .where(ConfirmationRow.proposal_id.in_([r.id for r in rows]))
            .order_by(ConfirmationRow.id)
        )
        for proposal_id, confirming in found:
            confirmed[proposal_id].append(confirming)
    users = names(session, {r.proposed_by for r in rows})
    return {r.item_id: view(network, r, confirmed[r.id], users) for r in rows}


def view(
    network: Network, row: ProposalRow, confirmed: list[int], users: dict[int, str]
) -> Proposal:
    reviewers = network.reviewers.get(row.district_id, ())
    return Proposal(
        id=row.id,
        district=network.code(row.district_id),
        item=row.item_id,
        method=row.method,
        level=row.level,
        not_applicable=row.not_applicable,
        rationale=row.rationale,
        proposed_by=users.get(row.proposed_by, f"user {row.proposed_by}"),
        proposer_district=network.code(row.proposer_district_id),
        status=status(row, network.cycle),
        confirmed_by=tuple(network.code(d) for d in confirmed),
        waiting_for=tuple(network.code(d) for d in reviewers if d not in confirmed),
        created_at=row.created_at,
        row_version=row.row_version,
    )
