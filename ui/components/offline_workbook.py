"""Work offline: download the self-evaluation as a workbook, upload it filled in, preview, apply."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session

from review.access import Actor
from review.db import Cycle
from review.offline.selfeval import OfflineImport, Status, apply_import, export_workbook
from review.offline.selfeval import preview_import as preview
from review.offline.workbook import read_workbook
from review.rubrics import Rubric
from ui import context
from ui.guard import act, shown_errors
from ui.markup import inert

PREPARED = "offline_workbook_prepared"
PREVIEW = "offline_workbook_preview"
RESULT = "offline_workbook_result"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def show(actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int, *, editable: bool) -> None:
    """The download, and (while the self-evaluation is a draft) the upload, preview and Apply."""
    with st.expander("Work offline: download a workbook, fill it in, upload it"):
        _download(actor, cycle, rubric, district_id)
        if editable:
            _upload(actor, cycle, rubric, district_id)


def _download(actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int) -> None:
    st.caption(
        "The workbook lists every item with its descriptors, a level drop-down, the narrative "
        "and the evidence already linked. Upload it when it is filled in: you will see what "
        "changes before anything is saved, and an item someone saved here since your download "
        "is not overwritten."
    )
    if st.button("Prepare the workbook", key="offline_prepare"):
        with shown_errors(), context.database().reading() as s:
            st.session_state[PREPARED] = export_workbook(s, actor, cycle, rubric, district_id)
    prepared = st.session_state.get(PREPARED)
    if prepared is not None:
        st.download_button(
            f"Download {prepared[0]}",
            data=prepared[1],
            file_name=prepared[0],
            mime=XLSX,
            key="offline_download",
        )


def _upload(actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int) -> None:
    upload = st.file_uploader("Filled-in workbook", type=["xlsx"], key="offline_file")
    if upload is None:
        st.session_state.pop(PREVIEW, None)
        _result(st.session_state.get(RESULT))
        return
    if st.button("Preview", key="offline_preview"):
        st.session_state.pop(PREVIEW, None)
        st.session_state.pop(RESULT, None)
        with shown_errors():
            workbook = read_workbook(upload.getvalue(), upload.name)
            with context.database().reading() as s:
                shown = preview(s, actor, cycle, rubric, district_id, workbook)
            st.session_state[PREVIEW] = (upload.file_id, shown)
    _result(st.session_state.get(RESULT))
    shown_preview = st.session_state.get(PREVIEW)
    if shown_preview is None or shown_preview[0] != upload.file_id:
        return  # a preview stands only for the file it was made from
    _table(shown_preview[1])
    if st.button("Apply", key="offline_apply", type="primary"):
        st.session_state.pop(PREVIEW, None)

        def work(s: Session) -> OfflineImport:
            workbook = read_workbook(upload.getvalue(), upload.name)
            return apply_import(s, actor, cycle, rubric, district_id, workbook)

        done = act(work)
        if done is not None:
            for item in done.items:
                if item.status == Status.CHANGE:
                    _forget_form(item.item_id)
            st.session_state[RESULT] = done
            st.rerun()


def _forget_form(item_id: str) -> None:
    """The page's form holds the version and text it read; after an import it reads afresh."""
    for key in (f"self_version_{item_id}", f"self_narrative_{item_id}", f"self_level_{item_id}"):
        st.session_state.pop(key, None)


def _table(result: OfflineImport) -> None:
    st.info(f"Preview, nothing saved yet: {inert(result.summary())}")
    st.dataframe(
        [
            {
                "Item": item.item_id,
                "What happens": str(item.status),
                "Level now": item.old_level,
                "Level in the workbook": item.new_level,
                "Narrative now": item.old_narrative,
                "Narrative in the workbook": item.new_narrative,
            }
            for item in result.items
        ],
        hide_index=True,
        width="stretch",
    )
    _refused(result)


def _result(result: OfflineImport | None) -> None:
    if result is None:
        return
    st.success(f"Imported {inert(result.summary())}")
    _refused(result)


def _refused(result: OfflineImport) -> None:
    for item in result.items:
        if item.status != Status.REFUSED or item.theirs is None:
            continue
        level = item.theirs.get("level") or "not rated"
        st.warning(
            f"{inert(item.item_id)}: saved by someone else since your download (their level "
            f"{level}); your workbook's text for it is not saved. Theirs:"
        )
        st.text(str(item.theirs.get("narrative", "")))
