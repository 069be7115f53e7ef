"""Summaries stored by the index import: read back only for the import that stored them."""

from datetime import UTC, datetime

import pytest
from index_helpers import SPECS
from sqlalchemy import select, update

from review.db import Cycle, Database, District, IndexSummary
from review.demo import INDEX_YEARS
from review.index import stored
from review.index.catalogue import SpecCatalogue
from review.index.compute import compute_index
from review.index.demo_data import generate_results
from review.index.district import district_summaries
from review.index.importer import check_results
from review.index.models import DistrictSummary
from review.index.store import load_results, save_results
from review.index.stored import stored_summaries
from review.index.summary import summarise_district

CATALOGUE = SpecCatalogue(SPECS)
SPEC = "core-sqii@2015-16"
CODES = ["D1", "D2", "D3"]  # D3 is in the network but has no results


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
                index_spec=SPEC,
                settings={},
                deadlines={},
                released=False,
                created_at=datetime.now(UTC),
            )
        )
        session.add_all(
            District(code=code, name=f"District {code}", enrollment=1) for code in CODES
        )
    yield database
    database.dispose()


def _results(seed=7):
    return check_results(generate_results([("D1", 4000), ("D2", 2500)], INDEX_YEARS, seed=seed))


def _computed(db, code, *, details=True):
    """What the page showed before summaries were stored: computed from the stored rows."""
    results = compute_index(load_results(db, "2015-16"), CATALOGUE.get_key(SPEC))
    return summarise_district(results, code, details=details)


def _cycle(db):
    with db.reading() as session:
        cycle = session.scalar(select(Cycle))
        session.expunge(cycle)
    return cycle


def _stored(db, imports, spec=SPEC):
    with db.reading() as session:
        return stored_summaries(session, _cycle(db).id, imports, spec, CODES)


def test_an_import_stores_every_network_districts_summary_as_computed_from_its_rows(db):
    save_results(db, "2015-16", _results(), specs=CATALOGUE)

    found = _stored(db, 1)

    assert found == {"D1": _computed(db, "D1"), "D2": _computed(db, "D2"), "D3": None}
    assert found["D1"].school_count == 5  # the figures are real, not empty
    assert len(found["D1"].details) == 5


def test_a_summary_of_an_earlier_import_is_never_returned(db):
    save_results(db, "2015-16", _results(seed=7), specs=CATALOGUE)
    first = _stored(db, 1)["D1"]
    save_results(db, "2015-16", _results(seed=8), specs=CATALOGUE)  # corrected values

    assert _stored(db, 1) == {}
    second = _stored(db, 2)
    assert second["D1"] == _computed(db, "D1")
    assert second["D1"] != first
    with db.reading() as session:
        kept = session.execute(
            select(IndexSummary.district_code, IndexSummary.index_imports).order_by(
                IndexSummary.district_code
            )
        ).all()
    assert [tuple(r) for r in kept] == [("D1", 2), ("D2", 2), ("D3", 2)]


def test_a_summary_of_another_spec_or_format_is_not_returned(db, monkeypatch):
    save_results(db, "2015-16", _results(), specs=CATALOGUE)

    assert _stored(db, 1, spec="core-sqii@2016-17") == {}
    assert _stored(db, 1, spec=None) == {}
    monkeypatch.setattr(stored, "SUMMARY_FORMAT", stored.SUMMARY_FORMAT + 1)
    assert _stored(db, 1) == {}


def _tamper(db, imports):
    """Give D1's stored summary another title, stored under `imports`."""
    with db.reading() as session:
        query = select(IndexSummary.summary).where(IndexSummary.district_code == "D1")
        text = session.scalar(query)
    assert text is not None
    tampered = DistrictSummary.model_validate_json(text).model_copy(update={"spec_title": "X"})
    with db.session() as session:
        session.execute(
            update(IndexSummary)
            .where(IndexSummary.district_code == "D1")
            .values(summary=tampered.model_dump_json(), index_imports=imports)
        )


def test_district_summaries_read_the_stored_summary_of_the_cycles_current_import(db):
    save_results(db, "2015-16", _results(), specs=CATALOGUE)
    _tamper(db, imports=1)

    found = district_summaries(db, SPECS, _cycle(db), ["D1", "D3"])

    assert found["D1"] is not None and found["D1"].spec_title == "X"  # read, not computed
    assert found["D3"] is None


def test_district_summaries_compute_what_no_current_import_stored(db):
    save_results(db, "2015-16", _results(), specs=CATALOGUE)
    _tamper(db, imports=0)  # as an earlier import would have left it

    found = district_summaries(db, SPECS, _cycle(db), ["D1", "D2"])
    brief = district_summaries(db, SPECS, _cycle(db), ["D1"], details=False)

    assert found == {"D1": _computed(db, "D1"), "D2": _computed(db, "D2")}
    assert found["D1"] is not None and found["D1"].spec_title != "X"
    assert brief == {"D1": _computed(db, "D1", details=False)}
    assert brief["D1"] is not None and brief["D1"].details == ()


def test_a_cycle_without_an_index_spec_stores_no_summary(db):
    with db.session() as session:
        session.execute(update(Cycle).values(index_spec=None))

    assert save_results(db, "2015-16", _results(), specs=CATALOGUE) > 0

    with db.reading() as session:
        assert session.scalars(select(IndexSummary)).all() == []
