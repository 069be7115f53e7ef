"""Shared handles for every page: settings, the database, rubrics; cached per process."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import streamlit as st

from review.cycles import pinned_rubric
from review.db import Cycle, Database
from review.index.compute import IndexResults
from review.index.counts import school_counts as count_schools
from review.index.district import cycle_results
from review.index.district import district_summary as summary_of
from review.index.models import DistrictSummary, SchoolCounts
from review.index.stored import stored_summaries, without_details
from review.rubric_store import StoredRubrics
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


def catalogue() -> Catalogue:
    """The rubric files and the versions published into the database."""
    return _catalogue(str(settings().rubrics_dir))


def _catalogue(root: str) -> Catalogue:
    return Catalogue(Path(root), StoredRubrics(database()))


def rubric_versions() -> tuple[Rubric, ...]:
    """Every rubric version, checked; parsed again only when a rubric file changes or a
    version is published into the database.

    Parsing every file on each rerun was most of the Rubrics page's time.
    """
    known = catalogue()
    files = (*known.paths(), known.root / PUBLISHED_FILE)
    stamps = tuple((str(p), p.stat().st_mtime_ns if p.exists() else 0) for p in files)
    stored = StoredRubrics(database()).stamp()
    return _rubric_versions(str(known.root), stamps, stored)


@st.cache_resource(show_spinner=False, max_entries=8)
def _rubric_versions(
    root: str, stamps: tuple[tuple[str, int], ...], stored: tuple[tuple[str, str, str], ...]
) -> tuple[Rubric, ...]:
    # `stamps` (each file's modification time) and `stored` (each database version's key and
    # hash) are part of the key: an edit or a publication re-reads them all.
    return tuple(_catalogue(root).all())


@st.cache_resource(show_spinner=False, max_entries=32)
def _rubric(root: str, rubric_id: str, version: str, rubric_hash: str, mtime: int) -> Rubric:
    # A version stored in the database never changes, and `rubric_hash` pins its content.
    return pinned_rubric(_catalogue(root), rubric_id, version, rubric_hash)


def rubric_of(cycle: Cycle) -> Rubric:
    """The cycle's rubric, re-read only when its file changes (and re-checked then)."""
    root = settings().rubrics_dir
    path = root / cycle.rubric_id / f"{cycle.rubric_version}.yaml"
    mtime = path.stat().st_mtime_ns if path.exists() else 0
    return _rubric(str(root), cycle.rubric_id, cycle.rubric_version, cycle.rubric_hash, mtime)


def index_results(cycle: Cycle) -> IndexResults | None:
    """The network's computed index results for a cycle, kept until its next index import.

    Keyed by the cycle's import count, which every import moves in its own transaction: the
    cycle row is read afresh each rerun, so a re-import shows at the next one.
    """
    specs = settings().index_specs_dir
    return _index_results(
        settings().database_url,
        cycle.id,
        cycle.index_imports,
        cycle.index_spec,
        str(specs),
        cycle,
    )


@st.cache_resource(show_spinner="Computing the index…", max_entries=4)
def _index_results(
    url: str, cycle_id: int, imports: int, spec: str | None, specs_dir: str, _cycle: Cycle
) -> IndexResults | None:
    # A whole network's results are tens of megabytes: a few are kept, least recent out.
    # The key is the values before `_cycle` (Streamlit does not hash a parameter whose name
    # starts with "_"): the row is only read from on a miss, never kept.
    return cycle_results(database(), Path(specs_dir), _cycle)


def district_summary(
    cycle: Cycle, district_code: str, *, details: bool = True
) -> DistrictSummary | None:
    """One district's index summary, kept until the cycle's next index import.

    Read as the import stored it; computed from the network's results only when none is stored
    for the cycle's current import count (results imported before summaries were stored).
    """
    return _district_summary(
        settings().database_url,
        cycle.id,
        cycle.index_imports,
        cycle.index_spec,
        str(settings().index_specs_dir),
        district_code,
        details,
        cycle,
    )


@st.cache_resource(show_spinner=False, max_entries=256)
def _district_summary(
    url: str,
    cycle_id: int,
    imports: int,
    spec: str | None,
    specs_dir: str,
    district_code: str,
    details: bool,
    _cycle: Cycle,
) -> DistrictSummary | None:
    # Only a summary stored under exactly this key is read, so what is kept here is immutable.
    with database().reading() as session:
        stored = stored_summaries(session, cycle_id, imports, spec, [district_code])
    if district_code in stored:
        summary = stored[district_code]
    else:
        results = _index_results(url, cycle_id, imports, spec, specs_dir, _cycle)
        summary = summary_of(results, district_code)
    return summary if details else without_details(summary)


def school_counts(cycle: Cycle) -> Mapping[str, SchoolCounts]:
    """Each district's schools and designated schools in the cycle's index data (by code),
    kept until the cycle's next index import, like the summaries they agree with.

    The grouped query reads every district's latest-year index entries (about 30 ms at 60
    districts); the figures change only with an import, so pages do not pay it each rerun.
    """
    return _school_counts(settings().database_url, cycle.id, cycle.index_imports)


@st.cache_resource(show_spinner=False, max_entries=8)
def _school_counts(url: str, cycle_id: int, imports: int) -> Mapping[str, SchoolCounts]:
    # `imports` is only part of the key: a re-import moves it, and the next rerun counts again.
    with _database(url).reading() as session:
        return MappingProxyType(count_schools(session, cycle_id))  # shared: read-only
