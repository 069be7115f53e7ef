"""District school and designation counts, from a cycle's stored index rows, on every backend."""

from datetime import UTC, datetime

import pytest
from index_helpers import frame_of, result_row
from sqlalchemy import event

from review.db import Cycle, Database
from review.index.catalogue import SpecCatalogue
from review.index.counts import NOT_IMPORTED, district_figures, school_counts, shown
from review.index.models import SchoolCounts
from review.index.store import find_cycle, save_results
from review.settings import PROJECT_ROOT

pytestmark = pytest.mark.postgres
CATALOGUE = SpecCatalogue(PROJECT_ROOT / "index_specs")


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    with database.session() as session:
        for name in ("2015-16", "2016-17"):
            session.add(
                Cycle(
                    name=name,
                    rubric_id="core-p2",
                    rubric_version="2015-16",
                    rubric_hash="0" * 64,
                    index_spec=None,
                    settings={},
                    deadlines={},
                    released=False,
                    created_at=datetime.now(UTC),
                )
            )
    yield database
    database.dispose()


def _school(school_id, district, year, designation="", metrics=("academic_performance",)):
    """A school's rows for one year: each metric for all students, and for EL students."""
    return [
        result_row(
            metric,
            50.0,
            group=group,
            school_id=school_id,
            school_name=f"School {school_id}",
            district_id=district,
            year=year,
            designation=designation,
        )
        for metric in metrics
        for group in ("all", "el")
    ]


def _counts(db, cycle_name, **only):
    with db.reading() as session:
        return school_counts(session, find_cycle(session, cycle_name).id, **only)


def test_counts_come_from_the_latest_year_only(db):
    rows = [
        # D1 in 2014-15: three schools, one priority and one focus.
        *_school("S1", "D1", "2014-15", "priority", ("academic_performance", "graduation")),
        *_school("S2", "D1", "2014-15", "focus"),
        *_school("S3", "D1", "2014-15"),
        # D1 in 2015-16: S3 closed; S1 and S2 both reward now; S4 opened, undesignated.
        *_school("S1", "D1", "2015-16", "reward", ("academic_performance", "graduation")),
        *_school("S2", "D1", "2015-16", "reward"),
        *_school("S4", "D1", "2015-16"),
        # D2 in 2015-16 only: two schools, one priority.
        *_school("T1", "D2", "2015-16", "priority"),
        *_school("T2", "D2", "2015-16"),
        # D3 has results for 2014-15 only: nothing in the cycle's latest year.
        *_school("U1", "D3", "2014-15", "focus"),
    ]
    save_results(db, "2015-16", frame_of(rows), specs=CATALOGUE)
    # Another cycle's later year changes nothing in this one.
    save_results(
        db, "2016-17", frame_of(_school("S1", "D1", "2016-17", "priority")), specs=CATALOGUE
    )

    assert _counts(db, "2015-16") == {
        "D1": SchoolCounts(
            district_id="D1",
            year="2015-16",
            schools=3,
            designations={"priority": 0, "focus": 0, "reward": 2},
        ),
        "D2": SchoolCounts(
            district_id="D2",
            year="2015-16",
            schools=2,
            designations={"priority": 1, "focus": 0, "reward": 0},
        ),
    }
    # One district only, as a page or packet that shows one asks; still the cycle's year.
    assert _counts(db, "2015-16", district_code="D2") == {"D2": _counts(db, "2015-16")["D2"]}
    assert _counts(db, "2015-16", district_code="D3") == {}
    assert _counts(db, "2016-17") == {
        "D1": SchoolCounts(
            district_id="D1",
            year="2016-17",
            schools=1,
            designations={"priority": 1, "focus": 0, "reward": 0},
        )
    }


def test_data_without_designations_counts_schools_and_leaves_designations_unknown(db):
    rows = [*_school("S1", "D1", "2015-16"), *_school("S2", "D1", "2015-16")]
    frame = frame_of(rows).drop(columns="designation")
    save_results(db, "2015-16", frame, specs=CATALOGUE)

    counts = _counts(db, "2015-16")

    assert counts == {
        "D1": SchoolCounts(district_id="D1", year="2015-16", schools=2, designations=None)
    }
    assert district_figures(counts["D1"]) == {
        "schools": 2,
        "priority": None,
        "focus": None,
        "reward": None,
    }


def test_designations_in_an_earlier_year_only_count_zero_in_the_latest(db):
    """As the summary does: the data carries designations, none of them this year."""
    rows = [*_school("S1", "D1", "2014-15", "priority"), *_school("S1", "D1", "2015-16")]
    save_results(db, "2015-16", frame_of(rows), specs=CATALOGUE)

    assert _counts(db, "2015-16")["D1"].designations == {"priority": 0, "focus": 0, "reward": 0}


def test_a_cycle_without_index_data_has_no_counts(db):
    assert _counts(db, "2015-16") == {}
    figures = district_figures(None)
    assert figures == {"schools": None, "priority": None, "focus": None, "reward": None}
    assert [shown(n) for n in figures.values()] == [NOT_IMPORTED] * 4
    assert shown(0) == "0"
    assert shown(1234) == "1,234"


def test_every_district_is_counted_by_one_statement(db):
    rows = [
        row
        for d in range(1, 31)
        for row in _school(f"S{d}", f"D{d:02d}", "2015-16", "focus" if d % 3 else "")
    ]
    save_results(db, "2015-16", frame_of(rows), specs=CATALOGUE)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with db.reading() as session:
        cycle_id = find_cycle(session, "2015-16").id
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            counts = school_counts(session, cycle_id)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    assert len(statements) == 1
    assert len(counts) == 30
    assert sum(c.designations["focus"] for c in counts.values()) == 20
