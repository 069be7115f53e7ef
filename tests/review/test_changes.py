"""Each table's stamp moves once per committed transaction that writes it, whoever writes."""

import shutil
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, insert, select, text, update

from review import changes
from review.changes import ANY, ReadCache
from review.db import Assignment, Cycle, Database, District
from review.settings import PROJECT_ROOT


def _district(code: str) -> District:
    return District(code=code, name=f"District {code}", enrollment=1000, school_count=5)


def _cycle(session) -> Cycle:
    cycle = Cycle(
        name="x", rubric_id="r", rubric_version="v1", rubric_hash="h", created_at=datetime.now(UTC)
    )
    session.add(cycle)
    session.flush()
    return cycle


def _writes(db: Database, table: str = "districts") -> int:
    return changes.writes(db.engine, table)


def test_a_migration_moves_every_read(db, tmp_path):
    # Opening a new database migrated it: a migration may change any table's rows.
    assert set(db.versions()) == {ANY}
    assert _writes(db, ANY) == 1
    again = Database(db.url)  # nothing left to migrate: nothing moves
    try:
        assert _writes(again, ANY) == 1
    finally:
        again.dispose()


def test_reading_moves_nothing(db):
    with db.session() as s:
        s.add(_district("A"))
    before = db.versions()
    with db.session() as s:
        s.scalars(select(District)).all()
    assert db.versions() == before


def test_one_transaction_counts_once_however_much_it_writes(db):
    with db.session() as s:
        s.add_all([_district("A"), _district("B")])
        s.flush()
        s.execute(update(District).where(District.code == "A").values(enrollment=2000))
    assert _writes(db) == 1
    with db.session() as s:
        s.execute(delete(District).where(District.code == "B"))
    assert _writes(db) == 2


def test_a_write_moves_only_the_tables_it_wrote(db):
    with db.session() as s:
        s.add(_district("A"))
    before = db.versions()
    with db.session() as s:
        s.scalar(select(District)).enrollment = 1234
    after = db.versions()
    assert set(after) == {"districts", ANY}  # no other table was written
    assert after["districts"] != before["districts"] and after[ANY] == before[ANY]


def test_core_writes_on_the_session_connection_count(db):
    # As the index import writes: insert() through the session's connection.
    rows = [{"code": "Z", "name": "Z", "enrollment": 1, "school_count": 1}]
    with db.session() as s:
        s.connection().execute(insert(District.__table__), rows)
    assert _writes(db) == 1


def test_a_write_whose_table_cannot_be_told_moves_every_read(db):
    with db.session() as s:
        s.add(_district("A"))
        s.execute(
            text(
                "WITH grown AS (SELECT id FROM districts) "
                "UPDATE districts SET enrollment = enrollment + 1 "
                "WHERE id IN (SELECT id FROM grown)"
            )
        )
    assert _writes(db, ANY) == 2  # the migration's, then this one


def test_text_ddl_moves_every_read(db):
    with db.session() as s:
        s.execute(text("CREATE TABLE scratch (id INTEGER)"))
    assert _writes(db, ANY) == 2


def test_an_update_with_a_prefix_is_filed_under_its_table(db):
    with db.session() as s:
        s.add(_district("A"))
    prefix = "OR IGNORE" if db.engine.dialect.name == "sqlite" else "ONLY"  # each one's own
    with db.session() as s:
        s.execute(update(District).prefix_with(prefix).values(enrollment=2))
    assert _writes(db) == 2


def test_a_delete_moves_the_tables_it_cascades_to(db):
    with db.session() as s:
        s.execute(delete(Cycle))
    moved = set(db.versions())
    assert {"cycles", "ratings", "evidence", "evidence_links", "triads"} <= moved
    assert "districts" not in moved


def test_a_rolled_back_transaction_moves_nothing(db):
    start = db.versions()
    with pytest.raises(RuntimeError), db.session() as s:
        s.add(_district("A"))
        s.flush()
        raise RuntimeError("abandon")
    assert db.versions() == start
    with db.session() as s:
        assert s.scalars(select(District)).all() == []
        s.add(_district("A"))
    assert _writes(db) == 1


def test_writes_around_savepoints_count_once(db):
    with db.session() as s:
        kept = s.begin_nested()
        s.add(_district("A"))
        s.flush()
        kept.commit()
        dropped = s.begin_nested()
        s.add(_district("B"))
        s.flush()
        dropped.rollback()
        s.add(_district("C"))
    assert _writes(db) == 1
    with db.session() as s:
        assert [d.code for d in s.scalars(select(District).order_by(District.code))] == ["A", "C"]


def test_every_write_gives_a_new_stamp(db):
    stamps = set()
    for code in "ABC":
        with db.session() as s:
            s.add(_district(code))
        stamps.add(db.versions()["districts"])
    assert len(stamps) == 3


def test_restoring_a_backup_never_brings_back_a_stamp_already_seen(tmp_path):
    path = tmp_path / "review.db"
    db = Database(f"sqlite:///{path}")
    with db.session() as s:
        s.add(_district("A"))
    backup = tmp_path / "backup.db"
    with db.engine.connect() as conn:
        conn.exec_driver_sql(f"VACUUM INTO '{backup}'")
    with db.session() as s:
        s.add(_district("B"))
    seen = db.versions()["districts"]
    db.dispose()

    shutil.copy(backup, path)
    restored = Database(f"sqlite:///{path}")
    try:
        with restored.session() as s:
            s.add(_district("C"))
        assert _writes(restored) == 2
        assert restored.versions()["districts"] != seen
    finally:
        restored.dispose()


def test_another_process_moves_the_stamp(db):
    script = (
        "import sys\n"
        "from review.db import Database, District\n"
        "db = Database(sys.argv[1])\n"
        "with db.session() as s:\n"
        "    s.add(District(code='P', name='P', enrollment=1, school_count=1))\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, db.url], cwd=PROJECT_ROOT, check=True, timeout=120
    )
    assert _writes(db) == 1


def test_a_kept_read_is_read_again_only_when_a_table_it_read_moves(db):
    cache = ReadCache()
    loads: list[str] = []

    def codes() -> list[str]:
        loads.append("districts")
        with db.session() as s:
            return [d.code for d in s.scalars(select(District).order_by(District.code))]

    with db.session() as s:
        s.add(_district("A"))
    assert cache.get(db.versions(), ("codes",), codes) == ["A"]
    assert cache.get(db.versions(), ("codes",), codes) == ["A"]
    assert loads == ["districts"]

    with db.session() as s:  # a table the read did not name
        _cycle(s)
    assert cache.get(db.versions(), ("codes",), codes) == ["A"]
    assert loads == ["districts"]

    with db.session() as s:
        s.add(_district("B"))
    assert cache.get(db.versions(), ("codes",), codes) == ["A", "B"]
    assert loads == ["districts", "districts"]


def test_a_read_names_every_table_of_its_statement(db):
    cache = ReadCache()
    with db.session() as s:
        s.add(_district("A"))

    def joined_in_where() -> int:  # SQLAlchemy writes this as FROM districts, assignments
        with db.session() as s:
            query = select(District.id).where(District.id == Assignment.reviewed_district_id)
            return len(s.scalars(query).all())

    assert cache.get(db.versions(), ("joined",), joined_in_where) == 0
    with db.session() as s:
        cycle = _cycle(s)
        district_id = s.scalar(select(District.id))
        s.add(
            Assignment(
                cycle_id=cycle.id,
                reviewer_district_id=district_id,
                reviewed_district_id=district_id,
            )
        )
    assert cache.get(db.versions(), ("joined",), joined_in_where) == 1


def test_a_read_in_text_sql_is_not_kept(db):
    cache = ReadCache()
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        with db.session() as s:
            return int(s.execute(text("SELECT count(*) FROM districts")).scalar_one())

    cache.get(db.versions(), ("n",), count)
    cache.get(db.versions(), ("n",), count)
    assert len(calls) == 2


def test_a_read_inside_a_read_counts_for_both():
    cache = ReadCache()
    versions = {"districts": "1", "cycles": "1"}

    def inner() -> str:
        changes._recording.tables.add("districts")  # as a statement naming it would
        return "inner"

    def outer() -> str:
        return cache.get(versions, ("inner",), inner) + "+outer"

    assert cache.get(versions, ("inner",), inner) == "inner"  # kept before the outer read
    assert cache.get(versions, ("outer",), outer) == "inner+outer"
    moved = {"districts": "2", "cycles": "1"}
    calls: list[str] = []
    assert cache.get(moved, ("outer",), lambda: calls.append("again") or "again") == "again"


def test_the_read_cache_lets_the_least_recent_go():
    cache = ReadCache(size=2)
    for key in ("a", "b", "c"):
        cache.get({}, (key,), lambda key=key: key)
    calls: list[str] = []
    assert cache.get({}, ("a",), lambda: calls.append("a") or "a again") == "a again"
    assert cache.get({}, ("c",), lambda: calls.append("c") or "c again") == "c"
    assert calls == ["a"]
