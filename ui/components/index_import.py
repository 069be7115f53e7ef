"""Coordinators: upload a cycle's index results, see what they change, then apply them."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session
from streamlit.runtime.uploaded_file_manager import UploadedFile

from review import cycles
from review.access import Actor
from review.db import Cycle
from review.index.catalogue import SpecCatalogue
from review.index.cycle_import import ImportPreview, apply_import, preview_import
from review.index.importer import parse_results_file
from ui import context
from ui.guard import act, shown_errors
from ui.markup import inert

PREVIEW = "index_import_preview"


def show(actor: Actor, cycle: Cycle) -> None:
    """The upload, the preview of what it changes, and Apply (only for the preview shown)."""
    st.markdown(
        f"**Index results of cycle {cycle.name}**: long-form CSV or XLSX (`school_id, "
        "school_name, district_id, school_type, year, metric, group, n, value`, optionally "
        "`designation`). Only the districts and years in the file are replaced."
    )
    upload = st.file_uploader("Index results file", type=["csv", "xlsx"], key="index_file")
    replace = st.checkbox(
        "Replace the whole cycle: remove every district and year the file does not have",
        key="index_replace_cycle",
    )
    if upload is None:
        st.session_state.pop(PREVIEW, None)
        return
    if st.button("Preview", key="index_preview"):
        st.session_state.pop(PREVIEW, None)
        with shown_errors():
            st.session_state[PREVIEW] = (upload.file_id, _preview(actor, cycle, upload, replace))
    shown = st.session_state.get(PREVIEW)
    # A preview stands only for the file and the choice it was made from.
    if shown is None or shown[0] != upload.file_id or shown[1].replace_cycle != replace:
        return
    _preview_table(shown[1])
    if st.button("Apply", key="index_apply", type="primary"):
        st.session_state.pop(PREVIEW, None)
        act(
            lambda s: _apply(s, actor, cycle, upload, shown[1]),
            done=lambda done: f"Imported {done.summary()}",
            rerun=True,
        )


def _specs() -> SpecCatalogue:
    return SpecCatalogue(context.settings().index_specs_dir)


def _preview(actor: Actor, cycle: Cycle, upload: UploadedFile, replace: bool) -> ImportPreview:
    file = parse_results_file(upload.getvalue(), file_name=upload.name)
    with context.database().reading() as s:
        current = cycles.get_cycle(s, cycle.name)
        return preview_import(s, actor, current, file, replace_cycle=replace, specs=_specs())


def _apply(
    s: Session, actor: Actor, cycle: Cycle, upload: UploadedFile, preview: ImportPreview
) -> ImportPreview:
    file = parse_results_file(upload.getvalue(), file_name=upload.name)
    return apply_import(
        s,
        actor,
        cycles.get_cycle(s, cycle.name),
        file,
        replace_cycle=preview.replace_cycle,
        specs=_specs(),
        expected=preview,  # refused if the cycle's results changed since it was shown
    )


def _preview_table(preview: ImportPreview) -> None:
    st.info(f"Preview, nothing changed yet: {inert(preview.summary())}")
    st.dataframe(
        [
            {
                "District": c.district_id,
                "Year": c.year,
                "Added": c.added,
                "Changed": c.changed,
                "Removed": c.removed,
                "Unchanged": c.unchanged,
            }
            for c in preview.changes
        ],
        hide_index=True,
        width="stretch",
    )
