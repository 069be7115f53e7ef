"""A database-wide count of committed changes, so that readers may cache until anything changes.

Every transaction that writes anything (through the ORM, a Core statement or a raw
connection, in this process or another one) adds one to the single `change_count` row, in
the same transaction: the count moves exactly when committed data does. A reader that keys
a cached result on the count it read can never serve data older than that count.

The count is taken before the transaction's first write, so every writer locks the same row
first: writers queue behind each other (as they do on SQLite anyway) and can never deadlock
over it. Transactions here are short; a bulk import holds the queue for its duration.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

TABLE = "change_count"
_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_BUMP = f"UPDATE {TABLE} SET n = n + 1 WHERE id = 1"
_COUNTED = "change_counted"  # set in a connection's info while its transaction is counted


def count_changes(engine: Engine) -> None:
    """Make every writing transaction on `engine` add one to the change count."""
    event.listen(engine, "before_cursor_execute", _count_write)
    for name in ("begin", "commit", "rollback", "rollback_savepoint"):
        event.listen(engine, name, _forget)
    event.listen(engine.pool, "reset", _forget_on_reset)


def _count_write(
    conn: Connection,
    cursor: Any,
    statement: str,
    _parameters: object,
    _context: object,
    _executemany: bool,
) -> None:
    if conn.info.get(_COUNTED) or not _WRITE.match(statement):
        return
    conn.info[_COUNTED] = True
    cursor.execute(_BUMP)  # straight to the driver: no event, so not counted again


def _forget(conn: Connection, *_: object) -> None:
    # A savepoint rolled back may have undone the count: count again at the next write.
    conn.info.pop(_COUNTED, None)


def _forget_on_reset(dbapi_connection: Any, connection_record: Any, reset_state: Any) -> None:
    connection_record.info.pop(_COUNTED, None)


def current(engine: Engine) -> int:
    """The number of writing transactions committed so far."""
    with engine.connect() as conn:
        value = conn.exec_driver_sql(f"SELECT n FROM {TABLE} WHERE id = 1").scalar_one()
    return int(value)


T = TypeVar("T")


class ReadCache:
    """Results of reads, each kept for the change count it was read at (least recent out).

    Results are shared by everyone reading at that count: callers must not change them.
    """

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[Hashable, ...], object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, count: int, key: tuple[Hashable, ...], load: Callable[[], T]) -> T:
        """The result for `key` at `count`, from `load` the first time it is asked for."""
        full = (count, *key)
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
