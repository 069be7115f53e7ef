"""An item's prompt and every level descriptor side by side."""

from __future__ import annotations

import streamlit as st

from review.rubrics import Item, Rubric


def show(rubric: Rubric, item: Item) -> None:
    st.markdown(f"**{item.id} · {item.title}**")
    st.write(rubric.text(item.prompt))
    columns = st.columns(len(rubric.scale), border=True)
    for column, level in zip(columns, sorted(rubric.scale, key=lambda s: s.level), strict=True):
        with column:
            st.markdown(f"**{level.level} · {level.label}**")
            st.write(rubric.text(item.descriptors[level.level]))
            exemplar = item.exemplars.get(level.level)
            if exemplar:
                st.caption(f"Example: {exemplar}")
    if item.evidence_expectations:
        needed = "required" if item.evidence_required else "welcome"
        st.caption(f"Evidence ({needed}): " + "; ".join(item.evidence_expectations))


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
    return "N/A" if not_applicable else ("–" if level is None else str(level))


def choice_for(rubric: Rubric, level: int | None, not_applicable: bool) -> str:
    if not_applicable:
        return "Not applicable"
    return "Not rated" if level is None else rubric.label(level)
