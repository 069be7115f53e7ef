from datetime import UTC, datetime

import pandas as pd
import pytest
from index_helpers import SPECS, frame_of, result_row
from sqlalchemy import func, select

from review.db import Cycle, Database, IndexResult
from review.errors import NotFound
from review.index import store
from review.index.catalogue import SpecCatalogue
from review.index.importer import ImportProblems
from review.index.store import load_results, save_results

CATALOGUE = SpecCatalogue(SPECS)


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    with database.session() as session:
        session.add(
            Cycle(
                name="2015-16",
                rubric_id="core-p2",
                rubric_version="2015-16",
                rubric_hash="0" * 64,
                index_spec="core-sqii@2015-16",
                settings={},
                deadlines={},
                released=False,
                created_at=datetime.now(UTC),
            )
        )
    yield database
    database.dispose()


def _frame(designation="priority"):
    return frame_of(
        [
            result_row("academic_performance", 45.0, designation=designation),
            result_row("academic_performance", 31.5, group="el", n=19, designation=designation),
            result_row("graduation", 88.0, school_id="S2", school_type="high", designation=""),
        ]
    )


def _rows(db):
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(IndexResult))


def test_save_results_then_load_gives_the_same_frame(db):
    frame = _frame()

    assert save_results(db, "2015-16", frame, specs=CATALOGUE) == 3

    loaded = load_results(db, "2015-16")
    pd.testing.assert_frame_equal(loaded, frame, check_categorical=False)


def test_save_results_stores_designation_and_none(db):
    save_results(db, "2015-16", _frame(), specs=CATALOGUE)

    with db.session() as session:
        stored = session.execute(
            select(
                IndexResult.school_id, IndexResult.student_group, IndexResult.designation
            ).order_by(IndexResult.id)
        ).all()

    assert [tuple(r) for r in stored] == [
        ("S1", "all", "priority"),
        ("S1", "el", "priority"),
        ("S2", "all", None),
    ]


def test_save_results_replaces_the_cycles_rows(db):
    save_results(db, "2015-16", _frame(), specs=CATALOGUE)

    save_results(db, "2015-16", frame_of([result_row("chronic_absence", 9.0)]), specs=CATALOGUE)

    assert _rows(db) == 1
    assert load_results(db, "2015-16")["metric"].tolist() == ["chronic_absence"]


def test_save_results_invalid_frame_changes_nothing(db):
    save_results(db, "2015-16", _frame(), specs=CATALOGUE)
    bad = pd.DataFrame([result_row("academic_performance", 145.0)])

    with pytest.raises(ImportProblems):
        save_results(db, "2015-16", bad, specs=CATALOGUE)

    assert _rows(db) == 3


def test_save_results_failure_during_insert_rolls_back(db, monkeypatch):
    save_results(db, "2015-16", _frame(), specs=CATALOGUE)
    real = store._record_batches

    def twice(frame, cycle_id):  # the same rows twice: the unique constraint fails mid-way
        batches = list(real(frame, cycle_id))
        return batches * 2

    monkeypatch.setattr(store, "_record_batches", twice)

    with pytest.raises(Exception, match="(?i)unique"):
        save_results(db, "2015-16", frame_of([result_row("chronic_absence", 9.0)]), specs=CATALOGUE)

    assert _rows(db) == 3


def test_save_and_load_unknown_cycle_refused(db):
    with pytest.raises(NotFound, match=r"no cycle '2099-00' \(cycles: 2015-16\)"):
        save_results(db, "2099-00", _frame(), specs=CATALOGUE)
    with pytest.raises(NotFound, match="cycle 2015-16 has no index results; import them first"):
        load_results(db, "2015-16")
