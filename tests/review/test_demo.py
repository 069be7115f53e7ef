"""The demo network agrees with itself: a district's context is what its index data shows."""

import pytest
from sqlalchemy import select

from review import cycles, ratings
from review.db import Database, District
from review.demo import CYCLE, load_demo
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


def test_demo_district_context_matches_its_index_summary(demo):
    db, settings = demo
    with db.session() as s:
        cycle = cycles.get_cycle(s, CYCLE)
        districts = list(s.scalars(select(District).order_by(District.code)))
    results = cycle_results(db, settings.index_specs_dir, cycle)
    for d in districts:
        summary = district_summary(results, d.code, details=False)
        assert summary is not None, d.code
        assert (d.school_count, d.priority_count, d.focus_count, d.reward_count) == (
            summary.school_count,
            summary.designations["priority"],
            summary.designations["focus"],
            summary.designations["reward"],
        ), d.code
    # The figures are the seeded generator's, the same on every load.
    assert {d.code: d.school_count for d in districts} == {
        "ALV": 9,
        "BHU": 38,
        "CPU": 59,
        "DCU": 64,
        "ECU": 45,
        "FHU": 490,
    }


def test_demo_context_measures_of_an_item_differ(demo):
    db, _ = demo
    with db.session() as s:
        cycle = cycles.get_cycle(s, CYCLE)
        cpu = s.scalar(select(District.id).where(District.code == "CPU"))
        row = ratings.find_rating(s, cycle, cpu, "P2-STAKEHOLDER", cpu)
        assert row.context_values == {"parents_reached": 187, "community_members_reached": 93}
