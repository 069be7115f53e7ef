"""One district's index summary: measures first, the overall score only per school.

Renders what `review.index.summary` built and nothing more. Text from data files (school and
district names) goes through tables, charts and `st.text`, never as markdown or HTML.
Charts are Vega-Lite specs written out: building them with Altair cost a third of a second
to import it and a fifth more per rerun to validate them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st

from review import figures
from review.index.models import DistrictSummary, SchoolDetail
from ui.components import table as table_view

BAND_COLOURS = ["#d95f02", "#bdbdbd", "#1b9e77"]  # below, average, above


def show(summary: DistrictSummary, *, key: str) -> None:
    """Render a district's summary; `key` prefixes every widget key of this component.

    The school drill-down appears when the summary was built with details (the default of
    `summarise_district`).
    """
    st.header("Index summary")
    st.text(
        f"District {summary.district_id} · {summary.year} · {summary.school_count} schools · "
        f"{summary.spec_title} ({summary.spec_key})"
    )
    if summary.designations is not None:
        cols = st.columns(len(summary.designations))
        for col, (name, count) in zip(cols, summary.designations.items(), strict=True):
            col.metric(f"{name.title()} schools", count)
    _bands(summary)
    _medians(summary)
    _gaps(summary)
    _trends(summary)
    _lagging(summary)
    _schools(summary, key)
    with st.expander("About these figures"):
        for note in summary.notes:
            st.text(note)


def _bands(summary: DistrictSummary) -> None:
    st.markdown("### Schools in each band, by metric (all students)")
    rows = [
        {"metric": m.name, "band": f"{b.name} ({b.low}-{b.high})", "order": i, "schools": b.schools}
        for m in summary.metrics
        for i, b in enumerate(m.bands)
    ]
    bands = [f"{b.name} ({b.low}-{b.high})" for b in summary.metrics[0].bands]
    encoding = {
        "y": _field("metric", "nominal", title=None, sort=[m.name for m in summary.metrics]),
        "x": _field("schools", "quantitative", title="Schools", stack="zero"),
        "color": _field(
            "band", "nominal", sort=bands, scale={"domain": bands, "range": BAND_COLOURS}
        ),
        "order": _field("order", "quantitative"),
        "tooltip": [
            _field("metric", "nominal"),
            _field("band", "nominal"),
            _field("schools", "quantitative"),
        ],
    }
    _chart(pd.DataFrame(rows), {"type": "bar"}, encoding)


def _medians(summary: DistrictSummary) -> None:
    st.markdown("### Median level by metric")
    table = pd.DataFrame(
        {
            "Metric": [m.name for m in summary.metrics],
            "Domain": [m.domain_name for m in summary.metrics],
            "Counts this year": ["yes" if m.counts else "no" for m in summary.metrics],
            "Schools with a level": [m.schools_with_level for m in summary.metrics],
            "District median": [_median(m.median_level) for m in summary.metrics],
            "Network median": [_median(m.network_median_level) for m in summary.metrics],
        }
    )
    _dataframe(table)


def _gaps(summary: DistrictSummary) -> None:
    if not summary.group_gaps:
        return
    st.markdown("### Group gaps")
    st.caption("Median of the all-students level minus the group's level, where both are reported.")
    names = {m.metric_id: m.name for m in summary.metrics}
    rows = [
        {"Metric": names[g.metric_id], "Group": g.group_name, "gap": _median(g.median_gap)}
        for g in summary.group_gaps
    ]
    table = pd.DataFrame(rows).pivot(index="Metric", columns="Group", values="gap")
    order = list(dict.fromkeys(g.group_name for g in summary.group_gaps))
    metrics = [names[m] for m in dict.fromkeys(g.metric_id for g in summary.group_gaps)]
    _dataframe(table.reindex(index=metrics, columns=order), hide_index=False)


def _trends(summary: DistrictSummary) -> None:
    st.markdown("### Trends: median level")
    names = {m.metric_id: m.name for m in summary.metrics}
    rows = [
        {"metric": names[t.metric_id], "year": t.year, "median level": _number(t.median_level)}
        for t in summary.trends
        if t.median_level is not None
    ]
    if not rows:
        st.text("No levels to show a trend.")
        return
    encoding = {
        "x": _field("year", "ordinal", title="School year"),
        "y": _field("median level", "quantitative", scale={"domain": [1, 10]}),
        "color": _field("metric", "nominal", title="Metric"),
        "tooltip": [
            _field("metric", "nominal"),
            _field("year", "ordinal"),
            _field("median level", "quantitative"),
        ],
    }
    _chart(pd.DataFrame(rows), {"type": "line", "point": True}, encoding)


def _chart(data: pd.DataFrame, mark: dict[str, Any], encoding: dict[str, Any]) -> None:
    # A named dataset, as Altair sent it: Streamlit passes it to the browser as Arrow.
    spec = {"data": {"name": "table"}, "datasets": {"table": data}, "mark": mark}
    st.vega_lite_chart(spec={**spec, "encoding": encoding}, width="stretch")


def _field(name: str, kind: str, **options: Any) -> dict[str, Any]:
    return {"field": name, "type": kind, **options}


def _lagging(summary: DistrictSummary) -> None:
    st.markdown("### Schools that lag dramatically")
    if not summary.lagging:
        st.text("None this year.")
        return
    table = pd.DataFrame(
        {
            "School": [f.school_name for f in summary.lagging],
            "Metric": [f.metric_name for f in summary.lagging],
            "Level": [f.level for f in summary.lagging],
            "Network median": [_median(f.network_median_level) for f in summary.lagging],
            "Why": ["; ".join(f.reasons) for f in summary.lagging],
        }
    )
    _dataframe(table, {"School": _PINNED, "Why": st.column_config.TextColumn(width="large")})


def _schools(summary: DistrictSummary, key: str) -> None:
    st.markdown("### Schools")
    st.caption("Listed by name. The overall score is context, not a ranking.")
    names = {m.metric_id: m.name for m in summary.metrics}
    table = pd.DataFrame(
        [
            {
                "School": s.school_name,
                "Type": s.school_type,
                "Designation": s.designation or "",
                **{names[m]: level for m, level in s.levels.items()},
                "Overall score": _number(s.overall_score),
                "Overall level": s.overall_level,
            }
            for s in summary.schools
        ]
    )
    _dataframe(table, {"School": _PINNED})
    if summary.details:
        _drill_down(summary, key)


def _drill_down(summary: DistrictSummary, key: str) -> None:
    labels = {d.school_id: f"{d.school_name} ({d.school_id})" for d in summary.details}
    chosen = st.selectbox(
        "Look at one school",
        list(labels),
        format_func=labels.__getitem__,
        key=f"{key}_school",
    )
    detail = summary.detail(chosen) if chosen else None
    if detail is not None:
        _detail(detail)


def _detail(detail: SchoolDetail) -> None:
    st.text(
        f"{detail.school_name} · {detail.school_type}"
        + (f" · {detail.designation}" if detail.designation else "")
    )
    metrics = pd.DataFrame(
        {
            "Metric": [m.name for m in detail.metrics],
            "Level (all students)": [m.level for m in detail.metrics],
            "Score": [_number(m.score) for m in detail.metrics],
            "Points": [_number(m.points) for m in detail.metrics],
            "Of": [_number(m.possible) for m in detail.metrics],
            "Trend": [" → ".join(_level(t) for t in m.trend) for m in detail.metrics],
            "Note": [m.note or "" for m in detail.metrics],
        }
    )
    _dataframe(metrics, _DETAIL_COLUMNS)
    domains = ", ".join(
        f"{d.name} {_number(d.points)} of {_number(d.possible)}" for d in detail.domains
    )
    st.text(
        f"Overall score {_number(detail.overall_score)}, level {_level(detail.overall_level)} "
        f"({domains})"
    )
    groups = pd.DataFrame(
        [
            {
                "Metric": m.name,
                "Group": g.group_name,
                "n": g.n,
                "Value": g.value,
                "Level": g.level,
                "Counted": "yes" if g.counted else "no",
                "Note": g.note or "",
            }
            for m in detail.metrics
            for g in m.groups
        ]
    )
    _dataframe(groups, _DETAIL_COLUMNS)


_PINNED = st.column_config.TextColumn(width="medium", pinned=True)
# The school detail tables fit 1400 px beside the sidebar, their notes included.
_DETAIL_COLUMNS: dict[str, Any] = {
    "Metric": _PINNED,
    "Level (all students)": st.column_config.TextColumn("Level", width=60),
    "Score": st.column_config.TextColumn(width=60),
    "Points": st.column_config.TextColumn(width=60),
    "Of": st.column_config.TextColumn(width=45),
    "Trend": st.column_config.TextColumn(width=110),
    "Group": st.column_config.TextColumn(width=150),
    "n": st.column_config.TextColumn(width=50),
    "Value": st.column_config.TextColumn(width=70),
    "Level": st.column_config.TextColumn(width=60),
    "Counted": st.column_config.TextColumn(width=70),
    "Note": st.column_config.TextColumn(width="large"),
}


def _dataframe(
    table: pd.DataFrame, columns: dict[str, Any] | None = None, *, hide_index: bool = True
) -> None:
    table_view.show(table, columns, hide_index=hide_index)


def _median(value: Decimal | None) -> str:
    """A median level or gap as the packet and the command line write it (7.0, -1.5)."""
    shown = figures.level(value)
    return table_view.NO_VALUE if shown is None else figures.written(shown)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _level(level: int | None) -> str:
    return table_view.cell(level)
