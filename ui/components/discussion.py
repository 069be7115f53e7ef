"""The reconciliation discussion of an item: the reviewers' messages and a form to post one."""

from __future__ import annotations

import streamlit as st

from review import comments, reconcile
from ui.components.decision_form import Case
from ui.guard import act


def show(case: Case) -> None:
    st.markdown("#### Discussion")
    for message in case.entry.discussion:
        st.text(f"{message.author} · {message.at:%Y-%m-%d %H:%M}\n{message.body}")
    if not case.entry.discussion:
        st.caption("No messages yet.")
    slot = case.slot
    with st.form(f"recon_discuss_form_{slot}", clear_on_submit=True):
        body = st.text_area("Message", key=f"recon_discuss_{slot}", max_chars=comments.MAX_COMMENT)
        if st.form_submit_button("Post", key=f"recon_post_{slot}"):
            act(
                lambda s: reconcile.discuss(
                    s,
                    case.actor,
                    case.cycle,
                    case.rubric,
                    district_id=case.district.id,
                    item_id=case.entry.item,
                    body=body,
                ),
                done="Posted to the discussion.",
                rerun=True,
            )
