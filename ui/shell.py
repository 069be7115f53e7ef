"""The frame around every page: sign-in gate, cycle picker, role-based navigation."""

from __future__ import annotations

import gc
import threading
from dataclasses import dataclass

import streamlit as st

from review.access import Role
from ui import state
from ui.components import cycle as cycle_picker
from ui.markup import inert

PAGE_DIR = "ui/pages"
_NAVIGATION = "navigation"


@dataclass(frozen=True)
class PageSpec:
    name: str
    title: str
    icon: str
    section: str
    roles: frozenset[Role]  # who sees it; empty means everyone signed in


def _for(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


PAGES = (
    PageSpec("home", "My work", ":material/home:", "", _for()),
    PageSpec(
        "self_evaluation",
        "Self-evaluation",
        ":material/edit_note:",
        "District",
        _for(Role.DISTRICT_EDITOR),
    ),
    PageSpec(
        "peer_review",
        "Rate a district",
        ":material/rate_review:",
        "Peer review",
        _for(Role.PEER_REVIEWER),
    ),
    PageSpec(
        "reconciliation",
        "Reconcile ratings",
        ":material/balance:",
        "Peer review",
        _for(Role.PEER_REVIEWER, Role.COORDINATOR),
    ),
    PageSpec("practice", "Practice library", ":material/lightbulb:", "", _for()),
    PageSpec(
        "progress", "Progress", ":material/monitoring:", "Coordinator", _for(Role.COORDINATOR)
    ),
    PageSpec(
        "calibration", "Calibration", ":material/target:", "Coordinator", _for(Role.COORDINATOR)
    ),
    PageSpec(
        "index_summary",
        "Index summary",
        ":material/insights:",
        "",
        _for(Role.COORDINATOR, Role.DISTRICT_EDITOR),
    ),
    PageSpec("setup", "Cycle setup", ":material/settings:", "Coordinator", _for(Role.COORDINATOR)),
    PageSpec("rubrics", "Rubrics", ":material/menu_book:", "Coordinator", _for(Role.COORDINATOR)),
    PageSpec("packets", "Review packets", ":material/inventory_2:", "", _for()),
)
SIGN_IN = PageSpec("sign_in", "Sign in", ":material/key:", "", _for())


# Each role's main task, first in its sidebar (a person with several roles gets each in turn).
MAIN_TASKS = {
    Role.DISTRICT_EDITOR: "self_evaluation",
    Role.PEER_REVIEWER: "peer_review",
    Role.COORDINATOR: "progress",
    Role.OBSERVER: "packets",
}
NO_ACCESS = "You do not have access to this page."


def specs_for(roles: frozenset[Role]) -> list[PageSpec]:
    """The pages a person with `roles` sees, in sidebar order: their main tasks, then the rest."""
    shown = [p for p in PAGES if not p.roles or p.roles & roles]
    main = [MAIN_TASKS[r] for r in Role if r in roles]
    return sorted(shown, key=lambda p: main.index(p.name) if p.name in main else len(main))


def _page(spec: PageSpec, *, default: bool = False, hidden: bool = False) -> st.Page:
    return st.Page(
        f"{PAGE_DIR}/{spec.name}.py",
        title=spec.title,
        icon=spec.icon,
        default=default,
        url_path=spec.name,
        visibility="hidden" if hidden else "visible",
    )


def pages_for(roles: frozenset[Role]) -> dict[str, list[st.Page]]:
    """The navigation a user sees: each role its own pages, main tasks first, in one unnamed
    section before the others; every other page is there too, hidden, so that its address
    answers "no access" rather than "page not found".

    Made once per session (and set of roles) rather than on every rerun: that was a twentieth
    of a rerun. Page objects carry run state, so they are never shared between sessions.
    """
    made = st.session_state.get(_NAVIGATION)
    if isinstance(made, _Navigation) and made.roles == roles:
        return made.pages
    shown = specs_for(roles)
    main = {MAIN_TASKS[r] for r in roles}
    pages: dict[str, list[st.Page]] = {"": []}
    for spec in shown:
        section = "" if spec.name in main else spec.section
        pages.setdefault(section, []).append(_page(spec, default=spec is PAGES[0]))
    lacking = tuple(_page(spec, hidden=True) for spec in PAGES if spec not in shown)
    pages[""].extend(lacking)
    st.session_state[_NAVIGATION] = _Navigation(roles, pages, lacking)
    return pages


@dataclass(frozen=True)
class _Navigation:
    roles: frozenset[Role]
    pages: dict[str, list[st.Page]]
    lacking: tuple[st.Page, ...]  # registered but hidden: their pages say "no access"


def _no_access(page: st.Page) -> None:
    st.title(page.title)
    st.error(NO_ACCESS)
    st.page_link(f"{PAGE_DIR}/{PAGES[0].name}.py", label="Back to My work", icon=PAGES[0].icon)


_frozen = threading.Event()


def _freeze_startup_objects() -> None:
    """Leave the objects of the imported libraries out of every later garbage collection.

    Once per process, at its first run: pandas, SQLAlchemy, pydantic and Streamlit make about
    200,000 long-lived objects, and a full collection scanned them all again (0.1-0.25 s) at
    whatever rerun it happened to fall in. Collected first, so no garbage is kept for good.
    """
    if not _frozen.is_set():
        _frozen.set()
        gc.collect()
        gc.freeze()


def run() -> None:
    _freeze_startup_objects()
    # Read again each run: taking access away acts at the next click in every open tab.
    actor = state.current() or state.resume()
    state.write_cookie()
    if actor is None:
        st.navigation([_page(SIGN_IN, default=True)], position="hidden").run()
        return
    _sidebar(actor.name, actor.email)
    page = st.navigation(pages_for(actor.roles))
    if any(page is p for p in st.session_state[_NAVIGATION].lacking):
        _no_access(page)
    else:
        page.run()


def _sidebar(name: str, email: str) -> None:
    with st.sidebar:
        st.caption(f"Signed in as **{inert(name)}**  \n{inert(email)}")
        cycle_picker.picker()
        if st.button("Sign out", key="sign_out"):
            state.sign_out()
            if _sso_user():
                state.write_cookie()
                state.sign_out_of_provider()
            st.rerun()


def _sso_user() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:  # no [auth] configured: st.user has no login state
        return False
