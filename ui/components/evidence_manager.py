"""The evidence of one item on the Self-evaluation page, and every file of the district, managed.

An editor uploads and links files, unlinks a file from the item, edits its description, replaces
its bytes (links and description kept), and removes a file nothing links. Each change names the
version of the file the page showed before the click, so a change someone else made meanwhile
is refused rather than undone (`review.evidence`).
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy.orm import Session

from review import evidence
from review.access import Actor
from review.db import Cycle
from review.evidence import EvidenceFile
from review.rubrics import Item, Rubric
from ui import context
from ui.components import evidence_view
from ui.guard import act
from ui.markup import inert

UPLOAD_TYPES = "PDF, PNG, JPEG, DOCX, XLSX, PPTX, CSV or TXT"
# Part of every uploader's key: a new value after a saved upload or replacement gives empty
# uploaders, since a file uploader cannot be emptied through session_state.
ROUND = "evidence_round"


def show(
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    *,
    district_id: int,
    item: Item,
    files: list[EvidenceFile],
    editable: bool,
) -> None:
    """The item's files with their actions, the uploader, and the district's file list."""
    st.subheader("Evidence")
    seen = {f.id: _seen(f) for f in files}
    linked = [f for f in files if item.id in f.items]
    for file in linked:
        with st.container(key=f"ev_file_{item.id}_{file.id}"):
            evidence_view.show(file, actor, cycle, key="self")
            _linked_to(file)
            if editable:
                _actions(actor, cycle, item, file, seen[file.id])
    if not linked:
        st.caption("No evidence linked to this item yet.")
    if editable:
        _upload(actor, cycle, rubric, district_id, item)
        _link_existing(actor, cycle, item, [f for f in files if item.id not in f.items])
    _district_files(actor, cycle, files, seen, editable)


def _seen(file: EvidenceFile) -> int:
    """The version of `file` the page showed before this run; this run's is kept for the next.

    A click belongs to the page its person saw: a change made by someone else since then is
    refused by the domain instead of being silently built upon.
    """
    key = f"evidence_seen_{file.id}"
    before = st.session_state.get(key, file.row_version)
    st.session_state[key] = file.row_version
    return int(before)


def _round() -> int:
    return int(st.session_state.get(ROUND, 0))


def _next_round(message: str) -> str:
    st.session_state[ROUND] = _round() + 1
    return message


def _linked_to(file: EvidenceFile) -> None:
    where = ", ".join(file.items) if file.items else "no item"
    st.caption(inert(f"{file.file_name} is linked to {where}."))


def _actions(actor: Actor, cycle: Cycle, item: Item, file: EvidenceFile, seen: int) -> None:
    unlink, describe, replace = st.columns(3)
    if unlink.button(
        f"Unlink from {item.id}", key=f"ev_unlink_{item.id}_{file.id}", icon=":material/link_off:"
    ):
        act(
            lambda s: evidence.unlink(s, actor, cycle, file.id, item.id, expected_version=seen),
            done=f"Unlinked {file.file_name} from {item.id}.",
            rerun=True,
        )
    with describe.popover("Edit description", icon=":material/edit:"):
        text = st.text_area(
            "Description of the file",
            value=file.description,
            max_chars=evidence.MAX_DESCRIPTION,
            key=f"ev_description_{file.id}_{file.row_version}",
        )
        if st.button("Save description", key=f"ev_describe_{file.id}"):
            act(
                lambda s: evidence.describe(s, actor, cycle, file.id, text, expected_version=seen),
                done=f"Saved the description of {file.file_name}.",
                rerun=True,
            )
    with replace.popover("Replace file", icon=":material/upload_file:"):
        st.caption("The new file keeps this one's description and links; the old one is kept.")
        new = st.file_uploader(
            f"New file ({UPLOAD_TYPES})", key=f"ev_replace_upload_{file.id}_{_round()}"
        )
        if st.button("Replace", key=f"ev_replace_{file.id}", disabled=new is None):
            assert new is not None
            _replace(actor, cycle, file, new.name, new.getvalue(), seen)


def _replace(
    actor: Actor, cycle: Cycle, file: EvidenceFile, name: str, data: bytes, seen: int
) -> None:
    act(
        lambda s: evidence.replace(
            s,
            context.settings(),
            actor,
            cycle,
            file.id,
            file_name=name,
            data=data,
            expected_version=seen,
        ),
        done=lambda new: _next_round(f"Replaced {file.file_name} with {new.file_name}."),
        rerun=True,
    )


def _upload(actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int, item: Item) -> None:
    number = _round()
    upload = st.file_uploader(f"Upload a file ({UPLOAD_TYPES})", key=f"upload_{item.id}_{number}")
    description = st.text_input(
        "What the file shows",
        key=f"upload_description_{item.id}_{number}",
        max_chars=evidence.MAX_DESCRIPTION,
    )
    if st.button("Upload and link", key=f"upload_button_{item.id}", disabled=upload is None):
        assert upload is not None
        act(
            lambda s: evidence.add_evidence(
                s,
                context.settings(),
                actor,
                cycle,
                rubric,
                district_id=district_id,
                file_name=upload.name,
                data=upload.getvalue(),
                description=description,
                items=(item.id,),
            ),
            done=lambda added: _next_round(
                f"Uploaded {added.file_name} and linked it to {item.id}."
            ),
            rerun=True,
        )


def _link_existing(actor: Actor, cycle: Cycle, item: Item, others: list[EvidenceFile]) -> None:
    if not others:
        return
    names = {f.id: f.file_name for f in others}
    chosen = st.multiselect(
        "Link files already uploaded",
        list(names),
        key=f"link_{item.id}",
        format_func=names.__getitem__,
    )
    if st.button("Link", key=f"link_button_{item.id}", disabled=not chosen):

        def link(s: Session) -> None:
            for evidence_id in chosen:
                evidence.link_existing(s, actor, cycle, evidence_id, (item.id,))

        act(link, done=f"Linked {len(chosen)} file(s) to {item.id}.", rerun=True)


def _district_files(
    actor: Actor, cycle: Cycle, files: list[EvidenceFile], seen: dict[int, int], editable: bool
) -> None:
    """Every file of the district with the items it is linked to; unlinked ones can go."""
    if not files:
        return
    with st.expander(f"All files of the district ({len(files)})", key="ev_all_files"):
        if not editable:
            st.caption("The self-evaluation is submitted: its evidence can no longer change.")
        for file in files:
            name, action = st.columns([4, 1], vertical_alignment="center")
            name.text(f"{file.file_name} · linked to {', '.join(file.items) or 'no item'}")
            if file.description:
                name.text(file.description)
            if editable and not file.items:
                with action:
                    _remove_button(actor, cycle, file, seen[file.id])


def _remove_button(actor: Actor, cycle: Cycle, file: EvidenceFile, seen: int) -> None:
    if st.button("Remove", key=f"ev_remove_{file.id}", icon=":material/delete:"):
        act(
            lambda s: evidence.remove(s, actor, cycle, file.id, expected_version=seen),
            done=f"Removed {file.file_name}; nothing links it any more.",
            rerun=True,
        )
