from decimal import Decimal

import pytest
from index_helpers import frame_of, result_row, shipped

from review.errors import InvalidInput, NotFound
from review.index.compute import compute_index
from review.index.summary import (
    school_detail,
    summarise_district,
    summarise_frame,
    summarise_network,
)

SPEC = shipped("core-sqii@2016-17")
YEARS = ("2014-15", "2015-16", "2016-17")
SCHOOLS = {  # id: (name, district, type, designation)
    "A": ("Alder Elementary", "D1", "elementary", "priority"),
    "B": ("Birch Elementary", "D1", "elementary", ""),
    "C": ("Cedar Middle", "D1", "middle", "reward"),
    "D": ("Dogwood High", "D2", "high", ""),
    "E": ("Elm High", "D2", "high", ""),
}
# Academic performance of all students per year; cut points 12 18 24 30 36 42 50 60 70.
PERFORMANCE = {
    "A": (15, 20, 15),  # levels 2, 3, 2
    "B": (38, 42, 45),  # 6, 7, 7
    "C": (65, 70, 75),  # 9, 10, 10
    "D": (55, 55, 55),  # 8
    "E": (33, 33, 33),  # 5
}
# Chronic absence in 2016-17 (lower is better; cut points 25 20 16 13 11 9 7 5 3).
ABSENCE = {"A": 10, "B": 4, "C": 22, "D": 6, "E": 8}  # levels 6, 9, 2, 8, 7


def _row(school, metric, value, year, **other):
    name, district, school_type, designation = SCHOOLS[school]
    return result_row(
        metric,
        value,
        school_id=school,
        school_name=name,
        district_id=district,
        school_type=school_type,
        year=year,
        designation=designation,
        **other,
    )


def _network():
    rows = []
    for school, values in PERFORMANCE.items():
        rows += [
            _row(school, "academic_performance", v, y) for y, v in zip(YEARS, values, strict=True)
        ]
        rows.append(_row(school, "chronic_absence", ABSENCE[school], "2016-17"))
    rows += [
        _row("A", "academic_performance", 10, "2016-17", group="el", n=30),  # 1
        _row("B", "academic_performance", 33, "2016-17", group="el", n=30),  # 5
        _row("C", "academic_performance", 10, "2016-17", group="el", n=10),  # suppressed
        _row("A", "academic_performance", 12, "2016-17", group="race_hispanic", n=40),  # 2
        _row("B", "academic_performance", 38, "2016-17", group="race_hispanic", n=40),  # 6
        _row("B", "academic_performance", 60, "2016-17", group="race_white", n=40),  # 9
    ]
    return frame_of(rows)


@pytest.fixture(scope="module")
def results():
    return compute_index(_network(), SPEC)


@pytest.fixture(scope="module")
def d1(results):
    return summarise_district(results, "D1")


def _metric(summary, metric_id):
    return next(m for m in summary.metrics if m.metric_id == metric_id)


def test_summary_counts_schools_per_band_and_median(d1):
    performance = _metric(d1, "academic_performance")

    assert [(b.band_id, b.schools) for b in performance.bands] == [
        ("below_average", 1),
        ("average", 1),
        ("above_average", 1),
    ]
    assert (performance.median_level, performance.network_median_level) == (7, 7)
    assert (performance.schools_applicable, performance.schools_with_level) == (3, 3)


def test_summary_metric_with_no_levels_has_none_not_zero(d1):
    graduation = _metric(d1, "graduation")

    assert (graduation.schools_applicable, graduation.schools_with_level) == (0, 0)
    assert (graduation.median_level, graduation.network_median_level) == (None, None)


def test_summary_group_gaps_use_schools_where_both_are_reported(d1):
    gaps = {g.group_id: g for g in d1.group_gaps if g.metric_id == "academic_performance"}

    assert (gaps["el"].schools, gaps["el"].median_gap, gaps["el"].median_group_level) == (
        2,
        Decimal("1.5"),
        Decimal("3"),
    )
    lowest = gaps["lowest_race"]
    assert (lowest.schools, lowest.median_gap, lowest.median_group_level) == (
        2,
        Decimal("0.5"),
        Decimal("4"),
    )
    assert (gaps["swd"].schools, gaps["swd"].median_gap) == (0, None)
    assert not [g for g in d1.group_gaps if g.metric_id == "el_redesignation"]


def test_summary_trends_cover_three_years(d1):
    trend = [
        (t.year, t.median_level, t.above_average, t.below_average)
        for t in d1.trends
        if t.metric_id == "academic_performance"
    ]

    assert d1.trend_years == YEARS
    assert trend == [("2014-15", 6, 1, 1), ("2015-16", 7, 1, 1), ("2016-17", 7, 1, 1)]


def test_summary_lagging_schools_give_each_reason(d1):
    flags = [(f.school_id, f.metric_id, f.level, f.reasons) for f in d1.lagging]

    assert flags == [
        (
            "A",
            "academic_performance",
            2,
            ("level 2 is at or below 2", "5.0 levels below the network median of 7.0"),
        ),
        (
            "C",
            "chronic_absence",
            2,
            ("level 2 is at or below 2", "5.0 levels below the network median of 7.0"),
        ),
    ]


def test_summary_school_table_by_name_with_overall_score(d1):
    rows = [
        (
            s.school_id,
            s.designation,
            s.levels["academic_performance"],
            s.levels["graduation"],
            s.lagging_metrics,
        )
        for s in d1.schools
    ]

    assert rows == [
        ("A", "priority", 2, None, ("academic_performance",)),
        ("B", None, 7, None, ()),
        ("C", "reward", 10, None, ("chronic_absence",)),
    ]
    # B: performance 7 blended with EL 5 and lowest race 6 -> 6.25, worth all 60 academic
    # points (15 x 2.5 = 37.5); chronic absence level 9 worth all 40 SE-CC points (36)
    b = d1.schools[1]
    assert (b.overall_score, b.overall_level) == (Decimal("73.50"), 7)


def test_summary_designation_counts(d1):
    assert d1.designations == {"priority": 1, "focus": 0, "reward": 1}


def test_summary_without_designations_in_data_says_none(results):
    frame = _network().drop(columns="designation")

    summary = summarise_district(compute_index(frame, SPEC), "D1")

    assert summary.designations is None
    assert summary.schools[0].designation is None


def test_summary_details_drill_into_groups(d1):
    detail = d1.detail("C")
    performance = next(m for m in detail.metrics if m.metric_id == "academic_performance")

    assert [(g.group_id, g.level, g.counted, g.note) for g in performance.groups] == [
        ("all", 10, True, None),
        ("el", None, False, "suppressed: n = 10 is below the n-size of 20"),
    ]
    assert performance.trend == (9, 10, 10)


def test_summary_details_can_be_left_out_and_built_on_demand(results):
    summary = summarise_district(results, "D1", details=False)

    assert summary.details == ()
    assert summary.detail("A") is None
    assert school_detail(results, "A").school_name == "Alder Elementary"


def test_summary_for_an_earlier_year(results):
    summary = summarise_district(results, "D1", year="2015-16")

    assert (summary.year, summary.trend_years) == ("2015-16", ("2014-15", "2015-16"))
    assert _metric(summary, "academic_performance").median_level == 7


def test_summarise_network_gives_every_district(results):
    assert [s.district_id for s in summarise_network(results)] == ["D1", "D2"]


def test_summarise_frame_computes_and_summarises():
    assert summarise_frame(_network(), SPEC, "D2").school_count == 2


def test_summary_unknown_district_and_year_refused(results):
    with pytest.raises(NotFound, match=r"no schools of district D9 \(districts: D1, D2\)"):
        summarise_district(results, "D9")
    with pytest.raises(InvalidInput, match=r"no results for 2013-14 \(years in the data: "):
        summarise_district(results, "D1", year="2013-14")
    with pytest.raises(NotFound, match="no school Z"):
        school_detail(results, "Z")


def test_summary_notes_say_what_counts(d1):
    spec_2015 = shipped("core-sqii@2015-16")
    frame = _network()
    notes = summarise_district(compute_index(frame, spec_2015), "D1", year="2015-16").notes

    assert "Groups with fewer than 20 students are suppressed and never count." in d1.notes
    assert (
        "Measured but not counted toward points in 2015-16: Academic growth (growth percentile); "
        "Social-emotional skills (% positive responses); Culture-climate surveys (% positive "
        "responses)."
    ) in notes
