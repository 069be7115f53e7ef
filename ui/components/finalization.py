"""Finalization of a district: what still stops it, and the coordinator's Finalize and Reopen.

Once a finalization commits, the district's packet is built and kept (outside any lock).
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
from sqlalchemy.orm import Session

from exports.packet import freeze
from review import reconcile
from review.access import Actor, Phase
from review.db import Cycle, District
from review.rubrics import Rubric
from ui import context, state
from ui.guard import act, shown_errors
from ui.markup import inert


def status(district: District, phase: Phase, blockers: Sequence[str]) -> None:
    """Final, the items that stop finalization, or that nothing does."""
    if phase == Phase.FINAL:
        st.success(f"{inert(district.name)} is final.")
    elif blockers:
        with st.expander(f"{len(blockers)} item(s) stop finalization", expanded=False):
            for blocker in blockers:
                st.text(f"• {blocker}")
    else:
        st.success("Every item is decided: a coordinator can finalize this district.")


def coordinator(
    actor: Actor, cycle: Cycle, rubric: Rubric, district: District, phase: Phase
) -> None:
    """The coordinator's box: Finalize in reconciliation, Reopen (with a reason) once final."""
    code = district.code
    with st.container(border=True):
        st.markdown("**Coordinator**")
        if phase == Phase.RECONCILIATION and st.button(
            "Finalize district", key=f"recon_finalize_{code}", type="primary"
        ):

            def finalize(s: Session) -> bool:
                reconcile.finalize_district(s, actor, cycle, rubric, district_id=district.id)
                return True

            if act(finalize):  # True once committed; None when refused (shown)
                _keep_packet(actor, cycle, district)
        if phase == Phase.FINAL:
            why = st.text_input("Reason for reopening", key=f"recon_reopen_reason_{code}")
            if st.button("Reopen", key=f"recon_reopen_{code}"):
                act(
                    lambda s: reconcile.reopen_district(
                        s, actor, cycle, district_id=district.id, reason=why
                    ),
                    done=f"{district.name} is reopened for reconciliation.",
                    rerun=True,
                )
        if phase not in (Phase.RECONCILIATION, Phase.FINAL):
            st.caption("Nothing to do here until the district is in reconciliation.")


def _keep_packet(actor: Actor, cycle: Cycle, district: District) -> None:
    """Once a finalization has committed, build and keep the district's packet (no lock is
    held while it renders). If that fails, the packet is built when it is first opened."""
    with shown_errors():
        kept = freeze(
            context.database(),
            context.catalogue(),
            cycle_name=cycle.name,
            district_code=district.code,
            index=context.district_summary(cycle, district.code, details=False),
            actor=actor,
        )
        if kept is not None:
            state.flash(
                f"Finalized {district.name}. Its packet is kept as version {kept.version} "
                f"(SHA-256 {kept.sha256[:16]}…) under Review packets."
            )
            st.rerun()
