"""The demo network agrees with itself: a district's context is what its index data shows."""

import pytest
from sqlalchemy import select

from review import cycles, ratings
from review.db import Database, District
from review.demo import CYCLE, load_demo
from review.index.counts import school_counts
from review.index.district import cycle_results, district_summary
from review.settings import Settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    settings = Settings.from_env({}, database_url=f"sqlite:///{path}", bcrypt_rounds=4)
    db = Database(settings.database_url)
    load_demo(db, settings)
    yield db, settings
    db.dispose()


def test_demo_district_counts_match_its_index_summary(demo):
    """Two ways over one import: the grouped query on the stored rows, and the summary computed
    from the whole network's arrays. The demo stores no counts of its own."""
    db, settings = demo
    with db.reading() as s:
        cycle = cycles.get_cycle(s, CYCLE)
        codes = list(s.scalars(select(District.code).order_by(District.code)))
        counts = school_counts(s, cycle.id)
    results = cycle_results(db, settings.index_specs_dir, cycle)
    assert sorted(counts) == codes
    for code in codes:
        summary = district_summary(results, code, details=False)
        assert summary is not None, code
        assert (counts[code].year, counts[code].schools, counts[code].designations) == (
            summary.year,
            summary.school_count,
            summary.designations,
        ), code
    # The figures are the seeded generator's, the same on every load.
    assert {code: (c.schools, *c.designations.values()) for code, c in counts.items()} == {
        "ALV": (9, 2, 1, 0),  # schools, then priority, focus, reward
        "BHU": (38, 3, 0, 1),
        "CPU": (59, 6, 9, 0),
        "DCU": (64, 10, 8, 0),
        "ECU": (45, 1, 0, 2),
        "FHU": (490, 14, 36, 33),
    }


def test_demo_context_measures_of_an_item_differ(demo):
    db, _ = demo
    with db.session() as s:
        cycle = cycles.get_cycle(s, CYCLE)
        cpu = s.scalar(select(District.id).where(District.code == "CPU"))
        row = ratings.find_rating(s, cycle, cpu, "P2-STAKEHOLDER", cpu)
        assert row.context_values == {"parents_reached": 187, "community_members_reached": 93}
