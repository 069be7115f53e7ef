import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from review.db import Database, District, Rating


def test_migrations_create_every_table_and_rerun_cleanly(settings):
    Database(settings.database_url).dispose()
    db = Database(settings.database_url)  # a second open applies nothing new
    tables = set(inspect(db.engine).get_table_names())
    assert {
        "districts",
        "cycles",
        "triads",
        "participations",
        "assignments",
        "users",
        "ratings",
        "blobs",
        "evidence",
        "evidence_links",
        "comments",
        "audit_events",
        "index_results",
        "alembic_version",
    } <= tables
    db.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/x.db")
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


def test_foreign_keys_are_enforced(db):
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(
            Rating(
                cycle_id=999,
                district_id=999,
                item_id="X",
                rater_district_id=999,
                source="self",
                row_version=1,
                narrative="",
                suggestions="",
                context_values={},
                status="draft",
                updated_at=_now(),
            )
        )
        s.flush()


def test_district_code_is_unique(db):
    with pytest.raises(IntegrityError), db.session() as s:
        for _ in range(2):
            s.add(
                District(
                    code="A",
                    name="A",
                    enrollment=1,
                )
            )
        s.flush()


def test_session_rolls_back_everything_on_error(db):
    with pytest.raises(RuntimeError), db.session() as s:
        s.add(
            District(
                code="A",
                name="A",
                enrollment=1,
            )
        )
        s.flush()
        raise RuntimeError("boom")
    with db.session() as s:
        assert s.query(District).count() == 0


def _now():
    from review.audit import now

    return now()
