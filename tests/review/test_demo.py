"""The demo network agrees with itself: a district's context is what its index data shows."""

from sqlalchemy import select

from review import cycles
from review.db import Database, District
from review.demo import CYCLE, load_demo
from review.index.district import cycle_results, district_summary
from review.settings import Settings


def test_demo_district_context_matches_its_index_summary(tmp_path):
    settings = Settings.from_env(
        {}, database_url=f"sqlite:///{tmp_path / 'demo.db'}", bcrypt_rounds=4
    )
    db = Database(settings.database_url)
    load_demo(db, settings)
    with db.session() as s:
        cycle = cycles.get_cycle(s, CYCLE)
        districts = list(s.scalars(select(District).order_by(District.code)))
    results = cycle_results(db, settings.index_specs_dir, cycle)
    seen = {}
    for d in districts:
        summary = district_summary(results, d.code, details=False)
        assert summary is not None, d.code
        seen[d.code] = (summary.school_count, summary.designations)
        assert (d.school_count, d.priority_count, d.focus_count, d.reward_count) == (
            summary.school_count,
            summary.designations["priority"],
            summary.designations["focus"],
            summary.designations["reward"],
        ), d.code
    # The figures are the seeded generator's, the same on every load.
    assert {code: count for code, (count, _) in seen.items()} == {
        "ALV": 9,
        "BHU": 38,
        "CPU": 59,
        "DCU": 64,
        "ECU": 45,
        "FHU": 490,
    }
    db.dispose()
