"""Work offline: download ratings as a workbook, upload it filled in, preview, apply.

One component for every kind of offline workbook: `Offline` says which (the district's
self-evaluation here, a reviewer's peer ratings in `offline_peer`), how it is exported,
previewed and applied, and which keys the page's rating form holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from sqlalchemy.orm import Session

from review.access import Actor
from review.db import Cycle
from review.offline import selfeval
from review.offline.imports import OfflineImport, Status
from review.offline.workbook import SELF_EVALUATION, FilledWorkbook, Layout, read_workbook
from review.rubrics import Rubric
from ui import context
from ui.guard import act, shown_errors
from ui.markup import inert

PREPARED = "offline_workbook_prepared"
PREVIEW = "offline_workbook_preview"
RESULT = "offline_workbook_result"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Export = Callable[[Session, Actor, Cycle, Rubric, int], tuple[str, bytes]]
Import = Callable[[Session, Actor, Cycle, Rubric, int, FilledWorkbook], OfflineImport]


@dataclass(frozen=True)
class Offline:
    """One kind of offline workbook on a page.

    Widget keys are `<widgets>_prepare`, `_file`, `_preview`, `_apply`; what the component
    keeps between runs is under `<state>_prepared`, `_preview`, `_result`.
    """

    layout: Layout
    export: Export
    preview: Import
    apply: Import
    widgets: str
    state: str
    caption: str
    form_keys: Callable[[str], tuple[str, ...]]  # item id -> the page form's keys for it


SELF = Offline(
    layout=SELF_EVALUATION,
    export=selfeval.export_workbook,
    preview=selfeval.preview_import,
    apply=selfeval.apply_import,
    widgets="offline",
    state="offline_workbook",
    caption=(
        "The workbook lists every item with its descriptors, a level drop-down, the narrative "
        "and the evidence already linked. Upload it when it is filled in: you will see what "
        "changes before anything is saved, and an item someone saved here since your download "
        "is not overwritten."
    ),
    form_keys=lambda item_id: (
        f"self_version_{item_id}",
        f"self_narrative_{item_id}",
        f"self_level_{item_id}",
    ),
)


def show(actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int, *, editable: bool) -> None:
    """The self-evaluation's download and (while it is a draft) upload, preview and Apply."""
    offer(SELF, actor, cycle, rubric, district_id, editable=editable)


def offer(
    kind: Offline,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    district_id: int,
    *,
    editable: bool,
) -> None:
    """The download, and (while the ratings may change) the upload, preview and Apply."""
    with st.expander("Work offline: download a workbook, fill it in, upload it"):
        _download(kind, actor, cycle, rubric, district_id)
        if editable:
            _upload(kind, actor, cycle, rubric, district_id)


def _download(kind: Offline, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int) -> None:
    st.caption(kind.caption)
    prepared_key = f"{kind.state}_prepared"
    if st.button("Prepare the workbook", key=f"{kind.widgets}_prepare"):
        with shown_errors(), context.database().reading() as s:
            st.session_state[prepared_key] = kind.export(s, actor, cycle, rubric, district_id)
    prepared = st.session_state.get(prepared_key)
    if prepared is not None:
        st.download_button(
            f"Download {prepared[0]}",
            data=prepared[1],
            file_name=prepared[0],
            mime=XLSX,
            key=f"{kind.widgets}_download",
        )


def _upload(kind: Offline, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int) -> None:
    preview_key, result_key = f"{kind.state}_preview", f"{kind.state}_result"
    upload = st.file_uploader("Filled-in workbook", type=["xlsx"], key=f"{kind.widgets}_file")
    if upload is None:
        st.session_state.pop(preview_key, None)
        _result(st.session_state.get(result_key))
        return
    if st.button("Preview", key=f"{kind.widgets}_preview"):
        st.session_state.pop(preview_key, None)
        st.session_state.pop(result_key, None)
        with shown_errors():
            workbook = read_workbook(upload.getvalue(), upload.name, kind.layout)
            with context.database().reading() as s:
                shown = kind.preview(s, actor, cycle, rubric, district_id, workbook)
            st.session_state[preview_key] = (upload.file_id, shown)
    _result(st.session_state.get(result_key))
    shown_preview = st.session_state.get(preview_key)
    if shown_preview is None or shown_preview[0] != upload.file_id:
        return  # a preview stands only for the file it was made from
    _table(shown_preview[1])
    if st.button("Apply", key=f"{kind.widgets}_apply", type="primary"):
        st.session_state.pop(preview_key, None)

        def work(s: Session) -> OfflineImport:
            workbook = read_workbook(upload.getvalue(), upload.name, kind.layout)
            return kind.apply(s, actor, cycle, rubric, district_id, workbook)

        done = act(work)
        if done is not None:
            for item in done.items:
                if item.status == Status.CHANGE:
                    # The page's form holds the version and text it read: it reads afresh.
                    for key in kind.form_keys(item.item_id):
                        st.session_state.pop(key, None)
            st.session_state[result_key] = done
            st.rerun()


def _table(result: OfflineImport) -> None:
    st.info(f"Preview, nothing saved yet: {inert(result.summary())}")
    st.dataframe(
        [
            {
                "Item": item.item_id,
                "What happens": str(item.status),
                "Level now": item.old_level,
                "Level in the workbook": item.new_level,
                **{
                    label: text
                    for name, old, new in zip(
                        result.texts, item.old_texts, item.new_texts, strict=True
                    )
                    for label, text in ((f"{name} now", old), (f"{name} in the workbook", new))
                },
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
        # The saved rating's texts in the order of the workbook's text columns.
        for name, field in zip(result.texts, ("narrative", "suggestions"), strict=False):
            text = str(item.theirs.get(field, ""))
            if len(result.texts) > 1:
                st.caption(name)
            st.text(text)
