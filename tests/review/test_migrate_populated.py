"""Migrations on databases that already hold data.

`tests/data/populated-4dd0ff2.zip` is a backup of the synthetic demo network as main at 4dd0ff2
(schema revision 0004) stored it, with one adjudicated decision added through that code's own
`reconcile.adjudicate` and the index results cut to four schools to keep the file small.
Restoring it creates the schema at 0004, loads those rows, and migrates them to head.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from review import backup
from review.cycles import get_cycle, get_district
from review.db import (
    MIGRATIONS,
    Cycle,
    Database,
    Decision,
    District,
    Participation,
    Rating,
    User,
    make_engine,
    migrating,
)
from review.reconcile.decisions import decisions_of
from tests.review.rows_0004 import insert_rows

POPULATED = Path(__file__).parents[1] / "data" / "populated-4dd0ff2.zip"


def _config(connection):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_a_database_populated_by_main_at_4dd0ff2_migrates_to_head_with_every_row(database_url):
    summary = backup.restore(database_url, POPULATED)
    assert (summary.revision, summary.upgraded_to) == ("0004", _head())
    assert summary.rows["ratings"] == 258
    db = Database(database_url)
    with db.reading() as s:
        roles = {u.email: u.roles for u in s.scalars(select(User))}
        assert roles["coordinator@core.example"] == ["coordinator"]
        assert roles["lead@cpu.example"] == ["district_editor", "peer_reviewer"]
        assert roles["board@core.example"] == ["observer"]
        assert s.scalar(select(text("count(*)")).select_from(Rating)) == 258
        phases = dict(
            s.execute(
                select(District.code, Participation.phase)
                .join(Participation, Participation.district_id == District.id)
                .join(Cycle, Cycle.id == Participation.cycle_id)
                .where(Cycle.name == "2015-16")
            ).all()
        )
        assert phases == {
            "ALV": "draft",
            "BHU": "draft",
            "CPU": "reconciliation",
            "DCU": "self_submitted",
            "ECU": "peer_review",
            "FHU": "peer_review",
        }
        cycle = get_cycle(s, "2015-16")
        assert (cycle.row_version, cycle.index_imports) == (1, 0)
        [decision] = decisions_of(s, cycle, get_district(s, "CPU").id)
        assert (decision.item, decision.level, decision.method) == (
            "P2-INDEX-DATA",
            3,
            "adjudication",
        )
        assert decision.rating_ids == (99, 163, 164)
        assert s.scalar(select(text("count(*)")).select_from(Decision)) == 1
    tables = set(inspect(db.engine).get_table_names())
    assert "data_versions" not in tables
    assert {"user_roles", "decision_ratings", "consensus_proposals"} <= tables
    db.dispose()


def _bad_rows(conn) -> None:
    """Rows 0004 accepted that the constraints of 0006 refuse."""
    insert_rows(
        conn,
        roles='["coordinator", "admin"]',
        ratings=[(7, "self", "sent", 2, False), (8, "self", "draft", 3, True)],
    )


def test_rows_the_new_constraints_refuse_are_listed_and_nothing_is_changed(database_url):
    engine = make_engine(database_url)
    with migrating(engine) as conn:
        command.upgrade(_config(conn), "0004")
        _bad_rows(conn)
    engine.dispose()
    with pytest.raises(Exception) as refused:
        Database(database_url)
    message = str(refused.value)
    assert "migration 0006 changed nothing: 3 stored row(s) break the new rules" in message
    assert "ratings id 7: status='sent' (status_allowed)" in message
    assert "ratings id 8: level=3, not_applicable=" in message
    assert "users id 1: roles ['admin'] are not among" in message
    engine = make_engine(database_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0004"
        assert conn.execute(text("SELECT count(*) FROM ratings")).scalar() == 2
    assert "data_versions" in inspect(engine).get_table_names()  # 0005 was rolled back too
    engine.dispose()
