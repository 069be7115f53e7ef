from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from index_helpers import frame_of, result_row, shipped, spec_with

from review.index.compute import compute_index
from review.index.importer import ImportProblems
from review.index.summary import school_detail
from review.index.vocabulary import RACE_GROUPS

SPEC_2015 = shipped("core-sqii@2015-16")


def _hand_computed_rows():
    """One elementary school in 2015-16; levels worked out by hand in the comments."""
    return [
        # performance, cut points 12 18 24 30 36 42 50 60 70
        result_row("academic_performance", 45.0),  # level 7
        result_row("academic_performance", 31.0, group="el", n=30),  # level 5
        result_row("academic_performance", 10.0, group="swd", n=19),  # suppressed
        result_row("academic_performance", 36.0, group="sed", n=60),  # at a cut: level 6
        result_row("academic_performance", 33.0, group="race_hispanic", n=50),  # 5, lowest
        result_row("academic_performance", 58.0, group="race_white", n=25),  # 8
        result_row("academic_performance", 20.0, group="race_asian", n=19),  # suppressed
        # growth does not count in 2015-16
        result_row("academic_growth", 55.0),  # level 6
        # EL redesignation counts all students only; 2015-16 puts it in SE-CC
        result_row("el_redesignation", 20.0, n=30),  # level 7
        result_row("el_redesignation", 10.0, group="el", n=30),  # not counted
        # chronic absence, lower is better: cut points 25 20 16 13 11 9 7 5 3
        result_row("chronic_absence", 3.0, n=120),  # at the last cut: level 10
        result_row("chronic_absence", 9.5, group="sed", n=70),  # 6
        result_row("chronic_absence", 12.0, group="race_hispanic", n=60),  # 5, lowest
        result_row("chronic_absence", 4.0, group="race_white", n=30),  # 9
        result_row("suspension_expulsion", 0.4, n=120),  # level 10
        result_row("sel_skills", 75.0),  # level 7, does not count
    ]


def _metric(detail, metric_id):
    return next(m for m in detail.metrics if m.metric_id == metric_id)


def test_compute_index_hand_computed_school_exact_points():
    results = compute_index(frame_of(_hand_computed_rows()), SPEC_2015)
    detail = school_detail(results, "S1")

    performance = _metric(detail, "academic_performance")
    # all 7 blended 50/50 with the mean of lowest race 5, EL 5 and SED 6: 3.5 + 16/6 = 37/6
    assert (performance.level, performance.score) == (7, Decimal("6.17"))
    assert (performance.points, performance.possible) == (Decimal("37.00"), Decimal("60.00"))
    assert performance.lowest_race_group == "race_hispanic"
    el = _metric(detail, "el_redesignation")
    assert (el.score, el.points, el.possible) == (
        Decimal("7.00"),
        Decimal("9.33"),
        Decimal("13.33"),
    )
    absence = _metric(detail, "chronic_absence")  # 5 + (5 + 6) / 4 = 7.75
    assert (absence.level, absence.score, absence.points) == (10, Decimal("7.75"), Decimal("10.33"))
    suspension = _metric(detail, "suspension_expulsion")  # the erratum's "13.33/13.33"
    assert (suspension.points, suspension.possible) == (Decimal("13.33"), Decimal("13.33"))
    assert [(d.domain_id, d.points, d.possible) for d in detail.domains] == [
        ("academic", Decimal("37.00"), Decimal("60.00")),
        ("se_cc", Decimal("33.00"), Decimal("40.00")),
    ]
    assert (detail.overall_score, detail.overall_level) == (Decimal("70.00"), 7)


def test_compute_index_metrics_that_do_not_count_earn_no_points():
    detail = school_detail(compute_index(frame_of(_hand_computed_rows()), SPEC_2015), "S1")

    growth, sel = _metric(detail, "academic_growth"), _metric(detail, "sel_skills")

    assert (growth.level, growth.points, growth.possible) == (6, None, None)
    assert (sel.level, sel.points) == (7, None)
    assert sel.note == "measured, but does not count toward points in 2015-16"


def test_compute_index_full_2016_17_counts_growth_and_surveys():
    rows = [dict(r, year="2016-17") for r in _hand_computed_rows()]
    detail = school_detail(compute_index(frame_of(rows), shipped("core-sqii@2016-17")), "S1")

    growth = _metric(detail, "academic_growth")

    # academic 60 over performance, growth, EL redesignation; SE-CC 40 over the three
    # reported metrics (culture-climate has no result, so its share goes to the others)
    assert (growth.points, growth.possible) == (Decimal("12.00"), Decimal("20.00"))
    assert _metric(detail, "sel_skills").possible == Decimal("13.33")
    assert _metric(detail, "culture_climate").note == (
        "not scored: all students below the n-size of 20 or not reported"
    )


@pytest.mark.parametrize(
    ("key", "overall", "domains"),
    [
        # academic: 30 x 0.7 + 30 x 0.6; SE-CC: 40 / 3 x (1.0 + 0.7 + 0.7)
        ("core-sqii@2016-17", "71.00", [("academic", "39.00"), ("se_cc", "32.00")]),
        # five elements of 20; completion has no metric at an elementary school and drops out:
        # (14 + 12 + 17 + 14) / 80
        (
            "core-sqii-5x20@2016-17",
            "71.25",
            [
                ("performance", "14.00"),
                ("growth", "12.00"),
                ("culture_climate", "17.00"),
                ("social_emotional", "14.00"),
                ("completion", None),
            ],
        ),
    ],
)
def test_compute_index_weights_of_the_full_system_and_five_elements(key, overall, domains):
    rows = [
        result_row(metric, value, year="2016-17")
        for metric, value in [
            ("academic_performance", 45.0),  # 7
            ("academic_growth", 55.0),  # 6
            ("chronic_absence", 3.0),  # 10
            ("sel_skills", 75.0),  # 7
            ("culture_climate", 75.0),  # 7
        ]
    ]
    detail = school_detail(compute_index(frame_of(rows), shipped(key)), "S1")

    assert detail.overall_score == Decimal(overall)
    assert [(d.domain_id, d.points) for d in detail.domains] == [
        (d, None if p is None else Decimal(p)) for d, p in domains
    ]


@pytest.mark.parametrize(("n", "counted"), [(19, False), (20, True)])
def test_compute_index_suppresses_groups_below_n_size(n, counted):
    rows = [
        result_row("academic_performance", 45.0),  # 7
        result_row("academic_performance", 31.0, group="el", n=n),  # 5
    ]
    detail = school_detail(compute_index(frame_of(rows), SPEC_2015), "S1")

    performance = _metric(detail, "academic_performance")
    el = next(g for g in performance.groups if g.group_id == "el")

    assert el.counted is counted
    if counted:
        assert (el.level, el.value, el.note) == (5, 31.0, None)
        assert performance.score == Decimal("6.00")
    else:
        assert (el.level, el.value) == (None, None)
        assert el.note == "suppressed: n = 19 is below the n-size of 20"
        assert performance.score == Decimal("7.00")


def test_compute_index_all_students_below_n_size_leave_metric_unscored():
    rows = [result_row("academic_performance", 45.0, n=19), result_row("chronic_absence", 3.0)]
    detail = school_detail(compute_index(frame_of(rows), SPEC_2015), "S1")

    performance = _metric(detail, "academic_performance")

    assert (performance.level, performance.score, performance.points) == (None, None, None)
    # redistribute: with no academic metric scored the score is SE-CC alone, out of 100
    assert detail.domains[0].points is None
    assert detail.overall_score == Decimal("100.00")


def test_compute_index_forfeit_keeps_unreported_metric_points_possible():
    spec = spec_with(SPEC_2015, unreported_metric="forfeit")
    rows = [result_row("academic_performance", 45.0, n=19), result_row("chronic_absence", 3.0)]
    detail = school_detail(compute_index(frame_of(rows), spec), "S1")

    performance = _metric(detail, "academic_performance")

    assert (performance.points, performance.possible) == (Decimal("0.00"), Decimal("60.00"))
    # SE-CC: chronic absence 10 on 40/3 earned; EL redesignation and suspension forfeited
    assert detail.overall_score == Decimal("13.33")


@pytest.mark.parametrize(
    ("metric", "values", "expected"),
    [
        ("academic_performance", {"race_hispanic": 33.0, "race_white": 58.0}, "race_hispanic"),
        ("chronic_absence", {"race_hispanic": 12.0, "race_white": 4.0}, "race_hispanic"),
        ("chronic_absence", {"race_asian": 4.0, "race_white": 12.0}, "race_white"),
        # a tie goes to the group listed first in the spec
        ("academic_performance", {"race_white": 30.0, "race_asian": 30.0}, "race_asian"),
    ],
)
def test_compute_index_lowest_race_group_is_worst_value(metric, values, expected):
    rows = [result_row(metric, 50.0 if metric == "academic_performance" else 8.0)]
    rows += [result_row(metric, v, group=g, n=40) for g, v in values.items()]
    detail = school_detail(compute_index(frame_of(rows), SPEC_2015), "S1")

    assert _metric(detail, metric).lowest_race_group == expected


def test_compute_index_lowest_race_group_among_reportable_skips_small_groups():
    rows = [
        result_row("academic_performance", 50.0),
        result_row("academic_performance", 10.0, group="race_filipino", n=5),
        result_row("academic_performance", 40.0, group="race_hispanic", n=40),
    ]
    results = compute_index(frame_of(rows), SPEC_2015)

    assert _metric(school_detail(results, "S1"), "academic_performance").lowest_race_group == (
        "race_hispanic"
    )


def test_compute_index_lowest_race_group_among_all_can_be_suppressed():
    rule = SPEC_2015.lowest_race_group.model_dump() | {"among": "all"}
    spec = spec_with(SPEC_2015, lowest_race_group=rule)
    rows = [
        result_row("academic_performance", 45.0),  # 7
        result_row("academic_performance", 10.0, group="race_filipino", n=5),
        result_row("academic_performance", 40.0, group="race_hispanic", n=40),
    ]
    performance = _metric(
        school_detail(compute_index(frame_of(rows), spec), "S1"), "academic_performance"
    )

    assert performance.lowest_race_group == "race_filipino"
    assert performance.score == Decimal("7.00")  # the suppressed pick does not count


def test_compute_index_metric_not_applicable_to_school_type():
    rows = [result_row("academic_performance", 45.0), result_row("graduation", 90.0)]
    detail = school_detail(compute_index(frame_of(rows), SPEC_2015), "S1")

    graduation = _metric(detail, "graduation")

    assert (graduation.applies, graduation.level, graduation.points) == (False, None, None)
    assert graduation.note == "does not apply to elementary schools"


def test_compute_index_ignores_metrics_outside_the_spec():
    spec = spec_with(
        SPEC_2015, metrics=[m.model_dump() for m in SPEC_2015.metrics if m.id != "sel_skills"]
    )
    rows = [result_row("academic_performance", 45.0), result_row("sel_skills", 75.0)]

    results = compute_index(frame_of(rows), spec)

    assert "sel_skills" not in results.metric_ids
    assert results.level.shape == (1, 1, 8, 12)


def test_compute_index_validates_a_plain_frame_first():
    plain = pd.DataFrame([result_row("academic_performance", 45.0, designation="focus")])

    results = compute_index(plain, SPEC_2015)

    assert (int(results.level[0, 0, 0, 0]), int(results.designation[0, 0])) == (7, 1)
    with pytest.raises(ImportProblems, match="row 2, column value: 145 is out of range"):
        compute_index(pd.DataFrame([result_row("academic_performance", 145.0)]), SPEC_2015)


# --- properties ---------------------------------------------------------------------------------

METRIC_IDS = [m.id for m in SPEC_2015.metrics]
values = st.floats(min_value=0, max_value=100, allow_nan=False).map(lambda v: round(v, 1))


def _level_of(metric: str, value: float) -> int:
    results = compute_index(frame_of([result_row(metric, value)]), SPEC_2015)
    return int(results.level[0, 0, results.metric_ids.index(metric), 0])


@settings(max_examples=60, deadline=None)
@given(metric=st.sampled_from(METRIC_IDS), a=values, b=values)
def test_property_better_value_never_lowers_level(metric, a, b):
    low, high = sorted((a, b))
    worse, better = (low, high) if SPEC_2015.metric(metric).better == "higher" else (high, low)

    assert _level_of(metric, better) >= _level_of(metric, worse)


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=40), min_size=11, max_size=11),
    first=st.lists(values, min_size=11, max_size=11),
    second=st.lists(values, min_size=11, max_size=11),
)
def test_property_suppressed_groups_never_count(sizes, first, second):
    groups = ["el", "swd", "sed", *RACE_GROUPS]

    def points(group_values):
        rows = [result_row("academic_performance", 45.0)]
        rows += [
            result_row("academic_performance", v, group=g, n=n)
            for g, n, v in zip(groups, sizes, group_values, strict=True)
        ]
        results = compute_index(frame_of(rows), SPEC_2015)
        return results.score[0, 0, 0], results.points[0, 0, 0]

    # Suppressed groups take their values from `second`; reportable ones keep `first`.
    mixed = [f if n >= 20 else s for f, s, n in zip(first, second, sizes, strict=True)]

    assert points(first) == points(mixed)


def test_to_levels_lower_is_better_at_and_between_cut_points():
    frame = pd.DataFrame(
        [
            result_row("chronic_absence", v, school_id=f"S{i}")
            for i, v in enumerate([25.0, 24.9, 3.0, 3.1, 0.0, 100.0])
        ]
    )
    results = compute_index(frame_of(frame.to_dict("records")), SPEC_2015)

    m = results.metric_ids.index("chronic_absence")
    assert results.level[:, 0, m, 0].tolist() == [2, 2, 10, 9, 10, 1]
    assert np.all(results.reportable[:, 0, m, 0])
