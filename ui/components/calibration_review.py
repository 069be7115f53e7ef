"""Calibration review: items sent back for the network to look at again, and their outcome.

While an item is under review no district can be finalized; a coordinator resolves it.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from review import reconcile
from review.access import Actor
from review.db import Cycle
from review.reconcile import CalibrationRequest, ItemCalibration
from review.rubrics import Rubric
from ui.components import table
from ui.guard import act


def show(
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    view: ItemCalibration,
    requests: Sequence[CalibrationRequest],
) -> None:
    """The open reviews, the form that sends or resolves this item's, and its earlier ones."""
    open_requests = [r for r in requests if r.open]
    _open(open_requests)
    if any(r.item == view.item for r in open_requests):
        _resolve(actor, cycle, view.item)
    else:
        _send(actor, cycle, rubric, view.item)
    for request in (r for r in view.calibration if not r.open):
        st.text(
            f"Earlier review ({request.requested_at:%Y-%m-%d}, {request.requested_by}): "
            f"{request.reason}\nResolved by {request.resolved_by}: {request.resolution}"
        )


def _open(requests: Sequence[CalibrationRequest]) -> None:
    if not requests:
        st.caption("No item is under calibration review.")
        return
    table.show(
        [
            {
                "Item": r.item,
                "Reason": r.reason,
                "Requested by": r.requested_by,
                "On": f"{r.requested_at:%Y-%m-%d}",
            }
            for r in requests
        ],
        key="calibration_open",
    )


def _send(actor: Actor, cycle: Cycle, rubric: Rubric, item_id: str) -> None:
    reason = st.text_area(
        "Why should the network look at this item again?", key=f"calibration_reason_{item_id}"
    )
    if st.button("Send for calibration review", key=f"calibration_send_{item_id}"):
        act(
            lambda s: reconcile.send_for_calibration(
                s, actor, cycle, rubric, item_id=item_id, reason=reason
            ),
            done=f"{item_id} is under calibration review; no district can be finalized "
            "until it is resolved.",
            rerun=True,
        )


def _resolve(actor: Actor, cycle: Cycle, item_id: str) -> None:
    resolution = st.text_area(
        "What did the review conclude?", key=f"calibration_resolution_{item_id}"
    )
    if st.button("Resolve", key=f"calibration_resolve_{item_id}"):
        act(
            lambda s: reconcile.resolve_calibration(
                s, actor, cycle, item_id=item_id, resolution=resolution
            ),
            done=f"The calibration review of {item_id} is resolved.",
            rerun=True,
        )
