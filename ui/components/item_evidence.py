"""The evidence of one item: the files linked to it, and for the district, uploading and linking."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
from sqlalchemy.orm import Session

from review import carry, evidence
from review.access import Actor
from review.db import Cycle
from review.evidence import EvidenceFile
from review.rubrics import Item, Rubric
from ui import context
from ui.components import evidence_view
from ui.guard import act


def linked(
    files: Sequence[EvidenceFile],
    item: Item,
    actor: Actor,
    cycle: Cycle,
    *,
    key: str,
    empty: str | None = None,
) -> None:
    """The files linked to `item`, each previewed once opened; `empty` is said when none is."""
    shown = [f for f in files if item.id in f.items]
    for file in shown:
        evidence_view.show(file, actor, cycle, key=key)
    if not shown and empty:
        st.caption(empty)


def upload(
    files: Sequence[EvidenceFile],
    item: Item,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    *,
    district_id: int,
    earlier: Cycle | None,
) -> None:
    """The district adds evidence to `item`: a new file, files already uploaded, or last cycle's."""
    chosen = st.file_uploader(
        "Upload a file (PDF, PNG, JPEG, DOCX, XLSX, PPTX, CSV or TXT)", key=f"upload_{item.id}"
    )
    description = st.text_input("What the file shows", key=f"upload_description_{item.id}")
    if st.button("Upload and link", key=f"upload_button_{item.id}", disabled=chosen is None):
        assert chosen is not None
        act(
            lambda s: evidence.add_evidence(
                s,
                context.settings(),
                actor,
                cycle,
                rubric,
                district_id=district_id,
                file_name=chosen.name,
                data=chosen.getvalue(),
                description=description,
                items=(item.id,),
            ),
            done=lambda added: f"Uploaded {added.file_name} and linked it to {item.id}.",
            rerun=True,
        )
    _link_existing([f for f in files if item.id not in f.items], item, actor, cycle)
    if earlier is not None:
        _carry_forward(earlier, item, actor, cycle, rubric, district_id=district_id)


def _link_existing(others: Sequence[EvidenceFile], item: Item, actor: Actor, cycle: Cycle) -> None:
    if not others:
        return
    chosen = st.multiselect(
        "Link files already uploaded",
        [f.id for f in others],
        key=f"link_{item.id}",
        format_func=lambda i: next(f.file_name for f in others if f.id == i),
    )
    if st.button("Link", key=f"link_button_{item.id}", disabled=not chosen):

        def link(s: Session) -> None:
            for evidence_id in chosen:
                evidence.link_existing(s, actor, cycle, evidence_id, (item.id,))

        act(link, done=f"Linked {len(chosen)} file(s) to {item.id}.", rerun=True)


def _carry_forward(
    earlier: Cycle, item: Item, actor: Actor, cycle: Cycle, rubric: Rubric, *, district_id: int
) -> None:
    if not st.button(f"Carry forward from {earlier.name}", key=f"carry_{item.id}"):
        return
    st.session_state.pop(f"self_version_{item.id}", None)
    st.session_state.pop(f"self_narrative_{item.id}", None)
    act(
        lambda s: carry.carry_forward(
            s,
            context.settings(),
            actor,
            context.catalogue(),
            cycle,
            rubric,
            district_id=district_id,
            item_id=item.id,
        ),
        done=lambda r: f"Carried forward the narrative and {r[1]} evidence file(s).",
        rerun=True,
    )
