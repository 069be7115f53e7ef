"""Session-state keys and typed accessors, and the sign-in that keeps a browser signed in.

Saved work lives in the database; so does each browser's sign-in session (see accounts).
"""

from __future__ import annotations

import streamlit as st

from review import accounts
from review.access import Actor, Role
from review.errors import PermissionDenied
from ui import context
from ui.markup import inert

ACTOR = "actor"
CYCLE = "cycle"
CYCLE_PICKER = "cycle_picker"
# A cycle chosen by a page (a new one just created): the sidebar applies it to its picker at the
# start of the next run, because a widget's key cannot be set once the widget is drawn.
CYCLE_CHOSEN = "cycle_chosen"
COOKIE = "review_session"
TOKEN = "session_token"
SIGNED_OUT = "signed_out_because"
_EPOCH = "credential_epoch"
_COOKIE_SCRIPT = "cookie_script"
_RESUME_CHECKED = "resume_checked"


def actor() -> Actor | None:
    value = st.session_state.get(ACTOR)
    return value if isinstance(value, Actor) else None


def current() -> Actor | None:
    """The signed-in account as the database has it now, read again on every run.

    A removed role is gone at this run; a deleted or disabled account, or one whose sessions
    ended since this browser signed in (its password changed; `accounts.end_sessions`), signs
    this browser out, and the sign-in page says why. An actor placed without a stamp (tests
    that start signed in) takes the account's stamp of now.
    """
    cached = actor()
    if cached is None:
        return None
    epoch = st.session_state.get(_EPOCH)
    try:
        with context.database().reading() as session:
            fresh, stamp = accounts.current_actor(
                session, cached.user_id, epoch if isinstance(epoch, int) else None
            )
    except PermissionDenied as exc:
        sign_out()
        st.session_state[SIGNED_OUT] = str(exc)
        return None
    st.session_state[ACTOR] = fresh
    st.session_state[_EPOCH] = stamp
    return fresh


def signed_in() -> Actor:
    """The signed-in user; pages are only reachable after sign-in, so this always holds."""
    current = actor()
    if current is None:
        st.stop()
    assert current is not None
    return current


def own_district(user: Actor) -> int:
    """The district `user` works for; a page that needs one stops with a hint when there is none."""
    if user.district_id is None:
        st.warning("Your account is not linked to a district; ask your coordinator.")
        st.stop()
    assert user.district_id is not None
    return user.district_id


def sign_in(user: Actor) -> None:
    """Sign `user` in here, and keep this browser signed in across reloads."""
    settings = context.settings()
    with context.database().session() as session:
        token = accounts.start_session(session, user, settings)
        user, stamp = accounts.current_actor(session, user.user_id, None)
    st.session_state[ACTOR] = user
    st.session_state[_EPOCH] = stamp
    st.session_state[TOKEN] = token
    st.session_state[_COOKIE_SCRIPT] = _cookie(token, settings.session_hours * 3600)


def resume() -> Actor | None:
    """After a reload: the account this browser's cookie still signs in, if any.

    Looked up once per connection; a cookie that no longer signs anyone in is cleared.
    """
    if st.session_state.get(_RESUME_CHECKED):
        return None
    st.session_state[_RESUME_CHECKED] = True
    token = _browser_cookie()
    if not token:
        return None
    with context.database().reading() as session:
        user = accounts.resume_session(session, token)
        stamp = accounts.current_actor(session, user.user_id, None)[1] if user else None
    if user is None:
        st.session_state[_COOKIE_SCRIPT] = _cookie("", 0)
        return None
    st.session_state[ACTOR] = user
    st.session_state[_EPOCH] = stamp
    st.session_state[TOKEN] = token
    return user


def sign_out() -> None:
    token = st.session_state.get(TOKEN)
    if isinstance(token, str):
        with context.database().session() as session:
            accounts.end_session(session, token)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    # The browser still sends the old cookie on this connection; the token is void anyway.
    st.session_state[_RESUME_CHECKED] = True
    st.session_state[_COOKIE_SCRIPT] = _cookie("", 0)


def sign_out_of_provider() -> None:
    """End the single sign-on identity: Streamlit deletes its cookie and redirects the browser.

    `st.logout()` only queues that redirect; a rerun right after it starts a new run, which
    drops the queued redirect unless it already reached the browser (4 sign-outs in 13 kept
    the cookie, and a reload signed the person back in). So the run stops here instead.
    """
    st.logout()
    st.stop()


def write_cookie() -> None:
    """Send a pending cookie change to the browser (Streamlit can set cookies only by script)."""
    script = st.session_state.pop(_COOKIE_SCRIPT, None)
    if script:
        st.html(script, unsafe_allow_javascript=True)


def _cookie(token: str, max_age: int) -> str:
    # The token is URL-safe base64 made here, never user text, so it is safe inside the script.
    return (
        f"<script>document.cookie = '{COOKIE}={token}; Path=/; Max-Age={max_age}; "
        "SameSite=Strict' + (location.protocol === 'https:' ? '; Secure' : '');</script>"
    )


def _browser_cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE)
    except Exception:  # no browser connection (bare mode)
        return None
    # Without a browser (AppTest) the cookies are a stand-in object, not strings.
    return value if isinstance(value, str) and value else None


def choose_cycle(name: str) -> None:
    """Make `name` the sidebar's cycle (its picker widget included) from the next run on."""
    st.session_state[CYCLE] = name
    st.session_state[CYCLE_CHOSEN] = name


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
        st.success(inert(message))


def show_signed_out() -> None:
    """Why this browser was signed out, once (an account disabled, a password changed)."""
    message = st.session_state.pop(SIGNED_OUT, None)
    if message:
        st.warning(message)
