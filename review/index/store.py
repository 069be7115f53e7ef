"""A cycle's imported index results in the database (`IndexResult` rows), all or nothing.

What an import will change, and applying exactly that, is `review.index.cycle_import`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import ColumnElement, Table, delete, false, func, insert, select, tuple_, update
from sqlalchemy.orm import Session

from review.db import Cycle, Database, District, IndexResult
from review.errors import ConflictError, NotFound
from review.index.catalogue import SpecCatalogue
from review.index.compute import compute_index
from review.index.importer import check_results
from review.index.stored import store_summaries

__all__ = [
    "find_cycle",
    "load_results",
    "replace_results",
    "save_results",
    "store_results",
    "stored_frame",
    "stored_schools",
]

STORED_COLUMNS = (
    "school_id",
    "school_name",
    "district_code",
    "school_type",
    "year",
    "metric",
    "student_group",
    "n",
    "value",
    "designation",
)
FRAME_COLUMNS = {"district_code": "district_id", "student_group": "group"}
BATCH = 20_000  # rows per INSERT round trip: large enough to be fast, small enough for memory
CHUNK = 200_000  # rows fetched at a time when reading a cycle's results back


def save_results(
    db: Database, cycle_name: str, frame: pd.DataFrame, *, specs: SpecCatalogue
) -> int:
    """Replace all of the cycle's index results with `frame`, in one transaction.

    For scripts and tests; people import through `review.index.cycle_import`, which shows what
    will change first and replaces only the districts and years of the file.

    Args:
        db: the database.
        cycle_name: the cycle's name, e.g. ``2015-16``.
        frame: results in the import format; validated again here.
        specs: the index specs, one of which is the cycle's.

    Returns:
        The number of rows stored.

    Raises:
        NotFound: no cycle of that name.
        ImportProblems: the frame is not valid results; nothing is changed.
    """
    checked = check_results(frame, source=f"results for cycle {cycle_name}")
    with db.session() as session:
        return store_results(session, find_cycle(session, cycle_name), checked, specs=specs)


def store_results(
    session: Session, cycle: Cycle, frame: pd.DataFrame, *, specs: SpecCatalogue
) -> int:
    """Replace all of the cycle's results inside the caller's transaction (`frame` validated).

    Raises:
        NotFound: the cycle's index spec is not among `specs`; nothing is changed.
    """
    return replace_results(session, cycle, frame, scope=None, network=frame, specs=specs)


def replace_results(
    session: Session,
    cycle: Cycle,
    frame: pd.DataFrame,
    *,
    scope: Collection[tuple[str, str]] | None,
    network: pd.DataFrame,
    specs: SpecCatalogue,
    expected_imports: int | None = None,
) -> int:
    """Replace the cycle's results of `scope` with `frame`, inside the caller's transaction.

    Side effects: deletes the cycle's `IndexResult` rows of each (district, year) in `scope`
    (every row of the cycle when `scope` is None), then inserts the frame's, and counts the
    import on the cycle (`Cycle.index_imports`): computed results are cached by that count, so
    it moves in the same transaction as the rows it stands for. When the cycle has an index
    spec, each network district's summary is computed from `network` (the cycle's results as
    they are after this import) and stored, keyed by that count (`review.index.stored`).

    Args:
        expected_imports: the import count the change was worked out against; if another
            import moved it since, nothing is changed.

    Raises:
        ConflictError: the cycle's import count is no longer `expected_imports`.
        NotFound: the cycle's index spec is not among `specs`; nothing is changed.
    """
    spec = specs.get_key(cycle.index_spec) if cycle.index_spec else None
    imports = _count_import(session, cycle, expected_imports)
    table = _table()
    session.execute(
        delete(IndexResult).where(IndexResult.cycle_id == cycle.id, *_pairs_filter(scope, ()))
    )
    # Core executemany on the session's connection: same transaction, no ORM bookkeeping.
    connection = session.connection()
    for batch in _record_batches(frame, cycle.id):
        connection.execute(insert(table), batch)
    codes = session.scalars(select(District.code)).all() if spec is not None else []
    if spec is not None and codes:
        store_summaries(session, cycle, imports, compute_index(network, spec), codes)
    return len(frame)


def _count_import(session: Session, cycle: Cycle, expected: int | None) -> int:
    """Move the cycle's import count (compare-and-set against `expected` when given)."""
    where = [Cycle.id == cycle.id]
    if expected is not None:
        where.append(Cycle.index_imports == expected)
    imports = session.scalar(
        update(Cycle)
        .where(*where)
        .values(index_imports=Cycle.index_imports + 1)
        .returning(Cycle.index_imports)
        .execution_options(synchronize_session=False)
    )
    if imports is None:
        raise ConflictError(
            f"Cycle {cycle.name}'s index results were changed by another import since this "
            "preview; nothing was changed. Preview the file again.",
            current={},
        )
    return int(imports)


def load_results(db: Database, cycle_name: str) -> pd.DataFrame:
    """The cycle's stored results as a validated frame in the import format.

    Raises:
        NotFound: no cycle of that name, or it has no index results yet.
    """
    with db.reading() as session:
        cycle = find_cycle(session, cycle_name)
        frame = stored_frame(session, cycle.id)
    if frame.empty:
        raise NotFound(f"cycle {cycle_name} has no index results; import them first")
    if frame["designation"].isna().all():
        frame = frame.drop(columns="designation")
    return check_results(frame, source=f"stored results of cycle {cycle_name}")


Pairs = Collection[tuple[str, str]]  # (district code, school year)


def stored_frame(
    session: Session, cycle_id: int, *, only: Pairs | None = None, excluding: Pairs = ()
) -> pd.DataFrame:
    """The cycle's stored rows in the import format's columns, not validated again.

    Args:
        only: read only the rows of these (district, year) pairs (None: every pair).
        excluding: leave out the rows of these pairs.

    Returns:
        Text columns as categoricals (`designation` always present, missing where none), `n`
        int64 and `value` float64; the whole cycle in the order the rows were stored. Read in
        chunks, each dictionary-encoded at once, so millions of rows never sit in memory as
        Python strings.
    """
    table = _table()
    query = select(*(table.c[name] for name in STORED_COLUMNS)).where(
        table.c.cycle_id == cycle_id, *_pairs_filter(only, excluding)
    )
    if only is None and not excluding:
        query = query.order_by(table.c.id)  # the whole cycle in the order it was imported
    columns = [FRAME_COLUMNS.get(name, name) for name in STORED_COLUMNS]
    chunks: dict[str, list[Any]] = {name: [] for name in columns}
    # On the statement, not the connection: the connection's options outlive this read.
    result = session.connection().execute(query.execution_options(yield_per=CHUNK))
    for chunk in result.partitions():
        # Columns from the row tuples: much faster than handing pandas SQLAlchemy Row objects.
        for name, values in zip(columns, zip(*chunk, strict=True), strict=True):
            if name in ("n", "value"):
                chunks[name].append(np.array(values, dtype=np.int64 if name == "n" else float))
            else:
                chunks[name].append(pa.array(values, type=pa.string()).dictionary_encode())
    data: dict[str, Any] = {}
    for name, pieces in chunks.items():
        if name in ("n", "value"):
            data[name] = np.concatenate(pieces) if pieces else np.zeros(0)
        else:
            data[name] = _categorical(pieces)
    return pd.DataFrame(data)


def stored_schools(session: Session, cycle_id: int, *, excluding: Pairs = ()) -> pd.DataFrame:
    """Each school and year of the cycle outside `excluding`: district, type, and row count.

    What an import that replaces only `excluding` keeps, without reading the rows themselves.
    """
    row = IndexResult
    query = (
        select(row.school_id, row.district_code, row.school_type, row.year, func.count())
        .where(row.cycle_id == cycle_id, *_pairs_filter(None, excluding))
        .group_by(row.school_id, row.district_code, row.school_type, row.year)
    )
    found = session.execute(query).all()
    names = ["school_id", "district_id", "school_type", "year", "rows"]
    if not found:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in names})
    return pd.DataFrame(dict(zip(names, map(list, zip(*found, strict=True)), strict=True)))


def _pairs_filter(only: Pairs | None, excluding: Pairs) -> list[ColumnElement[bool]]:
    pair = tuple_(IndexResult.district_code, IndexResult.year)
    where: list[ColumnElement[bool]] = []
    if only is not None:
        # The districts alone as well: the (cycle, district) index then finds the rows.
        districts = sorted({district for district, _ in only})
        where.append(IndexResult.district_code.in_(districts) if only else false())
        where.append(pair.in_(sorted(only)) if only else false())
    if excluding:
        where.append(pair.not_in(sorted(excluding)))
    return where


def _categorical(pieces: list[pa.DictionaryArray]) -> pd.Categorical:
    """One categorical from dictionary-encoded chunks (a null becomes missing)."""
    if not pieces:
        return pd.Categorical([])
    column = pa.chunked_array(pieces).unify_dictionaries()
    codes = np.concatenate(
        [c.indices.fill_null(-1).to_numpy(zero_copy_only=False) for c in column.chunks]
    )
    categories = column.chunks[0].dictionary.to_pylist()
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def find_cycle(session: Session, cycle_name: str) -> Cycle:
    """The cycle named `cycle_name`.

    Raises:
        NotFound: naming the cycles that do exist.
    """
    cycle = session.scalar(select(Cycle).where(Cycle.name == cycle_name))
    if cycle is None:
        known = ", ".join(session.scalars(select(Cycle.name).order_by(Cycle.name))) or "none"
        raise NotFound(f"no cycle {cycle_name!r} (cycles: {known})")
    return cycle


def _table() -> Table:
    return cast(Table, IndexResult.__table__)


def _record_batches(frame: pd.DataFrame, cycle_id: int) -> Iterator[list[dict[str, object]]]:
    """The frame's rows as insert parameters, `BATCH` at a time (never all of them at once)."""
    columns = {
        "school_id": frame["school_id"],
        "school_name": frame["school_name"],
        "district_code": frame["district_id"],
        "school_type": frame["school_type"],
        "year": frame["year"],
        "metric": frame["metric"],
        "student_group": frame["group"],
        "n": frame["n"],
        "value": frame["value"],
    }
    has_designation = "designation" in frame.columns
    names = [*columns, "designation"]
    for start in range(0, len(frame), BATCH):
        part = slice(start, start + BATCH)
        values = [
            columns["school_id"].iloc[part].astype(str).tolist(),
            columns["school_name"].iloc[part].astype(str).tolist(),
            columns["district_code"].iloc[part].astype(str).tolist(),
            columns["school_type"].iloc[part].astype(str).tolist(),
            columns["year"].iloc[part].astype(str).tolist(),
            columns["metric"].iloc[part].astype(str).tolist(),
            columns["student_group"].iloc[part].astype(str).tolist(),
            columns["n"].iloc[part].astype(int).tolist(),
            columns["value"].iloc[part].astype(float).tolist(),
            _designations(frame["designation"].iloc[part])
            if has_designation
            else [None] * len(columns["n"].iloc[part]),
        ]
        yield [
            {"cycle_id": cycle_id, **dict(zip(names, row, strict=True))}
            for row in zip(*values, strict=True)
        ]


def _designations(column: pd.Series) -> list[str | None]:
    designations: list[str | None] = column.astype(object).where(column.notna(), None).tolist()
    return designations
