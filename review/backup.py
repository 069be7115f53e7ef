"""Backup and restore: the whole database in one ZIP archive, alike for SQLite and PostgreSQL.

An archive holds:

- `manifest.json`: the format, the Alembic revision the rows belong to, each table's columns
  (with how their values are written) and row count, and the SHA-256 of every other member;
- `tables/<table>.jsonl`: one JSON object per row, in primary-key order. Datetimes are ISO 8601
  in UTC, JSON columns are JSON, and a binary value (evidence bytes) is the SHA-256 of
- `blobs/<sha256>`: those bytes, once per content.

A backup reads every table in one snapshot while people keep working, so what it holds was
committed together. A restore checks the whole archive before it touches the database, loads
only into an empty one, and does everything in one transaction: it is whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    Numeric,
    Table,
    event,
    func,
    inspect,
    make_url,
    select,
    table,
)
from sqlalchemy.exc import IntegrityError

from review.db import MIGRATIONS, Base, make_engine, writer
from review.errors import InvalidInput

FORMAT = "review-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Alembic's own bookkeeping, and per-table write stamps (being retired) that mean nothing in
# another database: a restore starts them afresh.
SKIPPED = frozenset({"alembic_version", "data_versions"})
_ROWS_PER_INSERT = 1000
_CHUNK = 1 << 20


class Kind(StrEnum):
    """How a column's values are written in the archive."""

    PLAIN = "plain"  # JSON's own: text, numbers, booleans
    DATETIME = "datetime"  # ISO 8601 in UTC
    DATE = "date"
    DECIMAL = "decimal"  # as text, exactly
    JSON = "json"
    BINARY = "binary"  # the SHA-256 of a `blobs/` member


class TableEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    member: str
    rows: int
    columns: dict[str, Kind]


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format: str
    format_version: int
    revision: str
    created_at: datetime
    source: str  # the backend it came from, for people reading the manifest
    tables: tuple[TableEntry, ...]
    members: dict[str, str]  # member -> SHA-256 of its bytes


class Summary(BaseModel):
    """What a backup wrote or a restore loaded."""

    model_config = ConfigDict(frozen=True)

    revision: str
    rows: dict[str, int]
    blobs: int
    upgraded_to: str | None = None  # a restore of an older revision: the head it reached


# --- backup ------------------------------------------------------------------------------


def backup(url: str, out: Path) -> Summary:
    """Write every table of the database at `url` to the archive `out`, from one snapshot.

    Raises:
        InvalidInput: there is no database there, or it is not at this code's revision.
    """
    _refuse_missing_sqlite_file(url)
    engine = _engine(url, foreign_keys=True)
    try:
        with engine.connect() as conn, atomic_file(out) as handle:
            _begin_snapshot(conn)
            revision = _revision_to_back_up(conn, url)
            summary = _write_archive(conn, handle, revision)
            conn.rollback()  # it only read
    finally:
        engine.dispose()
    return summary


def _refuse_missing_sqlite_file(url: str) -> None:
    parsed = make_url(url)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).exists():
        raise InvalidInput(f"there is no database at {file}")


def _begin_snapshot(conn: Connection) -> None:
    """Make every read of `conn` see the data as of one moment.

    SQLite: the engine begins with an explicit BEGIN (`review.db.make_engine`); in WAL mode the
    snapshot is fixed by the first read and writers carry on. PostgreSQL: a repeatable-read
    transaction.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def _revision_to_back_up(conn: Connection, url: str) -> str:
    revision = MigrationContext.configure(conn).get_current_revision()
    head = _scripts().get_current_head()
    if revision is None:
        raise InvalidInput(f"the database at {_redacted(url)} has no tables: nothing to back up")
    if revision != head:
        # The rows are read through this code's tables, which must match the schema.
        raise InvalidInput(
            f"the database is at revision {revision} but this code's is {head}: back it up "
            "with the version of the app that uses it"
        )
    return revision


def _write_archive(conn: Connection, handle: IO[bytes], revision: str) -> Summary:
    members: dict[str, str] = {}
    entries = []
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for source in Base.metadata.sorted_tables:
            if source.name not in SKIPPED:
                entries.append(_write_table(conn, archive, source, members))
        manifest = Manifest(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            revision=revision,
            created_at=datetime.now(UTC),
            source=conn.dialect.name,
            tables=tuple(entries),
            members=members,
        )
        archive.writestr(MANIFEST, manifest.model_dump_json(indent=2))
    return Summary(
        revision=revision,
        rows={entry.name: entry.rows for entry in entries},
        blobs=sum(1 for name in members if name.startswith("blobs/")),
    )


def _write_table(
    conn: Connection, archive: zipfile.ZipFile, source: Table, members: dict[str, str]
) -> TableEntry:
    """Write one table's rows, and the binary values they hold as members of their own.

    A ZIP takes one member at a time, so the rows go to a temporary file while the blobs are
    written, and into the archive after; one blob at a time is in memory.
    """
    kinds = {column.name: column_kind(column) for column in source.columns}
    binary = any(kind is Kind.BINARY for kind in kinds.values())
    query = select(source).order_by(*source.primary_key.columns)
    result = conn.execution_options(yield_per=1 if binary else _ROWS_PER_INSERT).execute(query)
    count = 0
    with tempfile.TemporaryFile() as rows:
        for row in result.mappings():
            record = {}
            for name, kind in kinds.items():
                value = row[name]
                if kind is Kind.BINARY and value is not None:
                    value = _write_blob(archive, bytes(value), members)
                record[name] = encode(kind, value)
            rows.write(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            count += 1
        rows.seek(0)
        member = f"tables/{source.name}.jsonl"
        members[member] = _copy_into(archive, member, rows)
    return TableEntry(name=source.name, member=member, rows=count, columns=kinds)


def _write_blob(archive: zipfile.ZipFile, data: bytes, members: dict[str, str]) -> str:
    digest = hashlib.sha256(data).hexdigest()
    member = f"blobs/{digest}"
    if member not in members:
        archive.writestr(member, data)
        members[member] = digest
    return digest


def _copy_into(archive: zipfile.ZipFile, member: str, source: IO[bytes]) -> str:
    digest = hashlib.sha256()
    with archive.open(member, "w", force_zip64=True) as target:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            target.write(chunk)
    return digest.hexdigest()


def column_kind(column: Column[Any]) -> Kind:
    kind = column.type
    if isinstance(kind, DateTime):
        return Kind.DATETIME
    if isinstance(kind, Date):
        return Kind.DATE
    if isinstance(kind, LargeBinary):
        return Kind.BINARY
    if isinstance(kind, JSON):
        return Kind.JSON
    if isinstance(kind, Numeric) and kind.asdecimal:
        return Kind.DECIMAL
    return Kind.PLAIN


def encode(kind: Kind, value: Any) -> Any:
    """A column value as JSON (binary values arrive as their SHA-256 already)."""
    if value is None:
        return None
    if kind is Kind.DATETIME:
        return as_utc(value).isoformat()
    if kind is Kind.DATE:
        return value.isoformat()
    if kind is Kind.DECIMAL:
        return str(value)
    return value


def decode(kind: Kind, value: Any) -> Any:
    """An archived value as the database takes it (binary values are read by the caller)."""
    if value is None:
        return None
    if kind is Kind.DATETIME:
        return as_utc(datetime.fromisoformat(value))
    if kind is Kind.DATE:
        return date.fromisoformat(value)
    if kind is Kind.DECIMAL:
        return Decimal(value)
    return value


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC. SQLite keeps no time zone: the app writes UTC (`review.audit.now`), so
    a time read back from SQLite without one is UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@contextmanager
def atomic_file(target: Path) -> Iterator[IO[bytes]]:
    """A file that appears at `target` whole when the block succeeds, and not at all else."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.partial-")
    try:
        with os.fdopen(handle, "w+b") as out:
            yield out
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- restore -----------------------------------------------------------------------------


def restore(url: str, archive_path: Path) -> Summary:
    """Load the archive into the empty database at `url`, then migrate it to this code's head.

    Raises:
        InvalidInput: the archive is damaged or from newer code, or the database has rows.
    """
    try:
        archive = zipfile.ZipFile(archive_path)
    except zipfile.BadZipFile:
        raise InvalidInput(f"{archive_path} is not a backup archive (not a ZIP file)") from None
    with archive:
        manifest = verify(archive, archive_path)
        # SQLite: take the write lock at once, so nobody writes between the check for rows
        # and the load; foreign keys are checked once, at the end (see `_check_foreign_keys`).
        engine = _engine(url, foreign_keys=False)
        try:
            with writer(engine).begin() as conn:
                _refuse_rows(conn)
                _move_schema(conn, manifest.revision)
                tables = MetaData()
                tables.reflect(conn)
                for entry in manifest.tables:
                    _load_table(conn, archive, entry, _target_table(tables, entry, manifest))
                command.upgrade(_config(conn), "head")
                head = MigrationContext.configure(conn).get_current_revision()
                _reset_sequences(conn)
                _check_foreign_keys(conn)
        except IntegrityError as error:  # PostgreSQL checks each row as it is loaded
            detail = " ".join(str(error.orig).split())
            raise InvalidInput(f"the archive's rows do not hold together: {detail}") from None
        finally:
            engine.dispose()
    return Summary(
        revision=manifest.revision,
        rows={entry.name: entry.rows for entry in manifest.tables},
        blobs=sum(1 for name in manifest.members if name.startswith("blobs/")),
        upgraded_to=head if head != manifest.revision else None,
    )


def verify(archive: zipfile.ZipFile, path: Path) -> Manifest:
    """The archive's manifest, once every member is there, matches its SHA-256 and parses.

    Raises:
        InvalidInput: naming the first thing wrong, and the revision when it is newer than
            this code's.
    """
    manifest = _manifest(archive, path)
    names = set(archive.namelist()) - {MANIFEST}
    missing, unlisted = sorted(set(manifest.members) - names), sorted(names - set(manifest.members))
    if missing:
        raise InvalidInput(f"{path}: member {missing[0]} is missing")
    if unlisted:
        raise InvalidInput(f"{path}: member {unlisted[0]} is not in the manifest")
    for member, expected in sorted(manifest.members.items()):
        if _member_sha256(archive, member, path) != expected:
            raise InvalidInput(f"{path}: member {member} is damaged (its SHA-256 differs)")
    for entry in manifest.tables:
        if entry.member not in manifest.members:
            raise InvalidInput(f"{path}: table {entry.name}'s member {entry.member} is missing")
        count = sum(1 for _ in _checked_rows(archive, entry, manifest, path))
        if count != entry.rows:
            raise InvalidInput(
                f"{path}: {entry.member} has {count} rows, the manifest says {entry.rows}"
            )
    _refuse_unknown_revision(manifest.revision, path)
    return manifest


def _manifest(archive: zipfile.ZipFile, path: Path) -> Manifest:
    try:
        text = archive.read(MANIFEST)
    except KeyError:
        raise InvalidInput(f"{path} is not a backup archive: it has no {MANIFEST}") from None
    except (zipfile.BadZipFile, zlib.error) as exc:
        raise InvalidInput(f"{path}: {MANIFEST} is damaged ({exc})") from None
    try:
        manifest = Manifest.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInput(f"{path}: {MANIFEST} is not valid: {where}: {first['msg']}") from None
    if (manifest.format, manifest.format_version) != (FORMAT, FORMAT_VERSION):
        raise InvalidInput(
            f"{path}: format {manifest.format} {manifest.format_version} is not "
            f"{FORMAT} {FORMAT_VERSION}"
        )
    return manifest


def _member_sha256(archive: zipfile.ZipFile, member: str, path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with archive.open(member) as source:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise InvalidInput(f"{path}: member {member} is damaged ({exc})") from None
    return digest.hexdigest()


def _checked_rows(
    archive: zipfile.ZipFile, entry: TableEntry, manifest: Manifest, path: Path
) -> Iterator[dict[str, Any]]:
    """A table's rows as archived, each checked: JSON, its columns, values of their kind."""
    columns = set(entry.columns)
    checked = [(name, kind) for name, kind in entry.columns.items() if kind is not Kind.PLAIN]
    with archive.open(entry.member) as source:
        for number, line in enumerate(source, start=1):
            where = f"{path}: {entry.member} line {number}"
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise InvalidInput(f"{where}: not JSON ({exc})") from None
            if not isinstance(row, dict) or set(row) != columns:
                raise InvalidInput(f"{where}: not a row of {entry.name}'s columns")
            for name, kind in checked:
                value = row[name]
                if kind is Kind.BINARY:
                    if value is not None and f"blobs/{value}" not in manifest.members:
                        raise InvalidInput(f"{where}: {name} names no blob of the archive")
                    continue
                try:
                    decode(kind, value)
                except (TypeError, ValueError, ArithmeticError):
                    raise InvalidInput(f"{where}: {name} is not a {kind} value") from None
            yield row


def _refuse_unknown_revision(revision: str, path: Path) -> None:
    scripts = _scripts()
    try:
        known = scripts.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise InvalidInput(
            f"{path}: the archive is at revision {revision}, newer than this code "
            f"(at {scripts.get_current_head()}): restore it with the version that wrote it"
        )


def _refuse_rows(conn: Connection) -> None:
    for name in sorted(inspect(conn).get_table_names()):
        if name in SKIPPED:
            continue
        count = conn.execute(select(func.count()).select_from(table(name))).scalar_one()
        if count:
            raise InvalidInput(
                f"the database is not empty: table {name} has {count} row(s); "
                "restore only into an empty database"
            )


def _move_schema(conn: Connection, revision: str) -> None:
    """Bring the (empty) database's schema to `revision`, up or down."""
    config = _config(conn)
    current = MigrationContext.configure(conn).get_current_revision()
    if current == revision:
        return
    below = {script.revision for script in _scripts().walk_revisions("base", revision)}
    if current is None or current in below:
        command.upgrade(config, revision)
        return
    try:
        command.downgrade(config, revision)
    except CommandError:
        raise InvalidInput(
            f"the database is at revision {current}, which this code does not know"
        ) from None


def _target_table(tables: MetaData, entry: TableEntry, manifest: Manifest) -> Table:
    target = tables.tables.get(entry.name)
    missing = set(entry.columns) - set(target.columns.keys()) if target is not None else set()
    if target is None or missing:
        what = f"column {sorted(missing)[0]}" if missing else "it"
        raise InvalidInput(
            f"the archive's table {entry.name} does not fit revision {manifest.revision}: "
            f"{what} is not in the schema"
        )
    return target


def _load_table(
    conn: Connection, archive: zipfile.ZipFile, entry: TableEntry, target: Table
) -> None:
    binary = [name for name, kind in entry.columns.items() if kind is Kind.BINARY]
    # One row at a time where rows carry file contents, so one file at a time is in memory.
    size = 1 if binary else _ROWS_PER_INSERT
    batch: list[dict[str, Any]] = []
    for row in _rows_for_loading(archive, entry):
        for name in binary:
            if row[name] is not None:
                row[name] = archive.read(f"blobs/{row[name]}")
        batch.append(row)
        if len(batch) >= size:
            conn.execute(target.insert(), batch)
            batch = []
    if batch:
        conn.execute(target.insert(), batch)


def _rows_for_loading(archive: zipfile.ZipFile, entry: TableEntry) -> Iterator[dict[str, Any]]:
    converted = [
        (name, kind)
        for name, kind in entry.columns.items()
        if kind not in (Kind.PLAIN, Kind.JSON, Kind.BINARY)
    ]
    with archive.open(entry.member) as source:
        for line in source:
            row = json.loads(line)
            for name, kind in converted:
                row[name] = decode(kind, row[name])
            yield row


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL: start each id sequence after the largest id loaded (rows came with ids)."""
    if conn.dialect.name != "postgresql":
        return
    tables = MetaData()
    tables.reflect(conn)
    quote = conn.dialect.identifier_preparer.quote
    for target in tables.sorted_tables:
        for column in target.primary_key.columns:
            sequence = conn.execute(
                select(func.pg_get_serial_sequence(quote(target.name), column.name))
            ).scalar_one()
            if sequence is not None:
                largest = func.max(column)
                conn.execute(
                    select(
                        func.setval(sequence, func.coalesce(largest, 1), largest.is_not(None))
                    ).select_from(target)
                )


def _check_foreign_keys(conn: Connection) -> None:
    """SQLite loads with foreign keys off (rows and batch migrations in any order): check now."""
    if conn.dialect.name != "sqlite":
        return
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
    if broken is not None:
        name, rowid, parent = broken[0], broken[1], broken[2]
        raise InvalidInput(
            f"the archive's rows do not hold together: a row of {name} (rowid {rowid}) "
            f"refers to a missing row of {parent}"
        )


# --- shared ------------------------------------------------------------------------------


def _engine(url: str, *, foreign_keys: bool) -> Engine:
    """An engine whose transactions are real ones on SQLite too (`review.db.make_engine`), with
    foreign keys left off if asked (they act only outside a transaction, hence at connect)."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite" and not foreign_keys:

        def connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA foreign_keys=OFF")

        event.listen(engine, "connect", connect)
    return engine


def _config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def _redacted(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
