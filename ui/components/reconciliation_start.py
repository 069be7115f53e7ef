"""'Start reconciliation': the explicit step that locks a district's peer ratings, confirmed.

Shown while a district is in peer review, to its peer reviewers and the coordinators: whose
ratings are submitted, and a button that starts only after its reader confirms what it locks.
"""

from __future__ import annotations

import streamlit as st

from review import peer_sets, reconcile
from review.access import Actor
from review.db import Cycle, District
from review.rubrics import Rubric
from ui import context
from ui.components import table
from ui.guard import act


def show(actor: Actor, cycle: Cycle, rubric: Rubric, district: District) -> None:
    """The section for a district in peer review."""
    with context.database().reading() as s:
        sets = peer_sets.rating_sets(s, actor, cycle, rubric, district.id)
    with st.container(border=True, key=f"recon_start_section_{district.code}"):
        st.markdown("**Start reconciliation**")
        table.show(
            [
                {
                    "Reviewer": one.rater,
                    "Ratings": peer_sets.SET_LABELS[one.status],
                    "Items rated": table.cell(one.rated),
                }
                for one in sets
            ],
            key=f"recon_sets_{district.code}",
        )
        waiting = [one.rater for one in sets if not one.submitted]
        if waiting:
            st.info(
                f"Waiting for {', '.join(waiting)} to submit their ratings; reconciliation "
                "starts once every reviewing district has submitted."
            )
            return
        locks = reconcile.what_it_locks(district.name)
        st.text(f"Starting reconciliation locks {locks}. Items are then decided one by one.")
        sure = st.checkbox(
            f"I understand: this locks {locks}.", key=f"recon_start_sure_{district.code}"
        )
        if st.button(
            "Start reconciliation",
            key=f"recon_start_{district.code}",
            type="primary",
            disabled=not sure,
        ):
            act(
                lambda s: reconcile.start_reconciliation(
                    s, actor, cycle, rubric, district_id=district.id
                ),
                done=f"{district.name} is now in reconciliation; its peer ratings are locked.",
                rerun=True,
            )
