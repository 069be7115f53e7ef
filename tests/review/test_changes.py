"""The change count moves once per committed writing transaction, whatever does the writing."""

import pytest
from sqlalchemy import delete, insert, select, update

from review.changes import ReadCache
from review.db import Database, District


def _district(code: str) -> District:
    return District(code=code, name=f"District {code}", enrollment=1000, school_count=5)


def test_a_new_database_counts_from_zero(db):
    assert db.change_count() == 0


def test_reading_does_not_count(db):
    with db.session() as s:
        s.scalars(select(District)).all()
    assert db.change_count() == 0


def test_one_transaction_counts_once_however_much_it_writes(db):
    with db.session() as s:
        s.add_all([_district("A"), _district("B")])
        s.flush()
        s.execute(update(District).where(District.code == "A").values(enrollment=2000))
    assert db.change_count() == 1
    with db.session() as s:
        s.execute(delete(District).where(District.code == "B"))
    assert db.change_count() == 2


def test_core_writes_on_the_session_connection_count(db):
    # As the index import writes: insert() through the session's connection.
    with db.session() as s:
        s.connection().execute(
            insert(District.__table__),
            [{"code": "Z", "name": "Z", "enrollment": 1, "school_count": 1}],
        )
    assert db.change_count() == 1


def test_a_rolled_back_transaction_does_not_count(db):
    with pytest.raises(RuntimeError), db.session() as s:
        s.add(_district("A"))
        s.flush()
        raise RuntimeError("abandon")
    assert db.change_count() == 0
    with db.session() as s:
        assert s.scalars(select(District)).all() == []
        s.add(_district("A"))
    assert db.change_count() == 1


def test_a_write_after_a_rolled_back_savepoint_still_counts(db):
    with db.session() as s:
        nested = s.begin_nested()
        s.add(_district("A"))
        s.flush()
        nested.rollback()
        s.add(_district("B"))
    assert db.change_count() == 1
    with db.session() as s:
        assert [d.code for d in s.scalars(select(District))] == ["B"]


def test_another_process_sees_the_count_move(db):
    other = Database(db.url)  # what a second server process or the command line opens
    try:
        with other.session() as s:
            s.add(_district("A"))
        assert db.change_count() == other.change_count() == 1
    finally:
        other.dispose()


def test_the_read_cache_loads_once_per_count_and_key():
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
