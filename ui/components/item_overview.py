"""Every item of a district in one table, each row opening its item in the page's picker."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from review.overview import ItemLine
from review.rubrics import Rubric
from ui.components import item_picker
from ui.components.descriptors import short_level
from ui.components.table import NO_VALUE

_WIDTHS = (2, 3.3, 1, 1.7, 1.3, 1.4)


def self_status(line: ItemLine) -> str:
    """A self-evaluation item's status in words: what it still needs, or that it is complete."""
    if line.needs == ("has no level", "needs evidence"):
        return "Needs a level and evidence"
    if line.needs == ("has no level",):
        return "Needs a level"
    if line.needs == ("needs evidence",):
        return "Needs evidence"
    return "Complete" if line.rated else "Not rated (optional)"


def peer_status(line: ItemLine) -> str:
    return "Rated" if line.rated else "Not rated"


def show(
    rubric: Rubric,
    lines: Sequence[ItemLine],
    *,
    picker: str,
    status: Callable[[ItemLine], str],
    level: str = "Level",
) -> None:
    """The overview, in an expander the reader can fold; opening an item folds it away.

    `picker` is the key of the item picker a row's button sets; `level` heads the level column.
    """
    fold = f"{picker}_overview"
    box = st.expander(f"All {len(lines)} items", key=fold, expanded=True, on_change="rerun")
    if not box.open:
        return
    with box:
        heading = st.columns(_WIDTHS)
        titles = ("Item", "Title", level, "Status", "Evidence", "Questions")
        for column, title in zip(heading, titles, strict=True):
            column.markdown(f"**{title}**")
        for line in lines:
            item = rubric.item(line.item_id)
            cells = st.columns(_WIDTHS, vertical_alignment="center")
            # The item's id is the button that opens it: a name a screen reader reads out too.
            cells[0].button(
                item.id,
                key=f"{picker}_open_{item.id}",
                type="tertiary",
                on_click=_open,
                args=(picker, fold, item.id),
            )
            cells[1].text(item.title)
            cells[2].text(short_level(line.level, line.not_applicable))
            cells[3].text(status(line))
            cells[4].text(_count(line.evidence, "file"))
            cells[5].text(
                f"{line.questions_waiting} waiting" if line.questions_waiting else NO_VALUE
            )


def missing(rubric: Rubric, lines: Sequence[ItemLine], *, picker: str) -> None:
    """What stops a submission, item by item, each with a button that opens the item."""
    for line in (x for x in lines if x.needs):
        item = rubric.item(line.item_id)
        text, button = st.columns((5, 1), vertical_alignment="center")
        text.text(f"{item.id} ({item.title}): {', '.join(line.needs)}")
        button.button(
            f"Open {item.id}",
            key=f"{picker}_missing_{item.id}",
            on_click=_open,
            args=(picker, f"{picker}_overview", item.id),
        )


def _count(n: int, noun: str) -> str:
    return NO_VALUE if n == 0 else f"{n} {noun}{'' if n == 1 else 's'}"


def _open(picker: str, fold: str, item_id: str) -> None:
    item_picker.open_item(picker, item_id)
    # Folded, the overview no longer pushes the item just opened below the fold.
    st.session_state[fold] = False
