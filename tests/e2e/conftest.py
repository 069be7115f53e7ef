"""Real-browser fixtures: the app served by Streamlit on a demo database, driven by Chromium.

Chromium comes from Debian (`apt-get install chromium`), never from `playwright install`.
Without it the tests skip locally and fail on CI (`CI=true`), so CI can never go green silently.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from benchmarks._serve import CHROMIUM_ARGS, served_app
from review import accounts, cycles, evidence, ratings
from review.db import Database, User
from review.demo import CYCLE, SAMPLE_EVIDENCE, load_demo
from review.rubrics import Catalogue
from review.settings import Settings

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", "/tmp/e2e-screenshots"))
TIMEOUT_MS = 15_000

# The district whose self-evaluation the browser completes: every item but the first is
# filled in here through the domain API; the browser rates the first item and uploads its file.
EDITOR_CODE = "BHU"
PREFILL_FILE = "problem_of_practice.txt"

expect.set_options(timeout=TIMEOUT_MS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.e2e)


def _require_chromium() -> None:
    if shutil.which(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        return
    message = (
        f"Chromium not found at {CHROMIUM} (set CHROMIUM_PATH, or install it with "
        "`apt-get install -y --no-install-recommends chromium fonts-liberation`; "
        "never `playwright install`)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and the real-browser tests cannot run: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    _require_chromium()
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@dataclass(frozen=True)
class DemoServer:
    url: str
    db: Database
    settings: Settings


def _prefill_self_evaluation(db: Database, settings: Settings, code: str) -> str:
    """Rate every item of `code` but the first, with evidence; returns the first item's id."""
    with db.session() as s:
        user = s.scalar(select(User).where(User.email == f"lead@{code.lower()}.example"))
        assert user is not None
        lead = accounts.actor_for(user)
        assert lead.district_id is not None
        cycle = cycles.get_cycle(s, CYCLE)
        rubric = cycles.cycle_rubric(Catalogue(settings.rubrics_dir), cycle)
        first, *rest = rubric.items
        evidence.add_evidence(
            s,
            settings,
            lead,
            cycle,
            rubric,
            district_id=lead.district_id,
            file_name=PREFILL_FILE,
            data=(SAMPLE_EVIDENCE / PREFILL_FILE).read_bytes(),
            description="Pre-filled by the e2e fixture",
            items=tuple(i.id for i in rest if i.evidence_required),
        )
        for item in rest:
            ratings.save_self_rating(
                s,
                lead,
                cycle,
                rubric,
                district_id=lead.district_id,
                item_id=item.id,
                data=ratings.RatingInput(level=3, narrative=f"Pre-filled: {item.title}"),
                expected_version=None,
            )
        return first.id


@contextmanager
def serve_demo(
    folder: Path,
    prepare: Callable[[Database, Settings], None],
    *,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
) -> Iterator[DemoServer]:
    """`streamlit run app.py` on a fresh demo database, prepared by `prepare`, until exit.

    `env` adds to the app's environment; `port` names its port in advance (see `served_app`).
    """
    url = f"sqlite:///{folder / 'demo.db'}"
    settings = Settings.from_env({}, database_url=url, bcrypt_rounds=4)
    db = Database(url)
    load_demo(db, settings)
    prepare(db, settings)
    app_env = {"REVIEW_DATABASE_URL": url, "REVIEW_BCRYPT_ROUNDS": "4", **(env or {})}
    try:
        with served_app(folder / "streamlit.log", app_env, port=port) as base:
            yield DemoServer(url=base, db=db, settings=settings)
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The app on a demo database whose editor district is prefilled but for one item."""
    with serve_demo(
        tmp_path_factory.mktemp("e2e"),
        lambda db, settings: _prefill_self_evaluation(db, settings, EDITOR_CODE),
    ) as server:
        yield server


Shot = Callable[[str], Path]


@pytest.fixture
def shot(request: pytest.FixtureRequest, page: Page) -> Shot:
    """`shot("step")` saves a full-page screenshot as <SCREENSHOTS>/<test>-<step>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(step: str) -> Path:
        # Streamlit scrolls inside its main block, so full_page alone stops at the viewport:
        # grow the viewport to the content for the shot, then restore it.
        path = SCREENSHOTS / f"{request.node.name}-{step}.png"
        size = page.viewport_size or {"width": 1280, "height": 720}
        height = page.evaluate(
            "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
            "[data-testid=stAppViewContainer]')].map(e => e.scrollHeight), innerHeight)"
        )
        page.set_viewport_size({"width": size["width"], "height": min(int(height), 8000)})
        try:
            page.screenshot(path=str(path), full_page=True)
        finally:
            page.set_viewport_size(size)
        return path

    return take
