"""A database-wide version of the committed data, so that readers may cache until it moves.

Every transaction that writes anything (through the ORM, a Core statement or a raw
connection, in this process or another one that opens the database through `review.db`)
moves the single `change_count` row as part of its commit: the version moves exactly when
committed data does. A reader that keys a cached result on the version it read first can
never serve data older than that version. Edits made around this code (an SQL shell) are not
seen until the app restarts.

The row is updated in the commit itself, so writers queue on it only for the moment of
committing, and a writer holding it waits for nothing: no deadlock can form over it. Each
version carries a random stamp as well as the count, so restoring a backup (which sets the
count back) can never make a new version look like one already cached.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

TABLE = "change_count"
# Leading comments skipped; a WITH ... may end in a write. A false alarm costs one extra count.
_WRITE = re.compile(
    r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*"
    r"(?:INSERT|UPDATE|DELETE|REPLACE|MERGE|UPSERT|WITH\b.*\b(?:INSERT|UPDATE|DELETE))\b",
    re.IGNORECASE | re.DOTALL,
)
_WROTE = "changed_data"  # set in a connection's info once its transaction writes


class Version(NamedTuple):
    writes: int  # writing transactions committed so far
    stamp: str  # random, new with every write: never repeats, even after a restore


def new_stamp() -> str:
    return secrets.token_hex(16)


def count_changes(engine: Engine) -> None:
    """Make every writing transaction on `engine` move the version as it commits."""
    event.listen(engine, "before_cursor_execute", _note_write)
    event.listen(engine, "commit", _count_on_commit)
    for name in ("begin", "rollback"):
        event.listen(engine, name, _forget)
    event.listen(engine.pool, "reset", _forget_on_reset)


def _note_write(
    conn: Connection,
    _cursor: Any,
    statement: str,
    _parameters: object,
    _context: object,
    _executemany: bool,
) -> None:
    if not conn.info.get(_WROTE) and _WRITE.match(statement):
        conn.info[_WROTE] = True


def _count_on_commit(conn: Connection) -> None:
    if conn.info.pop(_WROTE, None):
        # Straight to the driver, inside the transaction being committed; the stamp is made
        # here from hex digits only, so writing it into the statement is safe.
        cursor = conn.connection.cursor()
        try:
            cursor.execute(f"UPDATE {TABLE} SET n = n + 1, stamp = '{new_stamp()}' WHERE id = 1")
        finally:
            cursor.close()


def _forget(conn: Connection, *_: object) -> None:
    conn.info.pop(_WROTE, None)


def _forget_on_reset(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
    connection_record.info.pop(_WROTE, None)


def current(engine: Engine) -> Version:
    """The version of the committed data now."""
    with engine.connect() as conn:
        count, stamp = conn.exec_driver_sql(f"SELECT n, stamp FROM {TABLE} WHERE id = 1").one()
    return Version(int(count), str(stamp))


T = TypeVar("T")


class ReadCache:
    """Results of reads, each kept for the version it was read at (least recent out).

    Results are shared by everyone reading at that version: callers must not change them.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Hashable, ...], object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: Hashable, key: tuple[Hashable, ...], load: Callable[[], T]) -> T:
        """The result for `key` at `version`, from `load` the first time it is asked for."""
        full = (version, *key)
        with self._lock:
            if full in self._entries:
                self._entries.move_to_end(full)
                return self._entries[full]  # type: ignore[return-value]
        value = load()  # outside the lock: a slow read must not hold up the others
        with self._lock:
            self._entries[full] = value
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value
