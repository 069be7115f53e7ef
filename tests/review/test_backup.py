"""Backup and restore: every row back, on either backend, or a refusal that changes nothing."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, select, text

from review import backup as backup_module
from review import ratings
from review.backup import SKIPPED, as_utc, backup, restore
from review.cli import main
from review.db import AuditEvent, Base, Database, District, Rating, make_engine
from review.demo import load_demo
from review.errors import InvalidInput
from review.ratings import RatingInput
from review.settings import Settings
from tests.conftest import POSTGRES_URL, _reset_postgres
from tests.review.test_migrate_populated import POPULATED, _head

HEAD = _head()
TABLES = len([t for t in Base.metadata.sorted_tables if t.name not in SKIPPED])

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="REVIEW_TEST_POSTGRES_URL unset")


def dump(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every backed-up table's rows in primary-key order, times in UTC."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                source.name: [
                    {k: as_utc(v) if hasattr(v, "tzinfo") else v for k, v in row.items()}
                    for row in conn.execute(
                        select(source).order_by(*source.primary_key.columns)
                    ).mappings()
                ]
                for source in Base.metadata.sorted_tables
                if source.name not in SKIPPED
            }
    finally:
        engine.dispose()


def table_names(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The demo network in SQLite, and a backup of it (made once: loading takes seconds)."""
    folder = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{folder}/demo.db"
    db = Database(url)
    load_demo(db, Settings.from_env({}, database_url=url, bcrypt_rounds=4))
    db.dispose()
    archive = folder / "demo-backup.zip"
    summary = backup(url, archive)
    assert (summary.rows["ratings"], summary.rows["index_results"], summary.blobs) == (
        438,  # both cycles: self and peer ratings
        159_090,
        39,  # the sample files and three generated per district and year
    )
    return url, archive


def export_packet(
    url: str, out: Path, monkeypatch: pytest.MonkeyPatch, district: str = "FHU"
) -> bytes:
    """A district's packet as the command line writes it. The default is a district in peer
    review: its draft packet is built from the data and writes nothing (a final district's
    would be kept in the database, changing the source the other tests compare with)."""
    monkeypatch.setenv("REVIEW_DATABASE_URL", url)
    args = ["export", "packet", "--cycle", "2015-16", "--district", district, "--out", str(out)]
    assert main(args) == 0
    [packet] = out.glob(f"{district}-*.zip")
    return packet.read_bytes()


def test_demo_round_trip_sqlite_keeps_every_row_and_the_packet(demo, tmp_path, monkeypatch):
    source, archive = demo
    target = f"sqlite:///{tmp_path}/restored.db"
    summary = restore(target, archive)
    assert (summary.revision, summary.upgraded_to, summary.blobs) == (HEAD, None, 39)
    expected = dump(source)
    assert dump(target) == expected
    assert {len(rows) for name, rows in expected.items() if name != "calibration_reviews"} > {0}
    original = export_packet(source, tmp_path / "original", monkeypatch)
    assert export_packet(target, tmp_path / "restored", monkeypatch) == original


@needs_postgres
def test_demo_round_trip_through_postgresql(demo, tmp_path, monkeypatch):
    assert POSTGRES_URL
    source, archive = demo
    _reset_postgres(POSTGRES_URL)
    restore(POSTGRES_URL, archive)
    expected = dump(source)
    assert dump(POSTGRES_URL) == expected
    original = export_packet(source, tmp_path / "original", monkeypatch)
    assert export_packet(POSTGRES_URL, tmp_path / "postgres", monkeypatch) == original

    # The id sequences continue after the restored rows.
    db = Database(POSTGRES_URL)
    with db.session() as session:
        added = District(code="NEW", name="New", enrollment=1)
        session.add(added)
        session.flush()
        assert added.id == max(row["id"] for row in expected["districts"]) + 1
        session.rollback()
    db.dispose()

    again = tmp_path / "from-postgres.zip"
    backup(POSTGRES_URL, again)
    target = f"sqlite:///{tmp_path}/back.db"
    restore(target, again)
    assert dump(target) == expected


def test_an_older_archive_is_restored_into_a_database_already_at_head(tmp_path):
    # The empty database is moved down to the archive's revision, loaded, and migrated up.
    target = f"sqlite:///{tmp_path}/migrated.db"
    Database(target).dispose()
    summary = restore(target, POPULATED)
    assert (summary.revision, summary.upgraded_to) == ("0004", HEAD)
    with create_engine(target).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [(HEAD,)]
        assert conn.execute(text("SELECT count(*) FROM ratings")).scalar() == 258


def rewrite(
    archive: Path,
    out: Path,
    *,
    manifest: dict[str, Any] | None = None,
    members: dict[str, bytes | None] | None = None,
    rehash: bool = True,
) -> Path:
    """A copy of `archive` with manifest fields and members replaced (None: left out)."""
    members = members or {}
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(out, "w") as target:
        listed = json.loads(source.read("manifest.json"))
        listed.update(manifest or {})
        for name in source.namelist():
            if name == "manifest.json":
                continue
            data = members.get(name, source.read(name))
            if data is None:
                continue
            if rehash:
                listed["members"][name] = hashlib.sha256(data).hexdigest()
            target.writestr(name, data)
        target.writestr("manifest.json", json.dumps(listed))
    return out


@pytest.fixture
def small_backup(world, tmp_path) -> Path:
    archive = tmp_path / "backup.zip"
    backup(world.settings.database_url, archive)
    return archive


def flip_byte(archive: Path, member: str) -> None:
    """Change one byte in the middle of `member`'s stored data."""
    with zipfile.ZipFile(archive) as source:
        info = source.getinfo(member)
    raw = bytearray(archive.read_bytes())
    name_length = int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little")
    extra_length = int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    raw[start + info.compress_size // 2] ^= 0xFF
    archive.write_bytes(bytes(raw))


def refused(url: str, archive: Path) -> str:
    with pytest.raises(InvalidInput) as caught:
        restore(url, archive)
    return str(caught.value)


def test_a_flipped_byte_is_refused_and_nothing_is_created(small_backup, tmp_path):
    flip_byte(small_backup, "tables/ratings.jsonl")
    target = f"sqlite:///{tmp_path}/target.db"
    message = refused(target, small_backup)
    assert message.startswith(f"{small_backup}: member tables/ratings.jsonl is damaged (")
    assert table_names(target) == []


def test_a_missing_member_is_refused(small_backup, tmp_path):
    cut = rewrite(
        small_backup, tmp_path / "cut.zip", members={"tables/users.jsonl": None}, rehash=False
    )
    message = refused(f"sqlite:///{tmp_path}/target.db", cut)
    assert message == f"{cut}: member tables/users.jsonl is missing"


def test_bad_json_is_refused_even_with_a_matching_checksum(small_backup, tmp_path):
    with zipfile.ZipFile(small_backup) as source:
        lines = source.read("tables/districts.jsonl").splitlines(keepends=True)
    broken = rewrite(
        small_backup,
        tmp_path / "broken.zip",
        members={"tables/districts.jsonl": b"".join([lines[0], b'{"id": 2,\n', *lines[2:]])},
    )
    message = refused(f"sqlite:///{tmp_path}/target.db", broken)
    assert message.startswith(f"{broken}: tables/districts.jsonl line 2: not JSON (")


def test_a_newer_revision_is_refused(small_backup, tmp_path):
    newer = rewrite(small_backup, tmp_path / "newer.zip", manifest={"revision": "0099"})
    target = f"sqlite:///{tmp_path}/target.db"
    assert refused(target, newer) == (
        f"{newer}: the archive is at revision 0099, newer than this code (at {HEAD}): "
        "restore it with the version that wrote it"
    )
    assert table_names(target) == []


def test_a_database_with_rows_is_refused_and_left_as_it_was(world, small_backup):
    url = world.settings.database_url
    before = dump(url)
    count = len(before["assignments"])
    assert count > 0
    assert refused(url, small_backup) == (
        f"the database is not empty: table assignments has {count} row(s); "
        "restore only into an empty database"
    )
    assert dump(url) == before


def test_a_failed_restore_leaves_nothing(world, small_backup, tmp_path):
    """Rows that do not hold together (a triad of a missing cycle) roll back the schema too."""
    with zipfile.ZipFile(small_backup) as source:
        rows = [json.loads(line) for line in source.read("tables/triads.jsonl").splitlines()]
    rows[-1]["cycle_id"] = 999
    bad = rewrite(
        small_backup,
        tmp_path / "bad.zip",
        members={"tables/triads.jsonl": "".join(json.dumps(r) + "\n" for r in rows).encode()},
    )
    if world.settings.database_url.startswith("sqlite"):
        target = f"sqlite:///{tmp_path}/target.db"
        assert refused(target, bad) == (
            f"the archive's rows do not hold together: a row of triads (rowid {rows[-1]['id']}) "
            "refers to a missing row of cycles"
        )
    else:  # PostgreSQL refuses the row as it is loaded
        target = world.settings.database_url
        world.db.dispose()
        _reset_postgres(target)
        message = refused(target, bad)
        assert message.startswith("the archive's rows do not hold together: insert or update on")
        assert 'foreign key constraint "triads_cycle_id_fkey"' in message
        assert "Key (cycle_id)=(999) is not present" in message
    assert table_names(target) == []


def test_backup_while_ratings_are_saved_is_one_moment(world, tmp_path, monkeypatch):
    """Every rating in the archive has the audit trail of exactly its saves."""
    saver_db = Database(world.settings.database_url)
    stop = threading.Event()
    saves: list[int] = []
    failures: list[BaseException] = []

    def keep_saving() -> None:
        versions: dict[str, int | None] = {"ENGAGE": None, "PDSA": None, "EXTRA": None}
        try:
            while not stop.is_set():
                for item, version in versions.items():
                    with saver_db.session() as s:
                        row = ratings.save_self_rating(
                            s,
                            world.leads["A"],
                            world.cycle(s),
                            world.rubric,
                            district_id=world.district_id("A"),
                            item_id=item,
                            expected_version=version,
                            data=RatingInput(level=len(saves) % 4 + 1, narrative=f"save {saves}"),
                        )
                        versions[item] = row.row_version
                    saves.append(1)
        except Exception as exc:  # reported below, not lost in the thread
            failures.append(exc)

    # Slow the backup between tables, so saves land between its reads of ratings and of
    # the audit log: only a snapshot keeps the two in step.
    write_table = backup_module._write_table

    def slow_write_table(*args: Any) -> Any:
        time.sleep(0.05)
        return write_table(*args)

    monkeypatch.setattr(backup_module, "_write_table", slow_write_table)
    saver = threading.Thread(target=keep_saving)
    saver.start()
    try:
        while len(saves) < 6 and not failures:
            time.sleep(0.01)
        before = len(saves)
        archive = tmp_path / "live.zip"
        backup(world.settings.database_url, archive)
        during = len(saves) - before
    finally:
        stop.set()
        saver.join()
        saver_db.dispose()
    assert failures == []
    assert during >= 3, "no saves landed during the backup: the test proves nothing"

    target = f"sqlite:///{tmp_path}/restored.db"
    restore(target, archive)
    db = Database(target)
    with db.session() as s:
        rows = s.scalars(select(Rating).order_by(Rating.id)).all()
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.entity == "rating").order_by(AuditEvent.id)
        ).all()
        assert len(rows) == 3
        for row in rows:
            trail = [e for e in events if e.entity_id == str(row.id)]
            assert [e.after["row_version"] for e in trail if e.after] == list(
                range(1, row.row_version + 1)
            )
            assert trail[-1].after == ratings.rating_dict(row)
    db.dispose()

    # The restored moment exports to the same packet after another backup and restore.
    monkeypatch.setenv("REVIEW_RUBRICS_DIR", str(world.settings.rubrics_dir))
    packet = export_packet(target, tmp_path / "restored", monkeypatch, district="A")
    again = tmp_path / "again.zip"
    backup(target, again)
    restore(f"sqlite:///{tmp_path}/again.db", again)
    assert (
        export_packet(
            f"sqlite:///{tmp_path}/again.db", tmp_path / "again", monkeypatch, district="A"
        )
        == packet
    )


def test_cli_backup_and_restore(world, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REVIEW_DATABASE_URL", world.settings.database_url)
    archive = tmp_path / "cli.zip"
    assert main(["backup", "--out", str(archive)]) == 0
    rows = sum(len(rows) for rows in dump(world.settings.database_url).values())
    assert capsys.readouterr().out == (
        f"wrote {archive}: {rows} rows in {TABLES} tables, 0 evidence file(s), revision {HEAD}\n"
    )
    assert archive.stat().st_mode & 0o777 == 0o600  # password hashes inside
    target = f"sqlite:///{tmp_path}/cli-restored.db"
    assert main(["restore", str(archive), "--database", target]) == 0
    assert capsys.readouterr().out == (
        f"restored {archive}: {rows} rows in {TABLES} tables, 0 evidence file(s), revision {HEAD}\n"
    )
    assert main(["restore", str(archive), "--database", target]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the database is not empty: table ")
    assert err.count("\n") == 1


def test_cli_refuses_what_is_not_there(tmp_path, capsys):
    missing = tmp_path / "missing.db"
    assert main(["backup", "--database", f"sqlite:///{missing}", "--out", "x.zip"]) == 2
    assert capsys.readouterr().err == f"error: there is no database at {missing}\n"
    assert not missing.exists()
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("hello")
    assert main(["restore", str(not_zip), "--database", f"sqlite:///{tmp_path}/t.db"]) == 2
    assert capsys.readouterr().err == (
        f"error: {not_zip} is not a backup archive (not a ZIP file)\n"
    )


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_cli_help(command, capsys):
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    assert "--database URL" in capsys.readouterr().out
