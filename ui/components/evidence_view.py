"""Evidence shown in the page: PDF pages, images, tables and text, plus a download."""

from __future__ import annotations

import logging

import streamlit as st

from review import evidence
from review.access import Actor
from review.db import Cycle
from review.evidence import EvidenceFile
from review.preview import Preview, preview
from ui import context
from ui.markup import inert

log = logging.getLogger("review.ui")


@st.cache_resource(show_spinner=False, max_entries=256)
def _preview(sha256: str, media_type: str, _data: bytes) -> Preview:
    # Keyed by content hash: the same bytes always give the same preview, and parsing a PDF
    # or workbook on every rerun was most of the peer-review page's time.
    return preview(_data, media_type)


def show(file: EvidenceFile, actor: Actor, cycle: Cycle, *, key: str) -> None:
    """One file as an expander; its bytes are read and previewed only while it is open.

    A reviewer opens one or two files of an item; reading and rendering every file on every
    rerun made the page pay for all of them.
    """
    size = f"{file.size / 1024:.0f} KB" if file.size >= 1024 else f"{file.size} B"
    box = st.expander(
        f"{inert(file.file_name)} · {size}",
        icon=":material/attach_file:",
        key=f"evidence_{key}_{file.id}",
        on_change="rerun",
    )
    if not box.open:
        return
    with box:
        if file.description:
            st.text(file.description)
        with context.database().reading() as session:
            data = evidence.read_evidence(session, actor, cycle, file.id)
        _render(file, data, key=key)


def _render(file: EvidenceFile, data: bytes, *, key: str) -> None:
    """The Download button, then the preview: a preview that fails never hides the file."""
    st.download_button(
        "Download",
        data,
        file_name=file.file_name,
        mime=file.media_type,
        key=f"download_{key}_{file.id}",
    )
    shown = _preview(file.sha256, file.media_type, data)
    try:
        _show(shown, data)
    except Exception:  # noqa: BLE001 - e.g. an image whose header read well but body does not
        log.exception("evidence preview of %s failed", file.sha256)
        st.caption("No preview: the file could not be shown here; download it to read it.")
        return
    if shown.note:
        st.caption(shown.note)


def _show(shown: Preview, data: bytes) -> None:
    if shown.kind == "image":
        st.image(data)
    elif shown.kind == "pages":
        for number, text in enumerate(shown.pages, start=1):
            st.markdown(f"*Page {number}*")
            st.text(text or "(no text on this page)")
    elif shown.kind == "table":
        if shown.title:
            st.text("\n".join(shown.title))
        st.dataframe(
            {
                h or f"column {i + 1}": [r[i] for r in shown.rows]
                for i, h in enumerate(shown.header)
            },
            hide_index=True,
        )
    elif shown.kind == "text":
        st.text(shown.text)
