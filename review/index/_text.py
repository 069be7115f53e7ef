"""A district summary as plain-text tables for the command line."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from review import figures
from review.index.models import DistrictSummary

NONE = "-"


def render_summary(summary: DistrictSummary) -> str:
    """The summary's measures first; the overall score only in the school table."""
    parts = [
        _header(summary),
        _bands(summary),
        _gaps(summary),
        _trends(summary),
        _lagging(summary),
        _schools(summary),
        "Notes:\n" + "\n".join(f"- {note}" for note in summary.notes),
    ]
    return "\n\n".join(parts)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Columns padded to fit; text left-aligned, numbers right-aligned; None shown as '-'."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    numeric = [all(_is_number(row[i]) for row in rows) and bool(rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        padded = (
            v.rjust(w) if right else v.ljust(w)
            for v, w, right in zip(values, widths, numeric, strict=True)
        )
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cells)])


def _cell(value: object) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | Decimal):
        return figures.written(value)
    return str(value)


def _is_number(value: object) -> bool:
    return value is None or (
        isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    )


def _header(summary: DistrictSummary) -> str:
    lines = [
        f"District {summary.district_id}: index summary {summary.year} ({summary.spec_key})",
        summary.spec_title,
        f"Schools: {figures.written(summary.school_count)}",
    ]
    if summary.designations is not None:
        counts = ", ".join(f"{name} {n}" for name, n in summary.designations.items())
        lines.append(f"Designated schools: {counts}")
    return "\n".join(lines)


def _bands(summary: DistrictSummary) -> str:
    band_names = [f"{b.name} ({b.low}-{b.high})" for b in summary.metrics[0].bands]
    rows = [
        [
            m.name,
            m.counts,
            m.schools_with_level,
            *(b.schools for b in m.bands),
            figures.level(m.median_level),
            figures.level(m.network_median_level),
        ]
        for m in summary.metrics
    ]
    headers = ["Metric", "Counts", "Schools", *band_names, "Median", "Network median"]
    return "Schools per band (all students)\n" + table(headers, rows)


def _gaps(summary: DistrictSummary) -> str:
    groups = list(dict.fromkeys(g.group_id for g in summary.group_gaps))
    names = {g.group_id: g.group_name for g in summary.group_gaps}
    by_key = {(g.metric_id, g.group_id): figures.level(g.median_gap) for g in summary.group_gaps}
    metrics = [m for m in summary.metrics if any(k[0] == m.metric_id for k in by_key)]
    rows = [[m.name, *(by_key.get((m.metric_id, g)) for g in groups)] for m in metrics]
    title = "Group gaps (median of all-students level minus group level, where both reported)"
    return title + "\n" + table(["Metric", *(names[g] for g in groups)], rows)


def _trends(summary: DistrictSummary) -> str:
    years = list(summary.trend_years)
    by_key = {(t.metric_id, t.year): figures.level(t.median_level) for t in summary.trends}
    rows = [[m.name, *(by_key.get((m.metric_id, y)) for y in years)] for m in summary.metrics]
    return "Trend of the median level\n" + table(["Metric", *years], rows)


def _lagging(summary: DistrictSummary) -> str:
    if not summary.lagging:
        return "Schools that lag dramatically: none"
    rows = [
        [f.school_name, f.school_id, f.metric_name, f.level, "; ".join(f.reasons)]
        for f in summary.lagging
    ]
    headers = ["School", "Id", "Metric", "Level", "Why"]
    return "Schools that lag dramatically\n" + table(headers, rows)


def _schools(summary: DistrictSummary) -> str:
    metric_ids = [m.metric_id for m in summary.metrics]
    rows = [
        [
            s.school_name,
            s.school_id,
            s.school_type,
            s.designation,
            *(s.levels.get(m) for m in metric_ids),
            figures.score(s.overall_score),
            s.overall_level,
        ]
        for s in summary.schools
    ]
    headers = ["School", "Id", "Type", "Designation", *metric_ids, "Overall score", "Level"]
    return "Schools (by name; levels for all students)\n" + table(headers, rows)
