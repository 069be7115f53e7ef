"""The Practice library's search: item, keyword, district size and how many cycles back."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from review import reconcile
from review.access import Actor
from review.db import Cycle
from review.rubrics import Rubric
from ui import context
from ui.guard import shown_errors

ALL_ITEMS, ANY_SIZE = "All items", "Any size"
BANDS = {name: f"{name} ({label})" for name, label, *_ in reconcile.SIZE_BANDS}


@dataclass(frozen=True)
class Search:
    """What the reader asked for; `None` where they did not narrow it."""

    item_id: str | None
    keyword: str | None
    size_band: str | None
    every_cycle: bool


def choose(rubric: Rubric) -> Search:
    """The filters, in one row above the results."""
    columns = st.columns([2, 2, 1])
    item_id = columns[0].selectbox(
        "Item",
        [ALL_ITEMS] + [i.id for i in rubric.items],
        key="practice_item",
        format_func=lambda i: i if i == ALL_ITEMS else f"{i} · {rubric.item(i).title}",
    )
    keyword = columns[1].text_input("Keyword", key="practice_keyword")
    band = columns[2].selectbox(
        "District size",
        [ANY_SIZE, *BANDS],
        key="practice_size",
        format_func=lambda b: BANDS.get(b, b),
    )
    every_cycle = st.checkbox("Include earlier cycles", key="practice_all_cycles")
    return Search(
        item_id=None if item_id == ALL_ITEMS else item_id,
        keyword=keyword or None,
        size_band=None if band == ANY_SIZE else band,
        every_cycle=every_cycle,
    )


def find(actor: Actor, cycle: Cycle, search: Search) -> list[reconcile.Practice]:
    """The practices that match, in `cycle` or every cycle; none (and a message) on a refusal."""
    found: list[reconcile.Practice] = []
    with shown_errors(), context.database().reading() as s:
        found = reconcile.practice_library(
            s,
            actor,
            context.catalogue(),
            None if search.every_cycle else cycle,
            item_id=search.item_id,
            keyword=search.keyword,
            size_band=search.size_band,
        )
    return found
