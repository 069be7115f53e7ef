"""An item's prompt and every level descriptor side by side, each saying whose words it is.

Rubric text can be authored in a workbook by a coordinator, so every piece of it is shown
inert: as written, never as Markdown.
"""

from __future__ import annotations

import streamlit as st

from review.rubrics import Item, Rubric
from ui.components.table import NO_VALUE
from ui.markup import inert

NOT_RECORDED = "This version does not record which descriptors are quoted from a source."


def show(rubric: Rubric, item: Item) -> None:
    st.markdown(f"**{inert(item.id)} · {inert(item.title)}**")
    st.markdown(inert(rubric.text(item.prompt)))
    columns = st.columns(len(rubric.scale), border=True)
    for column, level in zip(columns, sorted(rubric.scale, key=lambda s: s.level), strict=True):
        with column:
            st.markdown(f"**{level.level} · {inert(level.label)}**")
            st.markdown(inert(rubric.text(item.descriptors[level.level])))
            words = rubric.provenance(item, level.level)
            if words:
                st.caption(inert(words))
            exemplar = item.exemplars.get(level.level)
            if exemplar:
                st.caption(f"Example: {inert(exemplar)}")
    if item.source_note:
        st.caption(f"About the sources: {inert(rubric.text(item.source_note))}")
    for source_id in sorted({q.source for q in item.quoted.values()}):
        source = rubric.source(source_id)
        st.caption(f"{inert(source.short)}: {inert(source.citation)}")
    if not rubric.provenance_recorded:
        st.caption(NOT_RECORDED)
    if item.evidence_expectations:
        needed = "required" if item.evidence_required else "welcome"
        st.caption(f"Evidence ({needed}): " + inert("; ".join(item.evidence_expectations)))


def show_version_notes(rubric: Rubric) -> None:
    """What the version corrects, and the sources its quoted descriptors come from."""
    if rubric.corrects:
        st.info(f"What this version corrects: {inert(rubric.corrects.summary)}")
    if not rubric.provenance_recorded:
        st.caption(NOT_RECORDED)
        return
    st.caption(
        "Each descriptor says whose words it is: quoted from a published source (cited below) "
        "or written for this product."
    )
    for source in rubric.sources:
        st.caption(f"{inert(source.short)}: {inert(source.citation)}")


def level_options(rubric: Rubric, item: Item) -> list[str]:
    """Choices for a level radio: not rated, each level, and N/A where the item allows it."""
    options = ["Not rated"] + [rubric.label(level) for level in rubric.levels]
    return options + (["Not applicable"] if item.allow_not_applicable else [])


def parse_level(rubric: Rubric, choice: str | None) -> tuple[int | None, bool]:
    """(level, not_applicable) from a radio choice."""
    if choice is None or choice == "Not rated":
        return None, False
    if choice == "Not applicable":
        return None, True
    return int(choice.split(" ", 1)[0]), False


def short_level(level: int | None, not_applicable: bool = False) -> str:
    """A level as a table cell: the number, N/A, or a dash when not rated."""
    return "N/A" if not_applicable else (NO_VALUE if level is None else str(level))


def choice_for(rubric: Rubric, level: int | None, not_applicable: bool) -> str:
    if not_applicable:
        return "Not applicable"
    return "Not rated" if level is None else rubric.label(level)
