"""Shared handles for every page: settings, the database, rubrics; cached per process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar

import streamlit as st
from sqlalchemy.orm import Session

from review.changes import ReadCache
from review.cycles import get_cycle, pinned_rubric
from review.db import Cycle, Database
from review.index.compute import IndexResults
from review.index.district import cycle_results
from review.index.store import count_results
from review.rubrics import Catalogue, Rubric
from review.settings import Settings


def settings() -> Settings:
    return Settings.from_env()


_databases: dict[str, Database] = {}
_opening = threading.Lock()


def _database(url: str) -> Database:
    # A plain dict, not st.cache_resource: pages ask for the database several times a rerun,
    # and the cache's bookkeeping cost more than the reads it then served.
    db = _databases.get(url)
    if db is None:
        with _opening:
            db = _databases.get(url) or _databases.setdefault(url, Database(url))
    return db


def database() -> Database:
    """The database of the configured URL, opened (and migrated) once per process."""
    return _database(settings().database_url)


T = TypeVar("T")
_READS = ReadCache()
_VERSION = "data_versions_of_this_run"


def read(key: tuple[Hashable, ...], load: Callable[[Session], T]) -> T:
    """`load(session)`, shared by every session until a table it read from changes.

    `key` must name the read and every value `load` depends on. The result is shared: never
    change it. The tables' versions are asked once per run, and again after a change
    (`recount`).
    """
    db = database()
    versions = st.session_state.get(_VERSION)
    if not isinstance(versions, dict):
        versions = st.session_state[_VERSION] = db.versions()

    def fetch() -> T:
        with db.session() as session:
            return load(session)

    return _READS.get(versions, (db.url, *key), fetch)


def recount() -> None:
    """Ask the versions again at the next read: each run, and after this run's changes."""
    st.session_state.pop(_VERSION, None)


def catalogue() -> Catalogue:
    return Catalogue(settings().rubrics_dir)


@st.cache_resource(show_spinner=False, max_entries=32)
def _rubric(root: str, rubric_id: str, version: str, rubric_hash: str, mtime: int) -> Rubric:
    return pinned_rubric(Catalogue(Path(root)), rubric_id, version, rubric_hash)


def rubric_of(cycle: Cycle) -> Rubric:
    """The cycle's rubric, re-read only when its file changes (and re-checked then)."""
    root = settings().rubrics_dir
    path = root / cycle.rubric_id / f"{cycle.rubric_version}.yaml"
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    return _rubric(str(root), cycle.rubric_id, cycle.rubric_version, cycle.rubric_hash, mtime)


@st.cache_resource(show_spinner="Computing the index…", max_entries=4)
def _index_results(url: str, specs_dir: str, cycle_name: str, rows: int) -> IndexResults | None:
    # `rows` is part of the key so an import of new results recomputes.
    with _database(url).session() as session:
        cycle = get_cycle(session, cycle_name)
    return cycle_results(_database(url), Path(specs_dir), cycle)


def index_results(cycle: Cycle) -> IndexResults | None:
    """The network's computed index results for a cycle, cached until its results change."""
    with database().session() as session:
        rows = count_results(session, cycle)
    return _index_results(
        settings().database_url, str(settings().index_specs_dir), cycle.name, rows
    )
