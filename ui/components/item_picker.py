"""Pickers whose choice survives every rerun: an item of the rubric, a district to review.

The browser holds a selectbox's choice as the option's label and sends that label back on the
next interaction; a label that changed in between (a status mark that turned from ○ to ✓ after
a save) matches no option any more, and Streamlit falls back to the first one, so the next
click lands on another item. So an option's label here is made only of what cannot change
while the page is open (an id and its title), status is shown beside the picker, and the last
choice is also kept under a key of our own and put back should the widget ever lose it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import streamlit as st

from review.rubrics import Item, Rubric


def choose(
    label: str,
    ids: Sequence[str],
    *,
    key: str,
    format_func: Callable[[str], str],
    default: str | None = None,
) -> str:
    """The chosen id of `ids`; `default` is chosen the first time (else the first id)."""
    _keep(key, ids, default)
    chosen = st.selectbox(label, ids, key=key, format_func=format_func)
    assert chosen is not None  # a selectbox with options and no placeholder always has one
    st.session_state[_remembered(key)] = chosen
    return chosen


def pick(rubric: Rubric, *, key: str, status: Mapping[str, str]) -> Item:
    """The chosen item of `rubric`, with its status in words (`status` by item id) beside it."""
    item_id = choose(
        "Item",
        [i.id for i in rubric.items],
        key=key,
        format_func=lambda i: f"{i} · {rubric.item(i).title}",
    )
    if item_id in status:
        st.caption(f"Status: {status[item_id]}")
    return rubric.item(item_id)


def open_item(key: str, item_id: str) -> None:
    """Choose `item_id` in the picker `key`: a button's callback, run before the picker is drawn."""
    st.session_state[key] = item_id
    st.session_state[_remembered(key)] = item_id


def _keep(key: str, ids: Sequence[str], default: str | None) -> None:
    """Put the last choice back when the widget holds no valid id (or nothing yet)."""
    if st.session_state.get(key) in ids:
        return
    remembered = st.session_state.get(_remembered(key))
    fallback = remembered if remembered in ids else default
    if fallback in ids:
        st.session_state[key] = fallback


def _remembered(key: str) -> str:
    return f"{key}__chosen"
