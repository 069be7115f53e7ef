"""Versions of the committed data, per table, so that readers may cache until their tables move.

Every transaction that writes a table (through the ORM, a Core statement or a raw
connection, in this process or another one that opens the database through `review.db`)
gives that table a new random stamp as part of its commit: a table's stamp moves exactly
when its committed rows do. `ReadCache` notes the tables a read's statements name and keeps
the result until one of them moves, so a kept result is never older than the stamps it was
read at. A write whose table cannot be told moves `ANY`, which every read depends on. Edits
made around this code (an SQL shell) are not seen until the app restarts.

Stamps are written in the commit itself: writers queue on a table's row only for the moment
of committing, and a writer holding it waits for nothing, so no deadlock can form over it.
Stamps are random, so restoring a backup can never make new data look like data already
cached; each row also counts its writing transactions.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

TABLE = "data_versions"
ANY = "*"  # moved by a write to a table that cannot be told from its statement
# Leading comments skipped; a WITH ... may end in a write. A false alarm costs a cache miss.
_WRITE = re.compile(
    r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*"
    r"(?:INSERT|UPDATE|DELETE|REPLACE|MERGE|UPSERT|WITH\b.*\b(?:INSERT|UPDATE|DELETE))\b",
    re.IGNORECASE | re.DOTALL,
)
_NAME = r'(?:"?\w+"?\.)?"?(\w+)"?'  # an optional schema, then the table
_WRITTEN = re.compile(
    rf"^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+{_NAME}", re.IGNORECASE
)
_READ = re.compile(rf"\b(?:FROM|JOIN|INTO|UPDATE)\s+{_NAME}", re.IGNORECASE)
_WROTE = "tables_written"  # in a connection's info: the tables its transaction wrote

Versions = Mapping[str, str]  # table -> stamp; a table never written has none


def new_stamp() -> str:
    return secrets.token_hex(16)


def count_changes(engine: Engine) -> None:
    """Make every writing transaction on `engine` move its tables' stamps as it commits."""
    event.listen(engine, "before_cursor_execute", _note)
    event.listen(engine, "commit", _stamp_on_commit)
    for name in ("begin", "rollback"):
        event.listen(engine, name, _forget)
    event.listen(engine.pool, "reset", _forget_on_reset)


def _note(
    conn: Connection,
    _cursor: Any,
    statement: str,
    _parameters: object,
    _context: object,
    _executemany: bool,
) -> None:
    reading = _recording.tables
    if reading is not None:
        reading.update(m.lower() for m in _READ.findall(statement))
    if _WRITE.match(statement):
        written = _WRITTEN.match(statement)
        table = written.group(1).lower() if written else ANY
        conn.info.setdefault(_WROTE, set()).add(table)


def _stamp_on_commit(conn: Connection) -> None:
    tables = conn.info.pop(_WROTE, None)
    if not tables:
        return
    # Straight to the driver, inside the transaction being committed; names come from the
    # statements' own \w+ table names and stamps are hex digits, so both are safe to inline.
    cursor = conn.connection.cursor()
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
        row = conn.exec_driver_sql(f"SELECT writes FROM {TABLE} WHERE name = '{table}'").first()
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
