"""Deciding one item of a district: the case on the table, the one level-and-rationale form
every decision uses (a choice, a consensus, an adjudication), and the act that records it."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from review import reconcile
from review.access import Actor, Phase
from review.db import Cycle, District
from review.reconcile import Decision, DecisionRequest, Method, Proposal, QueueEntry
from review.rubrics import Item, Rubric
from ui.components import reconcile_queue
from ui.components.descriptors import short_level
from ui.guard import act

METHODS: dict[str, str] = {
    Method.AGREEMENT: "peers agreed (confirmed)",
    Method.CHOICE: "reviewers chose one of the peer levels",
    Method.CONSENSUS: "peer consensus",
    Method.ADJUDICATION: "coordinator adjudication",
}


@dataclass(frozen=True)
class Case:
    """One item of one district, as the reader reconciles it."""

    actor: Actor
    cycle: Cycle
    rubric: Rubric
    district: District
    entry: QueueEntry

    @property
    def item(self) -> Item:
        return self.rubric.item(self.entry.item)

    @property
    def slot(self) -> str:
        """What makes this case's widget keys unique: the district and the item."""
        return f"{self.district.code}_{self.entry.item}"

    def request(self, method: Method, **fields: object) -> DecisionRequest:
        return DecisionRequest(
            district_id=self.district.id, item_id=self.entry.item, method=method, **fields
        )


def decide(case: Case, request: DecisionRequest) -> None:
    """Record `request` (a decision, or a proposal that waits for confirmations), then rerun."""
    act(
        lambda s: reconcile.decide(s, case.actor, case.cycle, case.rubric, request),
        done=lambda d: decided(case, d),
        rerun=True,
    )


def decided(case: Case, d: Decision | Proposal) -> str:
    """What the page says once `d` is recorded."""
    code = case.district.code
    if isinstance(d, Proposal):
        waiting = ", ".join(d.waiting_for)
        level = short_level(d.level, d.not_applicable)
        return f"{code} {d.item}: level {level} proposed; waiting for {waiting} to confirm."
    final = reconcile_queue.final(d)
    return f"{code} {d.item}: final level {final} ({METHODS.get(d.method, d.method)})."


def level_form(
    case: Case,
    name: str,
    options: list[str],
    *,
    label: str,
    button: str,
    index: int | None = None,
) -> tuple[str | None, str, bool]:
    """A level radio and a rationale in one form; returns (choice, rationale, submitted).

    Submitting without a level says so and counts as not submitted.
    """
    slot = case.slot
    with st.form(f"recon_{name}_form_{slot}"):
        choice = st.radio(
            "Level", options, index=index, horizontal=True, key=f"recon_{name}_level_{slot}"
        )
        rationale = st.text_area(label, key=f"recon_{name}_rationale_{slot}")
        submitted = st.form_submit_button(button, key=f"recon_{name}_{slot}", type="primary")
    if submitted and choice is None:
        st.error("Choose a level first.")
        return choice, rationale, False
    return choice, rationale, submitted


def current(case: Case, phase: Phase) -> bool:
    """The item's decision so far, and whether the district's phase lets one be made now
    (saying why not when it does not)."""
    entry = case.entry
    st.markdown("#### Decision")
    decision = entry.decision
    if decision is not None:
        st.success(
            f"Final level {reconcile_queue.final(decision)} · "
            f"{METHODS.get(decision.method, decision.method)}"
        )
        st.text(f"Decided by {decision.decided_by} on {decision.decided_at:%Y-%m-%d %H:%M}")
        if decision.rationale:
            st.text(decision.rationale)
    if phase == Phase.FINAL:
        st.info("The district is final; a coordinator reopens it before any decision changes.")
        return False
    if phase == Phase.PEER_REVIEW:
        st.info(
            "The district is still in peer review: start reconciliation (above) before any "
            "item is decided or proposed."
        )
        return False
    if phase != Phase.RECONCILIATION:
        st.info("Nothing to reconcile until the district is in peer review.")
        return False
    if entry.needs == reconcile.INCOMPLETE:
        st.info("Waiting for every reviewer to rate this item.")
    elif entry.needs == reconcile.UNRATED:
        st.info("No peer rated this optional item: there is nothing to decide.")
    return True
