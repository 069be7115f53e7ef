"""School rows and the per-school drill-down (each metric by student group) of a summary.

These are built for every school of a district, so the arrays are turned into Python lists
once, and the fixed texts of each group are worked out once per spec.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from review.index._numbers import hundredths
from review.index.compute import IndexResults
from review.index.models import (
    DomainScore,
    GroupResult,
    LaggingFlag,
    SchoolDetail,
    SchoolMetric,
    SchoolRow,
)
from review.index.spec import IndexSpec, Metric
from review.index.vocabulary import ALL_STUDENTS, DESIGNATIONS, LOWEST_RACE, RACE_GROUPS

Ints = npt.NDArray[np.int64]
Note = str | None
Hundredths = list[Decimal | None]


def school_rows(
    results: IndexResults, rows: Ints, y: int, lagging: tuple[LaggingFlag, ...]
) -> tuple[SchoolRow, ...]:
    """One row per school (in name order): all-students level per metric and overall score."""
    metric_ids = results.metric_ids
    lagging_by_school: dict[str, list[str]] = defaultdict(list)
    for flag in lagging:
        lagging_by_school[flag.school_id].append(flag.metric_id)
    schools = results.schools.iloc[rows]
    overall = hundredths(results.overall_score[rows, y])
    overall_level = results.overall_level[rows, y].tolist()
    designations = _designations(results, rows, y)
    levels = results.all_level[rows, y].tolist()
    return tuple(
        SchoolRow(
            school_id=school_id,
            school_name=name,
            school_type=school_type,
            designation=designations[i],
            levels={m: (lv or None) for m, lv in zip(metric_ids, levels[i], strict=True)},
            overall_score=overall[i],
            overall_level=overall_level[i] or None,
            lagging_metrics=tuple(lagging_by_school.get(school_id, ())),
        )
        for i, (school_id, name, school_type) in enumerate(
            zip(schools["school_id"], schools["school_name"], schools["school_type"], strict=True)
        )
    )


def _designations(results: IndexResults, rows: Ints, y: int) -> list[str | None]:
    if results.designation is None:
        return [None] * len(rows)
    return [DESIGNATIONS[c] if c >= 0 else None for c in results.designation[rows, y].tolist()]


class _District:
    """A district's arrays for one year, as nested Python lists (indexed [school][metric]...)."""

    def __init__(self, results: IndexResults, rows: Ints, y: int, trend: list[int]) -> None:
        self.n = results.n[rows, y].tolist()
        self.value = results.value[rows, y].tolist()
        self.level = results.level[rows, y].tolist()
        self.reportable = results.reportable[rows, y].tolist()
        self.lowest = results.lowest_race[rows, y].tolist()
        self.all_level = results.all_level[rows, y].tolist()
        self.applies = results.applies[rows].tolist()
        self.trend = results.all_level[rows][:, trend, :].transpose(0, 2, 1).tolist()
        shape = results.score[rows, y].shape
        self.score = _grid(hundredths(results.score[rows, y].ravel()), shape)
        self.points = _grid(hundredths(results.points[rows, y].ravel()), shape)
        self.possible = _grid(hundredths(results.possible[rows, y].ravel()), shape)
        d_shape = results.domain_points[rows, y].shape
        self.domain_points = _grid(hundredths(results.domain_points[rows, y].ravel()), d_shape)
        self.domain_possible = _grid(hundredths(results.domain_possible[rows, y].ravel()), d_shape)
        self.overall = hundredths(results.overall_score[rows, y])
        self.overall_level = results.overall_level[rows, y].tolist()
        self.designations = _designations(results, rows, y)


def _grid(flat: Hundredths, shape: tuple[int, ...]) -> list[Hundredths]:
    width = shape[1]
    return [flat[i * width : (i + 1) * width] for i in range(shape[0])]


def school_details(
    results: IndexResults, rows: Ints, y: int, trend: list[int]
) -> tuple[SchoolDetail, ...]:
    """The drill-down of every school in `rows` for year `y`, with trend years `trend`."""
    spec = results.spec
    data = _District(results, rows, y, trend)
    schools = results.schools.iloc[rows]
    builder = _GroupBuilder(spec)
    details = []
    for i, (school_id, name, school_type) in enumerate(
        zip(schools["school_id"], schools["school_name"], schools["school_type"], strict=True)
    ):
        metrics = tuple(
            _school_metric(spec, data, builder, i, m, school_type) for m in range(len(spec.metrics))
        )
        details.append(
            SchoolDetail(
                school_id=school_id,
                school_name=name,
                school_type=school_type,
                designation=data.designations[i],
                overall_score=data.overall[i],
                overall_level=data.overall_level[i] or None,
                domains=_domain_scores(spec, data, i),
                metrics=metrics,
            )
        )
    return tuple(details)


def _domain_scores(spec: IndexSpec, data: _District, i: int) -> tuple[DomainScore, ...]:
    return tuple(
        DomainScore(
            domain_id=domain.id,
            name=domain.name,
            weight=domain.weight,
            points=data.domain_points[i][d],
            possible=data.domain_possible[i][d],
        )
        for d, domain in enumerate(spec.domains)
    )


def _school_metric(
    spec: IndexSpec, data: _District, builder: _GroupBuilder, i: int, m: int, school_type: str
) -> SchoolMetric:
    metric = spec.metrics[m]
    lowest = data.lowest[i][m]
    return SchoolMetric(
        metric_id=metric.id,
        name=metric.name,
        domain_id=metric.domain,
        applies=data.applies[i][m],
        counts=metric.counts,
        level=data.all_level[i][m] or None,
        score=data.score[i][m],
        points=data.points[i][m],
        possible=data.possible[i][m],
        lowest_race_group=builder.ids[lowest] if lowest >= 0 else None,
        trend=tuple(level or None for level in data.trend[i][m]),
        note=_metric_note(spec, metric, data.applies[i][m], school_type, data.all_level[i][m]),
        groups=builder.groups(data, i, m),
    )


def _metric_note(
    spec: IndexSpec,
    metric: Metric,
    applies: bool,
    school_type: str,
    all_level: int,
) -> str | None:
    if not applies:
        return f"does not apply to {school_type} schools"
    if all_level == 0:
        return f"not scored: all students below the n-size of {spec.n_size} or not reported"
    if not metric.counts:
        return f"measured, but does not count toward points in {spec.school_year}"
    return None


class _GroupBuilder:
    """Makes the group rows of one school's metric; the fixed texts are worked out once."""

    def __init__(self, spec: IndexSpec) -> None:
        self.spec = spec
        self.ids = spec.group_ids
        self.names = [spec.group_name(g) for g in spec.group_ids]
        self.is_all = [g == ALL_STUDENTS for g in spec.group_ids]
        self.is_race = [g in RACE_GROUPS for g in spec.group_ids]
        self.in_categories = [g in spec.subgroup_categories for g in spec.group_ids]
        self.race_counts = LOWEST_RACE in spec.subgroup_categories

    def groups(self, data: _District, i: int, m: int) -> tuple[GroupResult, ...]:
        spec = self.spec
        with_subgroups = spec.metrics[m].subgroups
        n_row, value_row, level_row = data.n[i][m], data.value[i][m], data.level[i][m]
        ok_row, lowest = data.reportable[i][m], data.lowest[i][m]
        found = []
        for g, n in enumerate(n_row):
            if n < 0:
                continue  # no row for this group in the data
            if not ok_row[g]:
                note: Note = f"suppressed: n = {n} is below the n-size of {spec.n_size}"
                found.append(self._row(g, n, None, None, False, note))
                continue
            counted, note = self._use(g, with_subgroups, g == lowest)
            found.append(self._row(g, n, value_row[g], level_row[g], counted, note))
        return tuple(found)

    def _use(self, g: int, with_subgroups: bool, is_lowest: bool) -> tuple[bool, str | None]:
        if self.is_all[g]:
            return True, None
        if not with_subgroups:
            return False, "not counted: this metric counts all students only"
        if self.is_race[g]:
            if is_lowest:
                return self.race_counts, "lowest-performing racial/ethnic group on this metric"
            return False, None
        return self.in_categories[g], None

    def _row(
        self,
        g: int,
        n: int,
        value: float | None,
        level: int | None,
        counted: bool,
        note: str | None,
    ) -> GroupResult:
        return GroupResult(
            group_id=self.ids[g],
            group_name=self.names[g],
            n=n,
            value=value,
            level=level,
            counted=counted,
            note=note,
        )
