"""Versions of the committed data, per table, so that readers may cache until their tables move.

Every transaction that writes a table (ORM or Core statements, in this process or another
one that opens the database through `review.db`) gives that table a new random stamp as part
of its commit; a delete also stamps the tables its foreign keys cascade to. A table's stamp
moves whenever its committed rows do. `ReadCache` takes the tables each of a read's
statements names from SQLAlchemy's own statement (subqueries, aliases and joins included)
and keeps the result until one of them moves, so a kept result is never older than the
stamps it was read at. A write whose table cannot be told (text SQL, DDL) moves `ANY`, which
every read depends on; a read in text SQL is not kept. Statements sent on a driver cursor,
or edits in an SQL shell, are not seen until the app restarts.

Stamps are written in the commit itself: writers queue on a table's row only for the moment
of committing, and a writer holding it waits for nothing, so no deadlock can form over it
(under PostgreSQL's default READ COMMITTED; stricter isolation would make concurrent writers
of one table fail). Stamps are random, so restoring a backup can never make new data look
like data already cached; each row also counts its writing transactions.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Delete, MetaData, Table, TextClause, event, text
from sqlalchemy.engine import Connection, Engine, ExecutionContext
from sqlalchemy.sql import ClauseElement, visitors
from sqlalchemy.sql.dml import UpdateBase

TABLE = "data_versions"
ANY = "*"  # moved by a write to a table that cannot be told from its statement
NOT_KEPT = "!"  # among a read's tables: it ran SQL whose tables cannot be told
# Text SQL that may write, leading comments skipped. A false alarm costs a cache miss.
_WRITE = re.compile(
    r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*"
    r"(?:INSERT|UPDATE|DELETE|REPLACE|MERGE|UPSERT|TRUNCATE|DROP|ALTER|CREATE"
    r"|WITH\b.*\b(?:INSERT|UPDATE|DELETE))\b",
    re.IGNORECASE | re.DOTALL,
)
_WROTE = "tables_written"  # in a connection's info: the tables its transaction wrote

Versions = Mapping[str, str]  # table -> stamp; a table never written has none


def new_stamp() -> str:
    return secrets.token_hex(16)


def count_changes(engine: Engine, metadata: MetaData) -> None:
    """Make every writing transaction on `engine` move its tables' stamps as it commits."""
    cascades = _cascades(metadata)

    def note(
        conn: Connection,
        _cursor: Any,
        statement: str,
        _parameters: object,
        context: ExecutionContext | None,
        _executemany: bool,
    ) -> None:
        compiled = getattr(context, "compiled", None)
        clause = getattr(compiled, "statement", None)
        reading = _recording.tables
        if reading is not None:
            named = _tables(clause)
            reading.update(named if named else {NOT_KEPT})
        if isinstance(clause, UpdateBase):
            table = getattr(clause.table, "name", ANY)
            written = {table}
            if isinstance(clause, Delete):
                written |= cascades.get(table, set())
        elif _WRITE.match(statement):
            written = {ANY}
        else:
            return
        conn.info.setdefault(_WROTE, set()).update(written)

    event.listen(engine, "before_cursor_execute", note)
    event.listen(engine, "commit", _stamp_on_commit)
    for name in ("begin", "rollback"):
        event.listen(engine, name, _forget)
    event.listen(engine.pool, "reset", _forget_on_reset)


def _tables(clause: object) -> set[str]:
    """The tables a compiled statement names anywhere (joins, subqueries, aliases)."""
    if not isinstance(clause, ClauseElement) or isinstance(clause, TextClause):
        return set()
    return {t.name for t in visitors.iterate(clause) if isinstance(t, Table)}


def _cascades(metadata: MetaData) -> dict[str, set[str]]:
    """For each table, the tables a delete from it reaches through ON DELETE rules."""
    direct: dict[str, set[str]] = {}
    for table in metadata.tables.values():
        for key in table.foreign_keys:
            if key.ondelete:
                direct.setdefault(key.column.table.name, set()).add(table.name)
    reached: dict[str, set[str]] = {}
    for parent in direct:
        seen: set[str] = set()
        todo = [parent]
        while todo:
            for child in direct.get(todo.pop(), set()) - seen:
                seen.add(child)
                todo.append(child)
        reached[parent] = seen
    return reached


def _stamp_on_commit(conn: Connection) -> None:
    tables = conn.info.pop(_WROTE, None)
    if tables:
        stamp(conn.connection.cursor(), tables)


def stamp(cursor: Any, tables: set[str]) -> None:
    """Give `tables` new stamps, on a driver cursor inside the transaction that changed them.

    Names come from SQLAlchemy's table objects (or `ANY`) and stamps are hex digits, so both
    are safe to write into the statement.
    """
    try:
        for table in sorted(tables):  # one order for every writer
            cursor.execute(
                f"INSERT INTO {TABLE} (name, writes, stamp) VALUES ('{table}', 1, '{new_stamp()}')"
                " ON CONFLICT (name) DO UPDATE SET writes = "
                f"{TABLE}.writes + 1, stamp = excluded.stamp"
            )
    finally:
        cursor.close()


def _forget(conn: Connection, *_: object) -> None:
    conn.info.pop(_WROTE, None)


def _forget_on_reset(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
    connection_record.info.pop(_WROTE, None)


def current(engine: Engine) -> dict[str, str]:
    """Each written table's stamp now."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT name, stamp FROM {TABLE}").all()
    return {str(name): str(stamp) for name, stamp in rows}


def writes(engine: Engine, table: str) -> int:
    """How many committed transactions wrote `table`."""
    with engine.connect() as conn:
        query = text(f"SELECT writes FROM {TABLE} WHERE name = :name")  # `table` is a parameter
        row = conn.execute(query, {"name": table}).first()
    return int(row[0]) if row else 0


class _Recording(threading.local):
    tables: set[str] | None = None


_recording = _Recording()

T = TypeVar("T")


class ReadCache:
    """Results of reads, each kept until a table it read from moves (least recent out).

    Results are shared by everyone who reads them: callers must not change them.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Hashable, ...], tuple[dict[str, str], object]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, versions: Versions, key: tuple[Hashable, ...], load: Callable[[], T]) -> T:
        """The result for `key`, from `load` unless a result read at these stamps is kept.

        `versions` must be read before the data, so a kept result is never older than them.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and _unchanged(entry[0], versions):
                self._entries.move_to_end(key)
                if _recording.tables is not None:  # a read inside a read: it depends on both
                    _recording.tables.update(entry[0])
                return entry[1]  # type: ignore[return-value]
        value, tables = _recorded(load)  # outside the lock: a slow read holds up no other
        if NOT_KEPT in tables:
            return value
        seen = {table: versions.get(table, "") for table in tables | {ANY}}
        with self._lock:
            self._entries[key] = (seen, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value


def _unchanged(seen: dict[str, str], versions: Versions) -> bool:
    return all(versions.get(table, "") == stamp for table, stamp in seen.items())


def _recorded(load: Callable[[], T]) -> tuple[T, set[str]]:
    """`load()`, and the tables its statements named (on this thread)."""
    outer = _recording.tables
    _recording.tables = set()
    try:
        value = load()
        tables = _recording.tables
    finally:
        if outer is not None:
            outer.update(_recording.tables or ())
        _recording.tables = outer
    return value, tables
