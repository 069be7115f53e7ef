"""District summaries: band counts, median levels, group gaps, trends and lagging schools.

Multiple measures lead: every figure here is per metric. The overall score appears only in the
school rows and details, for context, and nothing is sorted by it (domain.md §3.6, §5.3).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy.typing as npt
import pandas as pd

from review import figures
from review.errors import NotFound
from review.index._details import school_details, school_rows
from review.index._numbers import median_decimal
from review.index.compute import IndexResults, compute_index
from review.index.models import (
    BandCount,
    DistrictSummary,
    GroupGap,
    LaggingFlag,
    MetricSummary,
    SchoolDetail,
    TrendPoint,
)
from review.index.spec import IndexSpec
from review.index.vocabulary import ALL_STUDENTS, DESIGNATIONS, LOWEST_RACE

__all__ = ["school_detail", "summarise_district", "summarise_frame", "summarise_network"]

TREND_YEARS = 3
Ints = npt.NDArray[np.int64]


def summarise_network(
    results: IndexResults, *, year: str | None = None, details: bool = True
) -> tuple[DistrictSummary, ...]:
    """Every district's summary, in district-id order (for coordinators and exports).

    Args:
        results: from `compute_index`.
        year: the school year to summarise; default the spec's school year.
        details: include each school's metric-by-group drill-down.
    """
    districts = sorted(set(results.schools["district_id"]))
    return tuple(summarise_district(results, d, year=year, details=details) for d in districts)


def summarise_frame(
    frame: pd.DataFrame, spec: IndexSpec, district_id: str, *, year: str | None = None
) -> DistrictSummary:
    """Compute the index for a validated frame and summarise one district of it."""
    return summarise_district(compute_index(frame, spec), district_id, year=year)


def summarise_district(
    results: IndexResults, district_id: str, *, year: str | None = None, details: bool = True
) -> DistrictSummary:
    """One district's summary for one school year, with trends over up to three years.

    Args:
        results: from `compute_index` over the whole network (network medians need it).
        district_id: the district's code as in the data.
        year: the school year to summarise; default the spec's school year.
        details: include each school's metric-by-group drill-down.

    Raises:
        NotFound: the data has no school of that district.
        InvalidInput: the data has no results for the year.
    """
    spec = results.spec
    rows = results.district_rows(district_id)
    if len(rows) == 0:
        known = ", ".join(sorted(set(results.schools["district_id"]))) or "none"
        raise NotFound(f"the data has no schools of district {district_id} (districts: {known})")
    y = results.year_index(year or spec.school_year)
    trend = list(range(max(0, y - TREND_YEARS + 1), y + 1))
    lagging = _lagging(results, rows, y)
    return DistrictSummary(
        spec_key=spec.key,
        spec_title=spec.title,
        district_id=district_id,
        year=results.years[y],
        trend_years=tuple(results.years[t] for t in trend),
        school_count=len(rows),
        designations=_designations(results, rows, y),
        metrics=tuple(_metric_summary(results, rows, y, m) for m in range(len(spec.metrics))),
        group_gaps=_group_gaps(results, rows, y),
        trends=_trends(results, rows, trend),
        lagging=lagging,
        schools=school_rows(results, rows, y, lagging),
        details=school_details(results, rows, y, trend) if details else (),
        notes=_notes(spec),
    )


def school_detail(
    results: IndexResults, school_id: str, *, year: str | None = None
) -> SchoolDetail:
    """One school's drill-down (each metric by student group), built on demand.

    Raises:
        NotFound: no school with that id in the data.
        InvalidInput: the data has no results for the year.
    """
    matches = np.flatnonzero((results.schools["school_id"] == school_id).to_numpy())
    if len(matches) == 0:
        raise NotFound(f"the data has no school {school_id}")
    y = results.year_index(year or results.spec.school_year)
    trend = list(range(max(0, y - TREND_YEARS + 1), y + 1))
    return school_details(results, matches, y, trend)[0]


def _designations(results: IndexResults, rows: Ints, y: int) -> dict[str, int] | None:
    if results.designation is None:
        return None
    codes = results.designation[rows, y]
    return {name: int((codes == i).sum()) for i, name in enumerate(DESIGNATIONS)}


def _metric_summary(results: IndexResults, rows: Ints, y: int, m: int) -> MetricSummary:
    spec = results.spec
    metric = spec.metrics[m]
    domain = next(d for d in spec.domains if d.id == metric.domain)
    levels = results.all_level[rows, y, m]
    per_level = np.bincount(levels, minlength=11)
    bands = tuple(
        BandCount(
            band_id=b.id,
            name=b.name,
            low=b.low,
            high=b.high,
            schools=int(per_level[b.low : b.high + 1].sum()),
        )
        for b in spec.bands
    )
    network = results.network_median[y, m]
    return MetricSummary(
        metric_id=metric.id,
        name=metric.name,
        domain_id=domain.id,
        domain_name=domain.name,
        counts=metric.counts,
        better=metric.better,
        schools_applicable=int(results.applies[rows, m].sum()),
        schools_with_level=int((levels > 0).sum()),
        bands=bands,
        median_level=median_decimal(levels[levels > 0]),
        network_median_level=None if np.isnan(network) else median_decimal(np.array([network])),
        illustrative_cut_points="cut_points" in metric.illustrative,
    )


def _group_gaps(results: IndexResults, rows: Ints, y: int) -> tuple[GroupGap, ...]:
    spec = results.spec
    gaps = []
    group_ids = [g for g in spec.group_ids if g != ALL_STUDENTS]
    if spec.race_group_ids:
        group_ids = [LOWEST_RACE, *group_ids]
    for m, metric in enumerate(spec.metrics):
        if not metric.subgroups:
            continue
        all_level = results.all_level[rows, y, m].astype(np.int64)
        for group_id in group_ids:
            group_level = _group_level(results, rows, y, m, group_id)
            both = (all_level > 0) & (group_level > 0)
            gaps.append(
                GroupGap(
                    metric_id=metric.id,
                    group_id=group_id,
                    group_name=spec.group_name(group_id),
                    schools=int(both.sum()),
                    median_gap=median_decimal((all_level - group_level)[both]),
                    median_group_level=median_decimal(group_level[both]),
                )
            )
    return tuple(gaps)


def _group_level(results: IndexResults, rows: Ints, y: int, m: int, group_id: str) -> Ints:
    """Reportable level of a group (or of each school's lowest race group), 0 where none."""
    if group_id == LOWEST_RACE:
        picked = results.lowest_race[rows, y, m].astype(np.int64)
        level = results.level[rows, y, m, np.maximum(picked, 0)]
        ok = (picked >= 0) & results.reportable[rows, y, m, np.maximum(picked, 0)]
    else:
        g = results.group_ids.index(group_id)
        level = results.level[rows, y, m, g]
        ok = results.reportable[rows, y, m, g]
    result: Ints = np.where(ok, level, 0).astype(np.int64)
    return result


def _trends(results: IndexResults, rows: Ints, years: list[int]) -> tuple[TrendPoint, ...]:
    spec = results.spec
    top, bottom = spec.bands[-1], spec.bands[0]
    points = []
    for m, metric in enumerate(spec.metrics):
        for t in years:
            levels = results.all_level[rows, t, m]
            points.append(
                TrendPoint(
                    metric_id=metric.id,
                    year=results.years[t],
                    schools_with_level=int((levels > 0).sum()),
                    median_level=median_decimal(levels[levels > 0]),
                    above_average=int(((levels >= top.low) & (levels <= top.high)).sum()),
                    below_average=int(((levels >= bottom.low) & (levels <= bottom.high)).sum()),
                )
            )
    return tuple(points)


def _lagging(results: IndexResults, rows: Ints, y: int) -> tuple[LaggingFlag, ...]:
    """Schools at or below a low level, or far below the network median, metric by metric."""
    spec = results.spec
    rule = spec.lagging
    levels = results.all_level[rows, y].astype(np.int64)  # (k, m)
    median = results.network_median[y]  # (m,)
    low = (levels > 0) & (levels <= (rule.at_or_below_level or 0))
    far = np.zeros_like(low)
    if rule.levels_below_network_median is not None:
        with np.errstate(invalid="ignore"):
            far = (levels > 0) & (levels <= median - rule.levels_below_network_median)
    flags = []
    names = results.schools["school_name"].to_numpy()
    ids = results.schools["school_id"].to_numpy()
    for k, m in zip(*np.nonzero(low | far), strict=True):
        metric = spec.metrics[m]
        reasons = []
        if low[k, m]:
            reasons.append(f"level {levels[k, m]} is at or below {rule.at_or_below_level}")
        if far[k, m]:
            below = median[m] - levels[k, m]
            reasons.append(
                f"{_one_decimal(below)} levels below the network median of "
                f"{_one_decimal(median[m])}"
            )
        flags.append(
            LaggingFlag(
                school_id=str(ids[rows[k]]),
                school_name=str(names[rows[k]]),
                metric_id=metric.id,
                metric_name=metric.name,
                level=int(levels[k, m]),
                network_median_level=Decimal(_plain(median[m])),
                reasons=tuple(reasons),
            )
        )
    return tuple(flags)


def _one_decimal(number: float) -> str:
    """A gap or median of levels as the packet and the command line write it (7.0, 4.5)."""
    shown = figures.level(Decimal(_plain(number)))
    assert shown is not None  # a number in, a number out
    return figures.written(shown)


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(float(number))


def _notes(spec: IndexSpec) -> tuple[str, ...]:
    notes = [
        f"Levels 1-10 use the cut points of {spec.key}, held the same for every year shown.",
        f"Groups with fewer than {spec.n_size} students are suppressed and never count.",
    ]
    not_counted = [m.name for m in spec.metrics if not m.counts]
    if not_counted:
        notes.append(
            f"Measured but not counted toward points in {spec.school_year}: "
            + "; ".join(not_counted)
            + "."
        )
    all_only = [m.name for m in spec.metrics if not m.subgroups]
    if all_only:
        notes.append("Counted for all students only: " + "; ".join(all_only) + ".")
    illustrative = [m.name for m in spec.metrics if "cut_points" in m.illustrative]
    if illustrative:
        notes.append(
            "Illustrative cut points (product settings, not CORE's published thresholds): "
            + "; ".join(illustrative)
            + "."
        )
    notes.append(
        "The overall score is context for each school, not a ranking: read the measures first."
    )
    if spec.notes:
        notes.append(spec.notes)
    return tuple(notes)
