"""Errors on a page: a clear message, never a traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import streamlit as st
from sqlalchemy.orm import Session

from review.errors import ConflictError, IncompleteSubmission, ReviewError
from review.problems import FileProblems, escaped, problems_csv
from ui import context, state
from ui.markup import inert

log = logging.getLogger("review.ui")


@contextmanager
def shown_errors() -> Iterator[None]:
    """Show what went wrong in words; unexpected faults are logged, and nothing saved is lost."""
    try:
        yield
    except IncompleteSubmission as exc:
        st.error("The self-evaluation cannot be submitted yet. Still missing:")
        st.markdown("\n".join(f"- {inert(m)}" for m in exc.missing))
    except ConflictError as exc:
        st.error(inert(exc))
        if exc.current:
            st.info(f"Their saved version — level {exc.current.get('level') or 'not rated'}")
            st.text(str(exc.current.get("narrative", "")))
    except FileProblems as exc:
        _file_problems(exc)
    except ReviewError as exc:
        st.error(inert(exc))
    except Exception:
        log.exception("unexpected error on a page")
        st.error(
            "Something went wrong on our side. Nothing you saved before was lost; "
            "try again, and tell your coordinator if it happens again."
        )


def page(render: Callable[[], None]) -> None:
    """Render a page; a refusal from the domain or a fault shows as a message, never a traceback.

    The domain decides who may read what (`review.scope`): a page that asks for something its
    reader may not see gets the refusal in words here.
    """
    with shown_errors():
        render()


SHOWN_PROBLEMS = 10


def _file_problems(exc: FileProblems) -> None:
    """The one-line summary, the first problems, and every problem as a CSV download."""
    st.error(inert(str(exc)))  # it quotes the file: shown as written, never as markdown
    if len(exc.problems) <= 1:
        return
    st.dataframe(
        [
            {"Row": p.row, "Column": escaped(p.column), "Problem": p.message}
            for p in exc.problems[:SHOWN_PROBLEMS]
        ],
        hide_index=True,
        width="stretch",
    )
    st.download_button(
        f"Download all {len(exc.problems)} problems (CSV)",
        data=problems_csv(exc.problems),
        file_name="problems.csv",
        mime="text/csv",
        key="problems_download",
    )


T = TypeVar("T")


def act(
    work: Callable[[Session], T],
    *,
    done: str | Callable[[T], str] | None = None,
    rerun: bool = False,
    clear: tuple[str, ...] = (),
) -> T | None:
    """Run one change in its own transaction, then report it.

    Messages and reruns happen only after the commit: Streamlit stops a script by raising,
    and a raise inside the transaction would roll the change back. A transaction that meets
    another's lock is run again (`Database.write`); the widgets keep what was typed until the
    change is saved. `clear` names widgets to empty once the change is saved (a sent
    message), so it is not sent twice.
    """
    with shown_errors():
        result = context.database().write(work)
        for key in clear:
            st.session_state.pop(key, None)
        message = done(result) if callable(done) else done
        if message and rerun:
            state.flash(message)
        elif message:
            st.success(inert(message))
        if rerun:
            st.rerun()
        return result
    return None
