"""The to-do list on My work: each task a link to the page that does it, with its deadline."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from review.todo import Task, TaskKind
from ui.markup import inert

# Pages that open the district named in `?district=` (the others ignore it).
_DISTRICT_PAGES = frozenset({"peer_review", "reconciliation"})
_ICONS = {
    TaskKind.SUBMIT: ":material/edit_note:",
    TaskKind.QUESTION: ":material/help:",
    TaskKind.ANSWER: ":material/mark_chat_read:",
    TaskKind.RATE: ":material/rate_review:",
    TaskKind.DECIDE: ":material/balance:",
    TaskKind.OVERDUE: ":material/schedule:",
    TaskKind.PACKET: ":material/inventory_2:",
}


def when(task: Task) -> str:
    """The deadline in words: the date and the days left, or how late it is."""
    if task.due is None or task.days_left is None:
        return "No deadline"
    left = task.days_left
    if left < 0:
        return f"Due {task.due.isoformat()} · overdue by {-left} day{'' if left == -1 else 's'}"
    if left == 0:
        return f"Due {task.due.isoformat()} · due today"
    return f"Due {task.due.isoformat()} · {left} day{'' if left == 1 else 's'} left"


def show(tasks: Sequence[Task]) -> None:
    st.header("To do")
    if not tasks:
        st.info("Nothing waits for you in this cycle.")
        return
    for task in tasks:
        with st.container(border=True):
            opens = task.district if task.page in _DISTRICT_PAGES else None
            st.page_link(
                f"ui/pages/{task.page}.py",
                label=inert(task.text),
                icon=_ICONS[task.kind],
                query_params={"district": opens} if opens else None,
            )
            st.caption(when(task))
