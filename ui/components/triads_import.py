"""Change a cycle's triads, typed or uploaded: Preview what is added, changed and removed, then
Apply exactly that (`roster.preview_triads`, `roster.apply_triads`)."""

from __future__ import annotations

import hashlib

import streamlit as st

from review import cycles, roster
from review.access import Actor
from review.db import Cycle
from ui import context
from ui.components import table
from ui.guard import act, shown_errors
from ui.markup import inert

PREVIEW = "triads_preview"


def show(actor: Actor, cycle: Cycle) -> None:
    st.markdown(
        f"**Change the triads of cycle {inert(cycle.name)}**: one per line, "
        "`Name: CODE, CODE, CODE`"
    )
    text = st.text_area("Triads", key="triads_text", placeholder="North: ALV, CPU, FHU")
    upload = st.file_uploader(
        "Or upload triads (CSV or XLSX with columns triad, district_code)",
        type=["csv", "xlsx"],
        key="triads_file",
    )
    source = upload.name if upload is not None else roster.TYPED
    data = upload.getvalue() if upload is not None else text.encode()
    # A preview stands only for the cycle and the input it was made from.
    made_from = (cycle.name, source, hashlib.sha256(data).hexdigest())
    st.caption(
        "The triads typed or uploaded replace all of the cycle's triads: a triad left out is "
        "removed. Preview shows what changes; nothing is saved until you apply it."
    )
    if st.button("Preview", key="preview_triads"):
        st.session_state.pop(PREVIEW, None)
        with shown_errors():
            triads = _parsed(source, data)
            with context.database().reading() as s:
                made = roster.preview_triads(
                    s, actor, cycles.get_cycle(s, cycle.name), triads, source, data
                )
            st.session_state[PREVIEW] = (made_from, made)
    shown = st.session_state.get(PREVIEW)
    if shown is None or shown[0] != made_from:
        return
    preview: roster.TriadsPreview = shown[1]
    st.info(f"Preview, nothing saved yet: {inert(preview.summary())}")
    table.show(
        [
            {
                "Triad": change.name,
                "Now": ", ".join(change.before) or table.NO_VALUE,
                "Becomes": ", ".join(change.after) or "removed",
            }
            for change in preview.changes
        ]
    )
    if st.button("Apply", key="import_triads", type="primary"):
        st.session_state.pop(PREVIEW, None)
        act(
            lambda s: roster.apply_triads(
                s,
                actor,
                cycles.get_cycle(s, cycle.name),
                _parsed(source, data),
                source,
                data,
                preview,
            ),
            done=lambda done: f"Imported {done.summary()}.",
            rerun=True,
        )


def _parsed(source: str, data: bytes) -> dict[str, list[str]]:
    if source == roster.TYPED:
        return roster.parse_triad_text(data.decode())
    return roster.parse_triads(data, source)
