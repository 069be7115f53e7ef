"""Session-state keys and typed accessors: UI state only; saved work lives in the database."""

from __future__ import annotations

import streamlit as st

from review.access import Actor, Role

ACTOR = "actor"
CYCLE = "cycle"
CYCLE_PICKER = "cycle_picker"


def actor() -> Actor | None:
    value = st.session_state.get(ACTOR)
    return value if isinstance(value, Actor) else None


def signed_in() -> Actor:
    """The signed-in user; pages are only reachable after sign-in, so this always holds."""
    current = actor()
    if current is None:
        st.stop()
    assert current is not None
    return current


def sign_in(user: Actor) -> None:
    st.session_state[ACTOR] = user


def sign_out() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def choose_cycle(name: str) -> None:
    """Make `name` the sidebar's cycle (its picker widget included) from the next run on."""
    st.session_state[CYCLE] = name
    st.session_state[CYCLE_PICKER] = name


def cycle_name() -> str | None:
    value = st.session_state.get(CYCLE)
    return value if isinstance(value, str) else None


def has(role: Role) -> bool:
    current = actor()
    return current is not None and current.has(role)


FLASH = "flash"


def flash(message: str) -> None:
    """A success message to show after the next rerun."""
    st.session_state[FLASH] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message)
