"""Shared handles for every page: settings, the database, rubrics; cached per process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from contextlib import nullcontext
from pathlib import Path
from typing import TypeVar

import streamlit as st
from sqlalchemy.orm import Session

from review.changes import ReadCache
from review.cycles import pinned_rubric
from review.db import Cycle, Database
from review.index.compute import IndexResults
from review.index.district import cycle_results
from review.index.district import district_summary as summary_of
from review.index.models import DistrictSummary
from review.rubrics import Catalogue, Rubric
from review.settings import Settings
from review.versioned import PUBLISHED_FILE


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
_NETWORKS = ReadCache(size=4)  # a whole network's index results: tens of megabytes each
_VERSION = "data_versions_of_this_run"


def read(key: tuple[Hashable, ...], load: Callable[[Session], T]) -> T:
    """`load(session)`, shared by every session until a table it read from changes.

    `key` must name the read and every value `load` depends on. The result is shared: never
    change it. The tables' versions are asked once per run, and again after a change
    (`recount`).
    """
    return _read(_READS, key, load)


def _read(
    cache: ReadCache,
    key: tuple[Hashable, ...],
    load: Callable[[Session], T],
    spinner: str | None = None,
) -> T:
    db = database()
    versions = st.session_state.get(_VERSION)
    if not isinstance(versions, dict):
        versions = st.session_state[_VERSION] = db.versions()

    def fetch() -> T:
        with st.spinner(spinner) if spinner else nullcontext(), db.reading() as session:
            return load(session)

    return cache.get(versions, (db.url, *key), fetch)


def recount() -> None:
    """Ask the versions again at the next read: each run, and after this run's changes."""
    st.session_state.pop(_VERSION, None)


def catalogue() -> Catalogue:
    return Catalogue(settings().rubrics_dir)


def rubric_versions() -> tuple[Rubric, ...]:
    """Every rubric version, checked; parsed again only when a rubric file changes.

    Parsing every file on each rerun was most of the Rubrics page's time.
    """
    known = catalogue()
    files = (*known.paths(), known.root / PUBLISHED_FILE)
    stamps = tuple((str(p), p.stat().st_mtime_ns if p.exists() else 0) for p in files)
    return _rubric_versions(str(known.root), stamps)


@st.cache_resource(show_spinner=False, max_entries=8)
def _rubric_versions(root: str, stamps: tuple[tuple[str, int], ...]) -> tuple[Rubric, ...]:
    # `stamps` (each file's modification time) is part of the key: an edit re-reads them all.
    return tuple(Catalogue(Path(root)).all())


@st.cache_resource(show_spinner=False, max_entries=32)
def _rubric(root: str, rubric_id: str, version: str, rubric_hash: str, mtime: int) -> Rubric:
    return pinned_rubric(Catalogue(Path(root)), rubric_id, version, rubric_hash)


def rubric_of(cycle: Cycle) -> Rubric:
    """The cycle's rubric, re-read only when its file changes (and re-checked then)."""
    root = settings().rubrics_dir
    path = root / cycle.rubric_id / f"{cycle.rubric_version}.yaml"
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    return _rubric(str(root), cycle.rubric_id, cycle.rubric_version, cycle.rubric_hash, mtime)


def index_results(cycle: Cycle) -> IndexResults | None:
    """The network's computed index results for a cycle, kept until its results change."""
    specs = settings().index_specs_dir
    return _read(
        _NETWORKS,
        ("index_results", cycle.id, str(specs)),
        lambda _: cycle_results(database(), specs, cycle),
        spinner="Computing the index…",
    )


def district_summary(
    cycle: Cycle, district_code: str, *, details: bool = True
) -> DistrictSummary | None:
    """One district's index summary, kept until the cycle's results change."""
    return read(
        ("district_summary", cycle.id, district_code, details),
        lambda _: summary_of(index_results(cycle), district_code, details=details),
    )
