"""Reconcile ratings: peer reviewers and coordinators settle each item of a district.

Flagged items come first. Every decision is an explicit act with its own rationale (confirm,
choose, consensus or adjudication); the page never averages levels.
"""

import streamlit as st

from review import reconcile, scope
from review.access import Action, Phase, Role
from ui import context, state
from ui.components import (
    adjudication,
    consensus,
    decision_form,
    descriptors,
    discussion,
    finalization,
    reconcile_district,
    reconcile_item,
    reconcile_queue,
    reconciliation_start,
)
from ui.components import cycle as cycle_picker


def render() -> None:
    actor = state.signed_in()
    st.title("Reconcile ratings")
    state.show_flash()
    cycle, rubric = cycle_picker.current()
    district, phase = reconcile_district.pick(actor, cycle)
    with context.database().reading() as s:
        reviewer = scope.allowed(s, actor, cycle, Action.RATE_PEER, district.id)
        entries = reconcile.queue(s, actor, cycle, rubric, district.id)
        blockers = reconcile.finalization_blockers(s, actor, cycle, rubric, district.id)
    finalization.status(district, phase, blockers)
    if phase == Phase.PEER_REVIEW:
        reconciliation_start.show(actor, cycle, rubric, district)
    if actor.has(Role.COORDINATOR):
        finalization.coordinator(actor, cycle, rubric, district, phase)

    reconcile_queue.show(entries, district.code)
    case = decision_form.Case(
        actor, cycle, rubric, district, reconcile_queue.pick(entries, district.code)
    )
    descriptors.show(rubric, case.item)
    reconcile_item.flags(case)
    reconcile_item.ratings(case)
    reconcile_item.linked_evidence(case)
    discussion.show(case)
    if decision_form.current(case, phase):
        consensus.show(case, reviewer=reviewer)
        if actor.has(Role.COORDINATOR):
            adjudication.show(case)
