"""Coordinators: a rubric version as an Excel workbook, and an edited one published anew."""

from __future__ import annotations

from functools import partial

import streamlit as st

from review import rubric_store
from review.access import Actor
from review.rubric_import import Preview, preview_import
from review.rubric_workbook import write_workbook
from review.rubrics import Rubric
from review.workbook_checks import WorkbookProblems, problems_csv, shown
from ui import context
from ui.guard import act, shown_errors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_PROBLEMS = 20


def show(actor: Actor, rubric: Rubric) -> None:
    """Download `rubric` as a workbook; upload an edited one, see its problems or its changes,
    then publish it as a new version."""
    st.download_button(
        f"Download {rubric.key} as a workbook",
        data=partial(write_workbook, rubric),  # built only when clicked
        file_name=f"{rubric.id}_{rubric.version}.xlsx",
        mime=XLSX,
        key="rubric_workbook_download",
        on_click="ignore",
    )
    upload = st.file_uploader("Edited workbook", type=["xlsx"], key="rubric_workbook_upload")
    key = st.text_input(
        "Publish as version", placeholder=f"{rubric.id}@…", key="rubric_workbook_version"
    ).strip()
    if upload is None or not key:
        st.caption("Upload an edited workbook and name its new version to see what would change.")
        return
    with shown_errors():
        preview = _preview(upload.getvalue(), key, shown(upload.name))
        if preview is not None and st.button(
            f"Publish as {preview.rubric.key}", type="primary", key="rubric_workbook_publish"
        ):
            catalogue = context.catalogue()
            act(
                lambda s: rubric_store.publish(
                    s, actor, catalogue, preview.rubric, based_on=preview.based_on.key
                ),
                done=f"Published {preview.rubric.key}.",
                rerun=True,
                clear=("rubric_workbook_version",),
            )


def _preview(data: bytes, key: str, name: str) -> Preview | None:
    try:
        preview = preview_import(context.catalogue(), data, key)
    except WorkbookProblems as exc:
        st.error(f"{name}: {exc}")
        st.dataframe(
            [
                {"Sheet": p.sheet, "Row": p.row, "Column": p.column, "Problem": p.message}
                for p in exc.problems[:SHOWN_PROBLEMS]
            ],
            hide_index=True,
            width="stretch",
            key="rubric_workbook_problems",
        )
        st.download_button(
            "Download every problem (CSV)",
            data=problems_csv(exc.problems),
            file_name=f"{name}.problems.csv",
            mime="text/csv",
            key="rubric_workbook_problems_csv",
            on_click="ignore",
        )
        return None
    st.write(
        f"{len(preview.changes)} change(s) from {preview.based_on.key} to {preview.rubric.key}"
    )
    st.dataframe(
        [{"Change": c.kind, "Item": c.item, "Detail": c.detail} for c in preview.changes],
        hide_index=True,
        width="stretch",
        key="rubric_workbook_changes",
    )
    return preview
