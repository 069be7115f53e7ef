"""AppTest fixtures: a copy of the demo database per test, and signed-in sessions."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from review import accounts
from review.db import Database
from review.demo import load_demo
from review.settings import PROJECT_ROOT, Settings

APP = str(PROJECT_ROOT / "app.py")
TIMEOUT = 30


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    settings = Settings.from_env({}, database_url=f"sqlite:///{path}", bcrypt_rounds=4)
    db = Database(settings.database_url)
    load_demo(db, settings)
    db.dispose()
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("REVIEW_DATABASE_URL", url)
    monkeypatch.setenv("REVIEW_BCRYPT_ROUNDS", "4")
    db = Database(url)
    yield db
    db.dispose()


@pytest.fixture
def app_as(demo_db: Database) -> Callable[..., AppTest]:
    """An app already signed in as the given demo account, at the given page."""

    def make(email: str, page: str | None = None) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        with demo_db.session() as s:
            from sqlalchemy import select

            from review.db import User

            user = s.scalar(select(User).where(User.email == email))
            assert user is not None, email
            at.session_state["actor"] = accounts.actor_for(user)
        at.run()
        if page:
            at.switch_page(f"ui/pages/{page}.py").run()
        return at

    return make


def overview_rows(at: AppTest) -> list[list[str]]:
    """The page's item overview as rows of cells: item id (its button), title, level, status,
    evidence, questions (the heading row left out)."""
    box = next(e for e in at.expander if e.label.startswith("All ") and e.label.endswith(" items"))
    ids = [b.label for b in box.button]
    cells = [t.value for t in box.text]
    return [[item, *cells[5 * n : 5 * n + 5]] for n, item in enumerate(ids)]
