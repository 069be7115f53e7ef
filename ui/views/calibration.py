"""Calibration: one item across the whole network, agreement statistics and calibration reviews.

Every statistic is shown with the n it rests on, and labelled "few ratings" when n is small.
"""

import streamlit as st

from review import reconcile
from ui import context, state
from ui.components import (
    calibration_agreement,
    calibration_districts,
    calibration_review,
    descriptors,
)
from ui.components import cycle as cycle_picker


def render() -> None:
    actor = state.signed_in()
    st.title("Calibration")
    state.show_flash()
    cycle, rubric = cycle_picker.current()
    item_id = calibration_districts.choose_item(rubric)
    with context.database().reading() as s:
        view = reconcile.calibration_view(s, actor, cycle, rubric, item_id)
        requests = reconcile.calibration_requests(s, actor, cycle)
    calibration_districts.show(cycle, view)
    with st.expander("Level descriptors"):
        descriptors.show(rubric, rubric.item(view.item))

    st.header(f"Agreement on {view.item}")
    calibration_agreement.show(view.agreement, "calibration_item")
    with st.expander("Agreement across the network (every item)"):
        calibration_agreement.network(actor, cycle, rubric)

    st.header("Calibration review")
    calibration_review.show(actor, cycle, rubric, view, requests)
