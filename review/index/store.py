"""A cycle's imported index results in the database (`IndexResult` rows), all or nothing."""

from __future__ import annotations

from typing import cast

import pandas as pd
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from review.db import Cycle, Database, District, IndexResult
from review.errors import NotFound
from review.index.catalogue import SpecCatalogue
from review.index.compute import compute_index
from review.index.importer import check_results
from review.index.stored import store_summaries

__all__ = ["load_results", "save_results", "store_results"]

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


def save_results(
    db: Database, cycle_name: str, frame: pd.DataFrame, *, specs: SpecCatalogue
) -> int:
    """Replace the cycle's index results with `frame`, in one transaction.

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
    """Replace the cycle's results inside the caller's transaction (`frame` already validated).

    Side effects: deletes every earlier `IndexResult` row of the cycle, then inserts the frame's,
    and counts the import on the cycle (`Cycle.index_imports`): computed results are cached by
    that count, so it moves in the same transaction as the rows it stands for. When the cycle
    has an index spec, each network district's summary is computed and stored too, keyed by
    that count (`review.index.stored`), so pages read one row instead of computing them.

    Raises:
        NotFound: the cycle's index spec is not among `specs`; nothing is changed.
        InvalidInput: the frame has no results for the spec's school year; nothing is changed.
    """
    spec = specs.get_key(cycle.index_spec) if cycle.index_spec else None
    session.execute(delete(IndexResult).where(IndexResult.cycle_id == cycle.id))
    imports = session.scalar(
        update(Cycle)
        .where(Cycle.id == cycle.id)
        .values(index_imports=Cycle.index_imports + 1)
        .returning(Cycle.index_imports)
    )
    records = _records(frame, cycle.id)
    # Core executemany on the session's connection: same transaction, no ORM bookkeeping.
    connection = session.connection()
    table = _table()
    for start in range(0, len(records), BATCH):
        connection.execute(insert(table), records[start : start + BATCH])
    codes = session.scalars(select(District.code)).all() if spec is not None else []
    if spec is not None and imports is not None and codes:
        store_summaries(session, cycle, imports, compute_index(frame, spec), codes)
    return len(records)


def load_results(db: Database, cycle_name: str) -> pd.DataFrame:
    """The cycle's stored results as a validated frame in the import format.

    Raises:
        NotFound: no cycle of that name, or it has no index results yet.
    """
    table = _table()
    with db.reading() as session:
        cycle = find_cycle(session, cycle_name)
        query = (
            select(*(table.c[name] for name in STORED_COLUMNS))
            .where(table.c.cycle_id == cycle.id)
            .order_by(table.c.id)
        )
        rows = session.connection().execute(query).all()
    if not rows:
        raise NotFound(f"cycle {cycle_name} has no index results; import them first")
    columns = [FRAME_COLUMNS.get(name, name) for name in STORED_COLUMNS]
    # Columns from the row tuples: much faster than handing pandas SQLAlchemy Row objects.
    frame = pd.DataFrame(dict(zip(columns, map(list, zip(*rows, strict=True)), strict=True)))
    if frame["designation"].isna().all():
        frame = frame.drop(columns="designation")
    return check_results(frame, source=f"stored results of cycle {cycle_name}")


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


def _records(frame: pd.DataFrame, cycle_id: int) -> list[dict[str, object]]:
    size = len(frame)
    designation = (
        frame["designation"].astype(object).where(frame["designation"].notna(), None).tolist()
        if "designation" in frame.columns
        else [None] * size
    )
    columns = {
        "school_id": frame["school_id"].astype(str).tolist(),
        "school_name": frame["school_name"].astype(str).tolist(),
        "district_code": frame["district_id"].astype(str).tolist(),
        "school_type": frame["school_type"].astype(str).tolist(),
        "year": frame["year"].astype(str).tolist(),
        "metric": frame["metric"].astype(str).tolist(),
        "student_group": frame["group"].astype(str).tolist(),
        "n": frame["n"].astype(int).tolist(),
        "value": frame["value"].astype(float).tolist(),
        "designation": designation,
    }
    names = list(columns)
    return [
        {"cycle_id": cycle_id, **dict(zip(names, values, strict=True))}
        for values in zip(*columns.values(), strict=True)
    ]
