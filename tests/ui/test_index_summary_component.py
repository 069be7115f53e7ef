import json

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from review.index.catalogue import SpecCatalogue
from review.index.compute import compute_index
from review.index.importer import check_results
from review.index.summary import summarise_district
from review.settings import PROJECT_ROOT

ODD_NAME = "Zinnia **Bold** <b>Oak</b> [x](http://example.com)"


def _row(school, name, metric, value, *, group="all", n=100, designation=""):
    return {
        "school_id": school,
        "school_name": name,
        "district_id": "D1",
        "school_type": "elementary",
        "year": "2016-17",
        "metric": metric,
        "group": group,
        "n": n,
        "value": value,
        "designation": designation,
    }


def _summary_json():
    rows = [
        _row("A", "Alder Elementary", "academic_performance", 15, designation="priority"),
        _row(
            "A",
            "Alder Elementary",
            "academic_performance",
            10,
            group="el",
            n=12,
            designation="priority",
        ),
        _row("A", "Alder Elementary", "chronic_absence", 4, designation="priority"),
        _row("B", ODD_NAME, "academic_performance", 45),
        _row("B", ODD_NAME, "academic_performance", 33, group="el", n=30),
        _row("B", ODD_NAME, "chronic_absence", 10),
    ]
    spec = SpecCatalogue(PROJECT_ROOT / "index_specs").get_key("core-sqii@2016-17")
    results = compute_index(check_results(pd.DataFrame(rows)), spec)
    return summarise_district(results, "D1").model_dump_json()


def _app(summary_json):
    from review.index.models import DistrictSummary
    from ui.components import index_summary

    index_summary.show(DistrictSummary.model_validate_json(summary_json), key="idx")


@pytest.fixture
def at():
    return AppTest.from_function(_app, args=(_summary_json(),), default_timeout=30).run()


def _frame(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _values(frame):
    """Cell values with missing ones as None (Streamlit hands them back as NaN)."""
    return frame.astype(object).where(frame.notna(), None).values.tolist()


def _chart(at, index):
    """The chart's Vega-Lite spec and its data (sent as Arrow bytes)."""
    proto = at.get("vega_lite_chart")[index].proto
    data = pa.ipc.open_stream(proto.datasets[0].data.data).read_all().to_pandas()
    return json.loads(proto.spec), data


def test_component_band_chart_counts_schools_per_band(at):
    assert not at.exception
    spec, data = _chart(at, 0)
    assert (spec["mark"]["type"], spec["encoding"]["x"]["stack"]) == ("bar", "zero")
    performance = data[data["metric"].str.startswith("Academic performance")]
    assert dict(zip(performance["band"], performance["schools"], strict=True)) == {
        "Below average (1-3)": 1,
        "Average (4-7)": 1,
        "Above average (8-10)": 0,
    }


def test_component_trend_chart_has_median_levels(at):
    spec, data = _chart(at, 1)
    assert spec["mark"]["type"] == "line"
    assert data[["year", "median level"]].values.tolist()[0] == ["2016-17", 4.5]


def test_component_medians_and_lagging(at):
    medians = _frame(at, "District median")
    # A metric without levels shows "–" (Streamlit would print a grey "None").
    assert _values(medians[["District median", "Network median"]])[:2] == [
        ["4.5", "4.5"],
        ["–", "–"],
    ]
    lagging = _frame(at, "Why")
    assert lagging["Network median"].tolist() == ["4.5"]
    # Medians and gaps to one decimal, as the packet and the command line write them.
    gaps = next(d.value for d in at.dataframe if d.value.index.name == "Metric")
    assert gaps.values.tolist()[0][:2] == ["–", "2.0"]
    assert lagging["School"].tolist() == ["Alder Elementary"]
    assert lagging["Why"].tolist() == ["level 2 is at or below 2"]


def test_component_school_table_lists_by_name_with_overall_score_last(at):
    schools = _frame(at, "Overall level")
    assert schools["School"].tolist() == ["Alder Elementary", ODD_NAME]
    assert list(schools.columns)[-2:] == ["Overall score", "Overall level"]
    assert not [m for m in at.metric if "overall" in m.label.lower()]


def test_component_drill_down_shows_one_schools_groups(at):
    groups = _frame(at, "Counted")
    assert _values(groups[["Group", "n", "Level", "Note"]])[:2] == [
        ["All students", 100, "2", ""],
        ["English learners", 12, "–", "suppressed: n = 12 is below the n-size of 20"],
    ]

    at.selectbox(key="idx_school").select("B").run()

    groups = _frame(at, "Counted")
    assert groups["Level"].tolist()[:2] == [7, 5]


def test_component_renders_names_inert(at):
    at.selectbox(key="idx_school").select("B").run()

    assert [t.value for t in at.text if t.value.startswith("Zinnia")] == [
        f"{ODD_NAME} · elementary"
    ]
    assert not [m for m in at.markdown if "Oak" in m.value]
