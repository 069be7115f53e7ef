"""Shared fixtures: settings on a temporary database, a small world to act in."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from review import accounts, cycles
from review.access import Actor, Role
from review.db import Cycle, Database
from review.rubrics import Catalogue, Rubric
from review.settings import PROJECT_ROOT, Settings

DATA = Path(__file__).parent / "data"
POSTGRES_URL = os.environ.get("REVIEW_TEST_POSTGRES_URL")


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") == "true" and not POSTGRES_URL:
        raise pytest.UsageError(
            "CI=true but REVIEW_TEST_POSTGRES_URL is unset: run the tests through scripts/test"
        )


@pytest.fixture
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture
def rubrics_dir(tmp_path: Path) -> Path:
    root = tmp_path / "rubrics"
    shutil.copytree(DATA / "rubrics", root)
    return root


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        assert POSTGRES_URL
        _reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{tmp_path}/review.db"


@pytest.fixture
def settings(database_url: str, rubrics_dir: Path) -> Settings:
    return Settings.from_env(
        {}, database_url=database_url, rubrics_dir=rubrics_dir, bcrypt_rounds=4
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    database = Database(settings.database_url)
    yield database
    database.dispose()


@dataclass
class World:
    """A cycle on the tiny rubric with districts A, B, C (one triad) and D (another)."""

    settings: Settings
    db: Database
    rubric: Rubric
    coordinator: Actor
    leads: dict[str, Actor]
    observer: Actor
    cycle_name: str = "2015-16"

    def cycle(self, session: object) -> Cycle:
        return cycles.get_cycle(session, self.cycle_name)  # type: ignore[arg-type]

    def district_id(self, code: str) -> int:
        district_id = self.leads[code].district_id
        assert district_id is not None
        return district_id


@pytest.fixture
def world(settings: Settings, db: Database) -> World:
    catalogue = Catalogue(settings.rubrics_dir)
    with db.session() as s:
        coordinator = accounts.create_first_coordinator(
            s, settings, email="coord@core.example", name="Coordinator", password="password1"
        )
        for code, size in (("A", 11_000), ("B", 50_000), ("C", 600_000), ("D", 70_000), ("E", 1)):
            cycles.save_district(
                s, coordinator, code=code, name=f"District {code}", enrollment=size
            )
        leads = {
            code: accounts.actor_for(
                accounts.create_user(
                    s,
                    settings,
                    email=f"lead@{code.lower()}.example",
                    name=f"Lead {code}",
                    roles=[Role.DISTRICT_EDITOR, Role.PEER_REVIEWER],
                    district_code=code,
                    password="password1",
                    by=coordinator,
                )
            )
            for code in "ABCDE"
        }
        observer = accounts.actor_for(
            accounts.create_user(
                s,
                settings,
                email="board@core.example",
                name="Board",
                roles=[Role.OBSERVER],
                district_code=None,
                password="password1",
                by=coordinator,
            )
        )
        cycle = cycles.create_cycle(s, coordinator, catalogue, name="2015-16", rubric_key="tiny@v1")
        cycles.define_triads(s, coordinator, cycle, {"North": ["A", "B", "C"], "South": ["D", "E"]})
    return World(
        settings=settings,
        db=db,
        rubric=catalogue.get("tiny", "v1"),
        coordinator=coordinator,
        leads=leads,
        observer=observer,
    )


@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """The command line (`review.cli.main`) pointed at the world's database and rubrics."""
    monkeypatch.setenv("REVIEW_DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("REVIEW_RUBRICS_DIR", str(world.settings.rubrics_dir))
    monkeypatch.setenv("REVIEW_BCRYPT_ROUNDS", "4")
    return world
