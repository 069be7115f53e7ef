import json

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from review.db import MIGRATIONS, Base, Database, make_engine, migrating
from tests.review.rows_0004 import insert_rows


def _config(connection):
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _head():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_fresh_database_is_migrated_to_head_with_reconciliation_tables(database_url):
    db = Database(database_url)
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == _head()
    tables = set(inspect(db.engine).get_table_names())
    assert {
        "decisions",
        "calibration_reviews",
        "decision_ratings",
        "consensus_proposals",
        "consensus_confirmations",
    } <= tables
    assert [c["name"] for c in inspect(db.engine).get_columns("decisions")] == [
        "id",
        "cycle_id",
        "district_id",
        "item_id",
        "level",
        "not_applicable",
        "method",
        "rationale",
        "flags",
        "decided_by",
        "decided_at",
        "row_version",
    ]
    db.dispose()


def test_migrations_match_the_models(database_url):
    db = Database(database_url)
    with db.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert differences == []


def test_reconciliation_migration_downgrades_and_upgrades_again(database_url):
    engine = make_engine(database_url)
    with migrating(engine) as conn:
        command.upgrade(_config(conn), "head")
        command.downgrade(_config(conn), "0001")
    tables = set(inspect(engine).get_table_names())
    assert ("decisions" in tables, "calibration_reviews" in tables, "ratings" in tables) == (
        False,
        False,
        True,
    )
    with migrating(engine) as conn:
        command.upgrade(_config(conn), "head")
    assert {"decisions", "calibration_reviews"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_reconciliation_revision_follows_initial_schema():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    revision = ScriptDirectory.from_config(config).get_revision("0002")
    assert (revision.revision, revision.down_revision) == ("0002", "0001")


def _district(conn):
    """District 1, with the typed counts its revision requires before 0009."""
    if "school_count" in {c["name"] for c in inspect(conn).get_columns("districts")}:
        statement = (
            "INSERT INTO districts (id, code, name, enrollment, school_count, priority_count, "
            "focus_count, reward_count) VALUES (1, 'A', 'District A', 1200, 4, 1, 2, 0)"
        )
    else:
        statement = (
            "INSERT INTO districts (id, code, name, enrollment) VALUES (1, 'A', 'District A', 1200)"
        )
    conn.execute(text(statement))


def _decision_rows(conn):
    """A cycle, a district, a user and two peer ratings (7 and 8), as 0004 stores them."""
    insert_rows(conn, roles="[]", ratings=[(i, "peer", "submitted", 2, False) for i in (7, 8)])


def test_decision_rating_lists_become_rows_and_come_back_on_downgrade(database_url):
    engine = make_engine(database_url)
    with migrating(engine) as conn:
        command.upgrade(_config(conn), "0004")
        _decision_rows(conn)
        for decision_id, (item, ids) in enumerate((("I7", "[8, 7]"), ("I8", "[]")), start=1):
            conn.execute(
                text(
                    "INSERT INTO decisions (id, cycle_id, district_id, item_id, level, "
                    "not_applicable, method, rationale, rating_ids, flags, decided_by, "
                    f"decided_at, row_version) VALUES ({decision_id}, 1, 1, '{item}', 2, false, "
                    f"'agreement', '', '{ids}', '[]', 1, '2016-01-01 00:00:00', 1)"
                )
            )
        command.upgrade(_config(conn), "0007")
        rows = conn.execute(
            text("SELECT decision_id, rating_id FROM decision_ratings ORDER BY rating_id")
        ).all()
        columns = [c["name"] for c in inspect(conn).get_columns("decisions")]
        command.downgrade(_config(conn), "0004")
        back = conn.execute(text("SELECT id, rating_ids FROM decisions ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(1, 7), (1, 8)]
    assert "rating_ids" not in columns
    assert [(i, json.loads(v) if isinstance(v, str) else v) for i, v in back] == [
        (1, [7, 8]),
        (2, []),
    ]


def test_decision_methods_and_proposal_statuses_are_checked(database_url):
    engine = make_engine(database_url)
    with migrating(engine) as conn:
        command.upgrade(_config(conn), "0004")
        _decision_rows(conn)
        command.upgrade(_config(conn), "head")
    for table, statement in (
        (
            "decisions",
            "INSERT INTO decisions (cycle_id, district_id, item_id, level, not_applicable, "
            "method, rationale, flags, decided_by, decided_at, row_version) VALUES (1, 1, 'I7', "
            "2, false, 'average', '', '[]', 1, '2016-01-01 00:00:00', 1)",
        ),
        (
            "consensus_proposals",
            "INSERT INTO consensus_proposals (cycle_id, district_id, item_id, method, level, "
            "not_applicable, rationale, proposed_by, proposer_district_id, status, row_version, "
            "created_at) VALUES (1, 1, 'I7', 'consensus', 2, false, 'x', 1, 1, 'accepted', 1, "
            "'2016-01-01 00:00:00')",
        ),
    ):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(statement))
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_read_cache_migration_drops_data_versions_and_counts_no_import_yet(database_url):
    from sqlalchemy import text

    engine = make_engine(database_url)
    with migrating(engine) as conn:
        command.upgrade(_config(conn), "0004")
        conn.execute(
            text(
                "INSERT INTO cycles (name, rubric_id, rubric_version, rubric_hash, settings,"
                " deadlines, released, created_at) VALUES ('2015-16', 'core-p2', '2015-16',"
                " 'abc', '{}', '{}', false, '2016-01-01 00:00:00+00:00')"
            )
        )
    with migrating(engine) as conn:
        command.upgrade(_config(conn), "0005")
        imports = conn.execute(text("SELECT index_imports FROM cycles")).scalars().all()
    assert imports == [0]
    assert "data_versions" not in inspect(engine).get_table_names()
    with migrating(engine) as conn:
        command.downgrade(_config(conn), "0004")
    assert "data_versions" in inspect(engine).get_table_names()
    assert "index_imports" not in {c["name"] for c in inspect(engine).get_columns("cycles")}
    engine.dispose()


def test_typed_district_counts_are_dropped_and_enrollment_kept(database_url):
    engine = make_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0007")
        _district(conn)
        command.upgrade(_config(conn), "0009")
        columns = [c["name"] for c in inspect(conn).get_columns("districts")]
        kept = conn.execute(text("SELECT code, name, enrollment FROM districts")).all()
        command.downgrade(_config(conn), "0007")
        back = conn.execute(
            text(
                "SELECT enrollment, school_count, priority_count, focus_count, reward_count "
                "FROM districts"
            )
        ).all()
    engine.dispose()
    assert columns == ["id", "code", "name", "enrollment"]
    assert [tuple(r) for r in kept] == [("A", "District A", 1200)]
    # Older code needs a number: 0 until typed again (the index data counts per cycle).
    assert [tuple(r) for r in back] == [(1200, 0, 0, 0, 0)]
