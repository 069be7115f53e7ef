"""The peers settle an item: confirm the level they all gave, or propose one (a choice between
their levels, or a consensus) that every other reviewing district then confirms."""

from __future__ import annotations

import streamlit as st

from review import reconcile
from review.cycles import participants
from review.reconcile import Method, Proposal
from ui import context
from ui.components import descriptors, reconcile_queue
from ui.components.decision_form import Case, decide, decided, level_form
from ui.components.descriptors import short_level
from ui.guard import act
from ui.markup import inert


def show(case: Case, *, reviewer: bool) -> None:
    """The peers' part for the item; `reviewer`: the reader reviews the district."""
    entry = case.entry
    proposal = entry.proposal if entry.decision is None else None
    if proposal is not None:
        _pending(case, proposal, reviewer=reviewer)
    seen = proposal.row_version if proposal is not None else None
    if entry.needs == reconcile.NEEDS_CONFIRM:
        _agreement(case)
    if entry.needs == reconcile.NEEDS_CHOICE and reviewer:
        _choice(case, seen)
    if entry.needs == reconcile.NEEDS_CONSENSUS and reviewer:
        _consensus(case, seen)


def waiting(proposal: Proposal) -> str:
    """Who proposed what, who confirmed, and what the proposal still waits for."""
    level = short_level(proposal.level, proposal.not_applicable)
    said = (
        f"{proposal.proposed_by} ({proposal.proposer_district}) proposed level {level} "
        f"({proposal.method}); confirmed by {', '.join(proposal.confirmed_by)}."
    )
    if proposal.status == reconcile.ProposalStatus.SENT_TO_COORDINATOR:
        return (
            f"{said} Not confirmed by every reviewing district before the reconciliation "
            "deadline: sent to a coordinator, who adjudicates."
        )
    return (
        f"{said} Waiting for {', '.join(proposal.waiting_for)} to confirm; until then it is "
        "not a decision."
    )


def _pending(case: Case, proposal: Proposal, *, reviewer: bool) -> None:
    """A proposal not yet decided; the reader's district confirms it when it is asked to."""
    st.info(inert(waiting(proposal)))
    st.text(proposal.rationale)
    if not (reviewer and proposal.status == reconcile.ProposalStatus.PROPOSED):
        return
    actor = case.actor
    with context.database().reading() as s:
        everyone = participants(s, case.cycle)
    mine = actor.district_id is not None and any(
        d.code in proposal.waiting_for and d.id == actor.district_id for d, _ in everyone
    )
    if mine and st.button("Confirm this proposal", key=f"recon_confirm_proposal_{case.slot}"):
        act(
            lambda s: reconcile.confirm(
                s,
                actor,
                case.cycle,
                case.rubric,
                proposal_id=proposal.id,
                expected_version=proposal.row_version,
            ),
            done=lambda d: decided(case, d),
            rerun=True,
        )


def _agreement(case: Case) -> None:
    agreed = reconcile_queue.rated(case.entry.peer_ratings[0])
    st.write(f"Every peer gave level {agreed} and no flag is open.")
    if st.button(f"Confirm level {agreed}", key=f"recon_confirm_{case.slot}", type="primary"):
        decide(case, case.request(Method.AGREEMENT))


def _choice(case: Case, seen: int | None) -> None:
    st.write(
        "The peers gave close but different levels: propose one of them and say why; the "
        "other reviewing district confirms it."
    )
    rubric = case.rubric
    given = sorted({r.level for r in case.entry.peer_ratings if r.level is not None})
    choice, why, go = level_form(
        case,
        "choice",
        [rubric.label(level) for level in given],
        label="Rationale: why this level and not the other",
        button="Propose this level",
    )
    if go:
        level, _ = descriptors.parse_level(rubric, choice)
        assert level is not None  # the options are levels only
        decide(case, case.request(Method.CHOICE, level=level, rationale=why, expected_version=seen))


def _consensus(case: Case, seen: int | None) -> None:
    st.write(
        "The peers discuss (above); one proposes the level they agree, with their rationale, "
        "and the other reviewing district confirms it. If they cannot agree by the "
        "reconciliation deadline, a coordinator adjudicates."
    )
    choice, why, go = level_form(
        case,
        "consensus",
        descriptors.level_options(case.rubric, case.item)[1:],  # every level: no "Not rated"
        label="Rationale: what the peers agreed and why",
        button="Propose consensus",
    )
    if go:
        level, not_applicable = descriptors.parse_level(case.rubric, choice)
        decide(
            case,
            case.request(
                Method.CONSENSUS,
                level=level,
                not_applicable=not_applicable,
                rationale=why,
                expected_version=seen,
            ),
        )
