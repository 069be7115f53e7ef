from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from review.db import MIGRATIONS, Base, Database, make_engine


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
    assert {"decisions", "calibration_reviews"} <= tables
    assert [c["name"] for c in inspect(db.engine).get_columns("decisions")] == [
        "id",
        "cycle_id",
        "district_id",
        "item_id",
        "level",
        "not_applicable",
        "method",
        "rationale",
        "rating_ids",
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
    with engine.begin() as conn:
        command.upgrade(_config(conn), "head")
        command.downgrade(_config(conn), "0001")
    tables = set(inspect(engine).get_table_names())
    assert ("decisions" in tables, "calibration_reviews" in tables, "ratings" in tables) == (
        False,
        False,
        True,
    )
    with engine.begin() as conn:
        command.upgrade(_config(conn), "head")
    assert {"decisions", "calibration_reviews"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_reconciliation_revision_follows_initial_schema():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    revision = ScriptDirectory.from_config(config).get_revision("0002")
    assert (revision.revision, revision.down_revision) == ("0002", "0001")


def test_read_cache_migration_drops_data_versions_and_counts_no_import_yet(database_url):
    from sqlalchemy import text

    engine = make_engine(database_url)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0004")
        conn.execute(
            text(
                "INSERT INTO cycles (name, rubric_id, rubric_version, rubric_hash, settings,"
                " deadlines, released, created_at) VALUES ('2015-16', 'core-p2', '2015-16',"
                " 'abc', '{}', '{}', false, '2016-01-01 00:00:00+00:00')"
            )
        )
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0005")
        imports = conn.execute(text("SELECT index_imports FROM cycles")).scalars().all()
    assert imports == [0]
    assert "data_versions" not in inspect(engine).get_table_names()
    with engine.begin() as conn:
        command.downgrade(_config(conn), "0004")
    assert "data_versions" in inspect(engine).get_table_names()
    assert "index_imports" not in {c["name"] for c in inspect(engine).get_columns("cycles")}
    engine.dispose()
