"""Index computation: levels per metric and group, suppression, points, domain and overall scores.

The results of a network are held as dense numpy arrays indexed by (school, year, metric,
group), so every rule is one array operation however many schools there are. Missing results
are NaN (values), -1 (n) or 0 (levels); the summary turns them into `None`.

Scores are floats here, for speed over millions of rows; `review.index.summary` rounds them to
`Decimal` hundredths where people read them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pandas as pd

from review.errors import InvalidInput
from review.index._axes import Axes
from review.index.importer import check_results
from review.index.spec import IndexSpec
from review.index.vocabulary import ALL_STUDENTS, LOWEST_RACE

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Small = npt.NDArray[np.int8]


@dataclass(frozen=True, eq=False)
class IndexResults:
    """Everything computed for a network of schools under one spec, over all years in the data.

    Axes: `s` schools (rows of `schools`), `y` years, `m` the spec's metrics in spec order,
    `g` the spec's groups in spec order, `c` the spec's subgroup categories, `d` its domains.
    """

    spec: IndexSpec
    schools: pd.DataFrame  # school_id, school_name, district_id, school_type (one row per s)
    years: tuple[str, ...]
    n: npt.NDArray[np.int32]  # (s, y, m, g); -1 where the data has no row
    value: Floats  # (s, y, m, g); NaN where the data has no row
    level: Small  # (s, y, m, g); 0 where the data has no row
    reportable: Bools  # (s, y, m, g); n at or above the n-size
    lowest_race: Small  # (s, y, m); group index of the lowest racial/ethnic group, or -1
    category_level: Small  # (s, y, m, c); level counted for each subgroup category, 0 if none
    score: Floats  # (s, y, m); metric score 1-10 blending all students and subgroups; NaN
    points: Floats  # (s, y, m); points earned; NaN where the metric earns none
    possible: Floats  # (s, y, m); points the metric is worth for the school; NaN likewise
    domain_points: Floats  # (s, y, d); NaN where the domain earns nothing
    domain_possible: Floats  # (s, y, d)
    overall_score: Floats  # (s, y); out of 100; NaN where nothing is scored
    overall_level: Small  # (s, y); 0 where there is no overall score
    designation: Small | None  # (s, y); index into DESIGNATIONS, -1 none; None: not in data
    applies: Bools  # (s, m); whether each metric applies to each school's type

    @property
    def metric_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.spec.metrics)

    @property
    def group_ids(self) -> tuple[str, ...]:
        return self.spec.group_ids

    @cached_property
    def all_level(self) -> Small:
        """(s, y, m): the all-students level where reportable and applicable, else 0."""
        g = self.group_ids.index(ALL_STUDENTS)
        keep = self.reportable[..., g] & self.applies[:, None, :]
        return np.where(keep, self.level[..., g], 0).astype(np.int8)

    @cached_property
    def network_median(self) -> Floats:
        """(y, m): median all-students level over every school of the network; NaN if none."""
        levels = np.where(self.all_level > 0, self.all_level, np.nan)
        with np.errstate(all="ignore"):
            result: Floats = _nanmedian(levels, axis=0)
        return result

    def year_index(self, year: str) -> int:
        """Position of `year` on the year axis.

        Raises:
            InvalidInput: the data has no results for that year.
        """
        if year not in self.years:
            raise InvalidInput(
                f"the data has no results for {year} (years in the data: "
                f"{', '.join(self.years) or 'none'})"
            )
        return self.years.index(year)

    def district_rows(self, district_id: str) -> Ints:
        """Positions on the school axis of the district's schools, in school-name order."""
        schools = self.schools
        rows = np.flatnonzero((schools["district_id"] == district_id).to_numpy())
        names = schools["school_name"].to_numpy()[rows].astype(str)
        return rows[np.argsort(names, kind="stable")]


def compute_index(frame: pd.DataFrame, spec: IndexSpec) -> IndexResults:
    """Compute levels, points and scores for every school and year in a validated frame.

    Args:
        frame: results in the import format, as returned by `review.index.importer`; any
            other frame in that format is validated with `check_results` first.
        spec: the index specification to apply; its cut points apply to every year.

    Returns:
        The network's results; metrics and groups outside the spec are ignored.

    Raises:
        ImportProblems: a frame that had to be validated is not valid.
    """
    if not _is_validated(frame):
        frame = check_results(frame)
    axes = Axes.of(frame, spec)
    n, value = axes.scatter(frame)
    level = _levels(value, spec)
    reportable = (n >= spec.n_size) & (n >= 0)
    lowest = _lowest_race(value, reportable, spec)
    category_level = _category_levels(level, reportable, lowest, spec)
    score = _scores(level, reportable, category_level, spec)
    applies = np.stack([np.isin(axes.school_types, m.school_types) for m in spec.metrics], axis=1)
    points, possible = _points(score, applies, spec)
    domain_points, domain_possible = _domains(points, possible, spec)
    overall = _overall(domain_points, domain_possible)
    return IndexResults(
        spec=spec,
        schools=axes.schools,
        years=axes.years,
        n=n,
        value=value,
        level=level,
        reportable=reportable,
        lowest_race=lowest,
        category_level=category_level,
        score=score,
        points=points,
        possible=possible,
        domain_points=domain_points,
        domain_possible=domain_possible,
        overall_score=overall,
        overall_level=_to_levels(overall, np.array(spec.overall_cut_points), 1),
        designation=axes.designations(frame),
        applies=applies,
    )


def _is_validated(frame: pd.DataFrame) -> bool:
    """Whether the frame has the importer's dtypes (so codes can be used as they are)."""
    text = ["school_id", "school_name", "district_id", "school_type", "year", "metric", "group"]
    if "designation" in frame.columns:
        text.append("designation")
    return all(
        column in frame.columns and isinstance(frame[column].dtype, pd.CategoricalDtype)
        for column in text
    ) and all(pd.api.types.is_numeric_dtype(frame[c]) for c in ("n", "value"))


def _to_levels(values: Floats, cuts: Floats, sign: int) -> Small:
    """Level 1-10 of each value against nine cut points; 0 where the value is NaN.

    A value exactly at a cut point reaches the higher level. For lower-is-better metrics
    (`sign` -1) the cut points fall, and at or below a cut point reaches the higher level.
    """
    # Rounding first keeps float noise (44.99999999999 from a percentage cell) off a cut point.
    flat = np.round(values.ravel() * sign, 9)
    levels = np.searchsorted(np.asarray(cuts) * sign, flat, side="right") + 1
    levels[np.isnan(flat)] = 0
    return levels.astype(np.int8).reshape(values.shape)


def _levels(value: Floats, spec: IndexSpec) -> Small:
    level = np.zeros(value.shape, dtype=np.int8)
    for m, metric in enumerate(spec.metrics):
        sign = 1 if metric.better == "higher" else -1
        level[:, :, m, :] = _to_levels(value[:, :, m, :], np.array(metric.cut_points), sign)
    return level


def _lowest_race(value: Floats, reportable: Bools, spec: IndexSpec) -> Small:
    """(s, y, m): the racial/ethnic group with the worst value; ties go to the first listed."""
    race = [spec.group_ids.index(g) for g in spec.race_group_ids]
    shape = value.shape[:3]
    if not race:
        return np.full(shape, -1, dtype=np.int8)
    sign = np.array([1.0 if m.better == "higher" else -1.0 for m in spec.metrics])
    worst_first = value[..., race] * sign[None, None, :, None]
    candidates = ~np.isnan(worst_first)
    if spec.lowest_race_group.among == "reportable":
        candidates &= reportable[..., race]
    ranked = np.where(candidates, worst_first, np.inf)
    pick = np.argmin(ranked, axis=-1)
    found = candidates.any(axis=-1)
    return np.where(found, np.array(race)[pick], -1).astype(np.int8)


def _category_levels(level: Small, reportable: Bools, lowest: Small, spec: IndexSpec) -> Small:
    """(s, y, m, c): the level each subgroup category counts with, 0 where it does not count."""
    counted = np.where(reportable, level, 0).astype(np.int8)
    result = np.zeros((*level.shape[:3], len(spec.subgroup_categories)), dtype=np.int8)
    for c, category in enumerate(spec.subgroup_categories):
        if category == LOWEST_RACE:
            picked = np.take_along_axis(counted, np.maximum(lowest, 0)[..., None], axis=-1)
            result[..., c] = np.where(lowest >= 0, picked[..., 0], 0)
        else:
            result[..., c] = counted[..., spec.group_ids.index(category)]
    with_subgroups = np.array([m.subgroups for m in spec.metrics])
    result[:, :, ~with_subgroups, :] = 0
    return result


def _scores(level: Small, reportable: Bools, category_level: Small, spec: IndexSpec) -> Floats:
    """(s, y, m): all-students level blended with the mean counted subgroup level.

    With no counted subgroup the all-students level stands alone; with no reportable
    all-students result the metric has no score.
    """
    g = spec.group_ids.index(ALL_STUDENTS)
    all_level = np.where(reportable[..., g], level[..., g], 0).astype(np.float64)
    counted = category_level > 0
    count = counted.sum(axis=-1)
    total = category_level.sum(axis=-1, dtype=np.float64)
    share_all = float(spec.group_shares.all_students)
    share_sub = float(spec.group_shares.subgroups)
    with np.errstate(invalid="ignore", divide="ignore"):
        blended = (share_all * all_level + share_sub * total / count) / (share_all + share_sub)
    score = np.where(count > 0, blended, all_level)
    if share_all == 0:  # subgroups only: with none counted the metric is not scored
        score = np.where(count > 0, score, np.nan)
    return np.where(all_level > 0, score, np.nan)


def _points(score: Floats, applies: Bools, spec: IndexSpec) -> tuple[Floats, Floats]:
    """(s, y, m) points earned and possible: each domain's weight shared by metric weight."""
    counts = np.array([m.counts for m in spec.metrics])
    eligible = applies[:, None, :] & counts[None, None, :]
    scored = eligible & ~np.isnan(score)
    sharing = scored if spec.unreported_metric == "redistribute" else eligible
    weight = np.array([float(m.weight) for m in spec.metrics])
    possible = np.full(score.shape, np.nan)
    for domain in spec.domains:
        in_domain = np.array([m.domain == domain.id for m in spec.metrics])
        shares = np.where(sharing & in_domain, weight, 0.0)
        total = shares.sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            worth = float(domain.weight) * shares / total
        possible = np.where(sharing & in_domain, worth, possible)
    points = np.where(scored, possible * score / 10, np.where(sharing, 0.0, np.nan))
    return points, possible


def _domains(points: Floats, possible: Floats, spec: IndexSpec) -> tuple[Floats, Floats]:
    shape = (*points.shape[:2], len(spec.domains))
    domain_points = np.full(shape, np.nan)
    domain_possible = np.full(shape, np.nan)
    for d, domain in enumerate(spec.domains):
        in_domain = np.array([m.domain == domain.id for m in spec.metrics])
        has = (~np.isnan(possible[..., in_domain])).any(axis=-1)
        domain_points[..., d] = np.where(has, np.nansum(points[..., in_domain], axis=-1), np.nan)
        domain_possible[..., d] = np.where(has, float(domain.weight), np.nan)
    return domain_points, domain_possible


def _overall(domain_points: Floats, domain_possible: Floats) -> Floats:
    """Out of 100: the domains a school is scored on, scaled up to their full weight."""
    earned = np.nansum(domain_points, axis=-1)
    possible = np.nansum(domain_possible, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        overall: Floats = np.where(possible > 0, earned / possible * 100, np.nan)
    return overall


def _nanmedian(values: Floats, axis: int) -> Floats:
    """Median ignoring NaN, NaN where a slice has none (without numpy's all-NaN warning)."""
    if values.shape[axis] == 0:
        shape = tuple(s for i, s in enumerate(values.shape) if i != axis)
        return np.full(shape, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result: Floats = np.nanmedian(values, axis=axis)
    return result
