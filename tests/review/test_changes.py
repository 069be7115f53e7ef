"""The data's version moves once per committed writing transaction, whatever does the writing."""

import shutil
import subprocess
import sys

import pytest
from sqlalchemy import delete, insert, select, update

from review.changes import ReadCache
from review.db import Database, District
from review.settings import PROJECT_ROOT


def _district(code: str) -> District:
    return District(code=code, name=f"District {code}", enrollment=1000, school_count=5)


def _count(db: Database) -> int:
    return db.version().writes


def test_a_new_database_counts_from_zero(db):
    assert _count(db) == 0


def test_reading_does_not_count(db):
    before = db.version()
    with db.session() as s:
        s.scalars(select(District)).all()
    assert db.version() == before


def test_one_transaction_counts_once_however_much_it_writes(db):
    with db.session() as s:
        s.add_all([_district("A"), _district("B")])
        s.flush()
        s.execute(update(District).where(District.code == "A").values(enrollment=2000))
    assert _count(db) == 1
    with db.session() as s:
        s.execute(delete(District).where(District.code == "B"))
    assert _count(db) == 2


def test_core_writes_on_the_session_connection_count(db):
    # As the index import writes: insert() through the session's connection.
    rows = [{"code": "Z", "name": "Z", "enrollment": 1, "school_count": 1}]
    with db.session() as s:
        s.connection().execute(insert(District.__table__), rows)
    assert _count(db) == 1


def test_a_rolled_back_transaction_does_not_count(db):
    with pytest.raises(RuntimeError), db.session() as s:
        s.add(_district("A"))
        s.flush()
        raise RuntimeError("abandon")
    assert _count(db) == 0
    with db.session() as s:
        assert s.scalars(select(District)).all() == []
        s.add(_district("A"))
    assert _count(db) == 1


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
    assert _count(db) == 1
    with db.session() as s:
        assert [d.code for d in s.scalars(select(District).order_by(District.code))] == ["A", "C"]


def test_every_version_has_a_new_stamp(db):
    stamps = {db.version().stamp}
    for code in "ABC":
        with db.session() as s:
            s.add(_district(code))
        stamps.add(db.version().stamp)
    assert len(stamps) == 4


def test_restoring_a_backup_never_brings_back_a_version_already_seen(tmp_path):
    path = tmp_path / "review.db"
    db = Database(f"sqlite:///{path}")
    with db.session() as s:
        s.add(_district("A"))
    backup = tmp_path / "backup.db"
    with db.engine.connect() as conn:
        conn.exec_driver_sql(f"VACUUM INTO '{backup}'")
    with db.session() as s:
        s.add(_district("B"))
    seen = db.version()
    db.dispose()

    shutil.copy(backup, path)
    restored = Database(f"sqlite:///{path}")
    try:
        with restored.session() as s:
            s.add(_district("C"))
        again = restored.version()
        assert again.writes == seen.writes == 2
        assert again != seen
    finally:
        restored.dispose()


def test_another_process_moves_the_version(db):
    before = db.version()
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
    assert db.version().writes == before.writes + 1


def test_the_read_cache_loads_once_per_version_and_key():
    cache = ReadCache(size=2)
    loads: list[str] = []

    def load(value: str):
        return lambda: loads.append(value) or value

    assert cache.get(1, ("a",), load("a1")) == "a1"
    assert cache.get(1, ("a",), load("again")) == "a1"
    assert cache.get(2, ("a",), load("a2")) == "a2"  # something changed: read again
    assert cache.get(2, ("b",), load("b2")) == "b2"
    assert cache.get(1, ("a",), load("a1 evicted")) == "a1 evicted"  # least recent went out
    assert loads == ["a1", "a2", "b2", "a1 evicted"]
