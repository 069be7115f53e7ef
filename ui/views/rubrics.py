"""Coordinators: browse rubric versions, what changed between two, and author one in Excel."""

import streamlit as st

from review.rubrics import diff
from ui import context, state
from ui.components import descriptors, rubric_workbook
from ui.guard import shown_errors
from ui.markup import inert


def render() -> None:
    actor = state.signed_in()
    st.title("Rubrics")
    state.show_flash()
    with shown_errors():
        rubrics = {r.key: r for r in context.rubric_versions()}
        published = context.catalogue().published()
        keys = sorted(rubrics)
        key = st.selectbox("Version", keys, index=len(keys) - 1, key="rubric_version")
        rubric = rubrics[key]
        st.caption(
            f"{rubric.title} · school year {rubric.school_year} · "
            f"{'published' if key in published else 'draft'} · {len(rubric.items)} items · "
            f"meets at level {rubric.compliance.meets}"
        )
        descriptors.show_version_notes(rubric)
        browse, compare, excel = st.tabs(
            ["Items", "Compare versions", "Excel"], key="rubrics_tab", on_change="rerun"
        )
        with browse:
            for item in rubric.items:
                with st.expander(inert(f"{item.id} · {item.title}")):
                    descriptors.show(rubric, item)
        with compare:
            left, right = st.columns(2)
            old_key = left.selectbox("From", keys, index=0, key="diff_old")
            new_key = right.selectbox("To", keys, index=len(keys) - 1, key="diff_new")
            changes = diff(rubrics[old_key], rubrics[new_key])
            st.write(f"{len(changes)} change(s) from {old_key} to {new_key}")
            st.dataframe(
                [{"Change": c.kind, "Item": c.item, "Detail": c.detail} for c in changes],
                hide_index=True,
                width="stretch",
            )
        with excel:
            rubric_workbook.show(actor, rubric)
