import pandas as pd
from index_helpers import shipped

from review.index.compute import compute_index
from review.index.demo_data import generate_results
from review.index.importer import check_results
from review.index.summary import summarise_network

DISTRICTS = [("BIG", 73_500), ("SMALL", 2_000), ("MID", 11_200)]
YEARS = ["2014-15", "2015-16", "2016-17"]


def _schools(frame):
    return frame.drop_duplicates("school_id")


def test_generate_results_is_deterministic_per_seed():
    first = generate_results(DISTRICTS, YEARS, seed=7)

    pd.testing.assert_frame_equal(first, generate_results(DISTRICTS, YEARS, seed=7))
    assert not first["value"].equals(generate_results(DISTRICTS, YEARS, seed=8)["value"])


def test_generate_results_schools_follow_enrollment_with_at_least_five():
    schools = _schools(generate_results(DISTRICTS, YEARS, seed=1))

    counts = schools["district_id"].value_counts().to_dict()
    assert counts == {"BIG": 59, "SMALL": 5, "MID": 9}  # 73,500 / 1,250; minimum 5; 11,200 / 1,250


def test_generate_results_is_valid_import_format_over_three_years():
    frame = generate_results(DISTRICTS, YEARS, seed=1)

    checked = check_results(frame)

    assert list(checked.columns) == [
        "school_id",
        "school_name",
        "district_id",
        "school_type",
        "year",
        "metric",
        "group",
        "n",
        "value",
        "designation",
    ]
    assert sorted(checked["year"].unique()) == YEARS


def test_generate_results_reports_only_what_each_school_type_has():
    frame = generate_results(DISTRICTS, YEARS, seed=1)

    types_by_metric = frame.groupby("metric", observed=True)["school_type"].unique()
    assert sorted(types_by_metric["academic_growth"]) == ["elementary", "middle"]
    assert list(types_by_metric["graduation"]) == ["high"]
    assert list(types_by_metric["hs_readiness"]) == ["middle"]
    el = frame[frame["metric"] == "el_redesignation"]
    assert set(el["group"]) == {"all"}
    assert (frame["n"] > 0).all()


def test_generate_results_has_some_groups_below_n_size_and_designations():
    frame = generate_results(DISTRICTS, YEARS, seed=1)

    assert 0 < (frame["n"] < 20).mean() < 0.5
    designations = _schools(frame)["designation"].value_counts().to_dict()
    assert set(designations) == {"priority", "focus", "reward"}


def test_generate_results_complete_has_every_metric_and_group():
    frame = generate_results([("X", 6_000)], ["2016-17"], seed=3, complete=True)

    assert len(frame) == 5 * 1 * 9 * 12


def test_generate_results_summarises_under_the_full_spec():
    results = compute_index(
        generate_results(DISTRICTS, YEARS, seed=2), shipped("core-sqii@2016-17")
    )

    summaries = summarise_network(results)

    assert [s.district_id for s in summaries] == ["BIG", "MID", "SMALL"]
    assert all(m.schools_with_level > 0 for m in summaries[0].metrics)
