"""Index specifications: the versioned settings that turn school results into index levels.

A spec lives in `index_specs/<spec-id>/<version>.yaml` and, like a rubric, never changes once
published (see `review.index.catalogue`). Every number the sources do not state is a setting
here, and the model that holds it lists its name under `illustrative`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from review.errors import NotFound, ReviewError
from review.index.vocabulary import (
    ALL_STUDENTS,
    GROUPS,
    LOWEST_RACE,
    METRICS,
    RACE_GROUPS,
    SCHOOL_TYPES,
    SUBGROUPS,
    is_school_year,
)

LEVELS = tuple(range(1, 11))
CUT_POINTS = 9  # nine cut points give levels 1-10


class SpecError(ReviewError):
    """An index spec file is malformed, or a published version was changed."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Illustrated(_Frozen):
    """A part of a spec whose `illustrative` list names the fields no source states."""

    illustrative: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _known_fields(self) -> _Illustrated:
        fields = set(type(self).model_fields) - {"illustrative"}
        for name in self.illustrative:
            if name not in fields:
                raise ValueError(f"illustrative: {name!r} is not a field here ({sorted(fields)})")
        return self


class Domain(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    weight: Decimal = Field(gt=0)


class Group(_Frozen):
    id: str
    name: str = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in GROUPS:
            raise ValueError(f"unknown group {value!r} (known: {', '.join(GROUPS)})")
        return value


class Metric(_Illustrated):
    id: str
    name: str = Field(min_length=1)
    domain: str
    better: Literal["higher", "lower"]
    school_types: tuple[str, ...] = Field(min_length=1)
    counts: bool
    weight: Decimal = Field(gt=0)
    subgroups: bool = True
    cut_points: tuple[float, ...]

    @field_validator("id")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in METRICS:
            raise ValueError(f"unknown metric {value!r} (known: {', '.join(METRICS)})")
        return value

    @field_validator("school_types")
    @classmethod
    def _known_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for school_type in value:
            if school_type not in SCHOOL_TYPES:
                raise ValueError(f"unknown school type {school_type!r} ({', '.join(SCHOOL_TYPES)})")
        return value

    @model_validator(mode="after")
    def _ordered_cut_points(self) -> Metric:
        cuts = self.cut_points
        if len(cuts) != CUT_POINTS:
            raise ValueError(f"cut_points: needs {CUT_POINTS} values, has {len(cuts)}")
        rising = all(a < b for a, b in zip(cuts, cuts[1:], strict=False))
        falling = all(a > b for a, b in zip(cuts, cuts[1:], strict=False))
        if self.better == "higher" and not rising:
            raise ValueError("cut_points: higher is better, so they must rise from level 2 to 10")
        if self.better == "lower" and not falling:
            raise ValueError("cut_points: lower is better, so they must fall from level 2 to 10")
        return self

    def applies_to(self, school_type: str) -> bool:
        return school_type in self.school_types


class GroupShares(_Illustrated):
    """How a metric's points are shared between all students and the subgroup categories."""

    all_students: Decimal = Field(ge=0)
    subgroups: Decimal = Field(ge=0)

    @model_validator(mode="after")
    def _some_share(self) -> GroupShares:
        if self.all_students + self.subgroups <= 0:
            raise ValueError("all_students and subgroups cannot both be 0")
        return self


class LowestRaceRule(_Illustrated):
    """Which racial/ethnic group stands in for all of them on a metric (the worst value).

    `among`: `reportable` picks among groups at or above the n-size; `all` picks among every
    group with a result, and a pick below the n-size is then suppressed like any group.
    """

    among: Literal["reportable", "all"]


class Band(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=1)
    low: int = Field(ge=1, le=10)
    high: int = Field(ge=1, le=10)


class LaggingRule(_Illustrated):
    """When a school "lags dramatically" on a metric (domain.md §5.1): either test suffices."""

    at_or_below_level: int | None = Field(default=None, ge=1, le=10)
    levels_below_network_median: int | None = Field(default=None, ge=1, le=9)


class IndexSpec(_Illustrated):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    title: str = Field(min_length=1)
    school_year: str
    notes: str = ""
    n_size: int = Field(ge=1)
    groups: tuple[Group, ...] = Field(min_length=1)
    subgroup_categories: tuple[str, ...]
    lowest_race_group: LowestRaceRule
    group_shares: GroupShares
    domains: tuple[Domain, ...] = Field(min_length=1)
    metrics: tuple[Metric, ...] = Field(min_length=1)
    unreported_metric: Literal["redistribute", "forfeit"]
    overall_cut_points: tuple[float, ...]
    bands: tuple[Band, ...] = Field(min_length=1)
    lagging: LaggingRule

    @field_validator("school_year")
    @classmethod
    def _year(cls, value: str) -> str:
        if not is_school_year(value):
            raise ValueError(f"{value!r} is not a school year such as 2015-16")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> IndexSpec:
        _check_groups(self)
        _check_domains_and_metrics(self)
        _check_bands(self.bands)
        cuts = self.overall_cut_points
        if len(cuts) != CUT_POINTS or not all(a < b for a, b in zip(cuts, cuts[1:], strict=False)):
            raise ValueError(f"overall_cut_points: needs {CUT_POINTS} rising values")
        return self

    @property
    def key(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def group_ids(self) -> tuple[str, ...]:
        return tuple(g.id for g in self.groups)

    @property
    def race_group_ids(self) -> tuple[str, ...]:
        return tuple(g for g in self.group_ids if g in RACE_GROUPS)

    def metric(self, metric_id: str) -> Metric:
        for metric in self.metrics:
            if metric.id == metric_id:
                return metric
        raise NotFound(f"index spec {self.key} has no metric {metric_id}")

    def group_name(self, group_id: str) -> str:
        if group_id == LOWEST_RACE:
            return "Lowest-performing racial/ethnic group"
        return next((g.name for g in self.groups if g.id == group_id), group_id)

    def band_of(self, level: int | None) -> Band | None:
        """The band a level falls in, or None for no level."""
        if level is None:
            return None
        return next((b for b in self.bands if b.low <= level <= b.high), None)

    def illustrative_fields(self) -> list[str]:
        """Every setting no source states, as dotted paths (e.g. ``metrics.graduation.weight``)."""
        paths = list(self.illustrative)
        for name in ("group_shares", "lowest_race_group", "lagging"):
            part: _Illustrated = getattr(self, name)
            paths += [f"{name}.{field}" for field in part.illustrative]
        for metric in self.metrics:
            paths += [f"metrics.{metric.id}.{field}" for field in metric.illustrative]
        return paths


def _check_groups(spec: IndexSpec) -> None:
    ids = spec.group_ids
    if len(set(ids)) != len(ids):
        raise ValueError("groups: a group is listed twice")
    if ALL_STUDENTS not in ids:
        raise ValueError(f"groups: the all-students group {ALL_STUDENTS!r} is required")
    allowed = {LOWEST_RACE, *SUBGROUPS}
    for category in spec.subgroup_categories:
        if category not in allowed:
            raise ValueError(f"subgroup_categories: unknown {category!r} ({sorted(allowed)})")
        if category == LOWEST_RACE and not spec.race_group_ids:
            raise ValueError("subgroup_categories: lowest_race needs at least one race group")
        if category != LOWEST_RACE and category not in ids:
            raise ValueError(f"subgroup_categories: {category!r} is not in groups")


def _check_domains_and_metrics(spec: IndexSpec) -> None:
    domain_ids = [d.id for d in spec.domains]
    if len(set(domain_ids)) != len(domain_ids):
        raise ValueError("domains: a domain is listed twice")
    total = sum((d.weight for d in spec.domains), Decimal(0))
    if total != 100:
        raise ValueError(f"domains: weights must add up to 100, they add up to {total}")
    metric_ids = [m.id for m in spec.metrics]
    if len(set(metric_ids)) != len(metric_ids):
        raise ValueError("metrics: a metric is listed twice")
    for metric in spec.metrics:
        if metric.domain not in domain_ids:
            raise ValueError(f"metric {metric.id}: domain {metric.domain!r} is not declared")
    for domain_id in domain_ids:
        if not any(m.domain == domain_id for m in spec.metrics):
            raise ValueError(f"domain {domain_id}: no metric belongs to it")


def _check_bands(bands: tuple[Band, ...]) -> None:
    covered = [level for band in bands for level in range(band.low, band.high + 1)]
    if sorted(covered) != list(LEVELS):
        raise ValueError("bands: must cover levels 1-10 once each, without gaps or overlaps")
