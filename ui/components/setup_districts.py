"""Cycle setup, the districts: every district with its schools as the index data count them,
a form to add or update one, and an upload that is previewed before it is applied."""

from __future__ import annotations

import streamlit as st

from review import cycles, roster
from review.access import Actor
from review.db import Cycle
from review.index.counts import district_figures, shown
from ui import context
from ui.guard import act, shown_errors
from ui.markup import inert

PREVIEW = "districts_preview"


def show(actor: Actor, cycle: Cycle | None) -> None:
    """The Districts tab."""
    _table(actor, cycle)
    _form(actor)
    _upload(actor)


def _table(actor: Actor, cycle: Cycle | None) -> None:
    """Every district, with its schools and designations as the chosen cycle's index data has
    them (counted, never typed)."""
    with context.database().reading() as s:
        districts = cycles.list_districts(s, actor)
    counts = context.school_counts(cycle) if cycle is not None else {}
    if cycle is None:
        st.caption("Choose a cycle to see each district's schools from its index data.")
    else:
        years = sorted({c.year for c in counts.values()})
        source = f"index data {', '.join(years)}" if years else "no index data imported yet"
        st.caption(
            f"Schools and priority/focus/reward schools: cycle {inert(cycle.name)}, {source}."
        )
    st.dataframe(
        [
            {
                "Code": d.code,
                "Name": d.name,
                "Students": d.enrollment,
                **{
                    label.title(): shown(n)
                    for label, n in district_figures(counts.get(d.code)).items()
                },
            }
            for d in districts
        ],
        hide_index=True,
        width="stretch",
    )


def _form(actor: Actor) -> None:
    """Add a district, or update the one with the code typed."""
    with st.form("district"):
        st.markdown("**Add or update a district**")
        left, middle, right = st.columns(3)
        code = left.text_input("Code", key="district_code")
        title = middle.text_input("Name", key="district_name")
        enrollment = int(
            right.number_input("Students", min_value=0, step=1, key="district_enrollment")
        )
        if st.form_submit_button("Save district"):
            act(
                lambda s: cycles.save_district(
                    s, actor, code=code, name=title, enrollment=enrollment
                ),
                done=f"District {code} saved.",
                rerun=True,
            )


def _upload(actor: Actor) -> None:
    """Upload districts, Preview what they add and change, then Apply exactly that."""
    upload = st.file_uploader(
        "Or upload districts (CSV or XLSX with columns code, name, enrollment)",
        type=["csv", "xlsx"],
        key="districts_file",
    )
    if upload is None:
        st.session_state.pop(PREVIEW, None)
        return
    if st.button("Preview", key="preview_districts"):
        st.session_state.pop(PREVIEW, None)
        with shown_errors():
            parsed = roster.parse_districts(upload.getvalue(), upload.name)
            with context.database().reading() as s:
                made = roster.preview_districts(s, actor, parsed, upload.getvalue())
            st.session_state[PREVIEW] = (upload.file_id, made, parsed.note)
    kept = st.session_state.get(PREVIEW)
    if kept is None or kept[0] != upload.file_id:
        return  # a preview stands only for the file it was made from
    preview: roster.DistrictsPreview = kept[1]
    st.info(f"Preview, nothing saved yet: {inert(preview.summary())}")
    if kept[2]:
        st.caption(inert(kept[2]))
    st.dataframe(
        [
            {
                "Code": c.code,
                "Was": "new" if c.before is None else f"{c.before.name}, {c.before.enrollment}",
                "Becomes": f"{c.after.name}, {c.after.enrollment}",
            }
            for c in preview.changes
        ],
        hide_index=True,
        width="stretch",
    )
    if st.button("Apply", key="import_districts", type="primary"):
        st.session_state.pop(PREVIEW, None)
        note = f" {kept[2]}" if kept[2] else ""
        act(
            lambda s: roster.apply_districts(
                s,
                actor,
                roster.parse_districts(upload.getvalue(), upload.name),
                upload.getvalue(),
                preview,
            ),
            done=lambda done: f"Imported {done.summary()}.{note}",
            rerun=True,
        )
