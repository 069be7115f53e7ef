"""The district summary as frozen models: what the app, the command line and packets show.

`None` always means "no result" (not reported, suppressed, or not applicable; a `note` says
which), never zero. Points and scores are `Decimal` hundredths; median levels may end in .5.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BandCount(_Frozen):
    band_id: str
    name: str
    low: int
    high: int
    schools: int


class MetricSummary(_Frozen):
    """One metric across a district's schools (all-students levels)."""

    metric_id: str
    name: str
    domain_id: str
    domain_name: str
    counts: bool  # counts toward points this year
    better: str  # "higher" or "lower"
    schools_applicable: int
    schools_with_level: int
    bands: tuple[BandCount, ...]
    median_level: Decimal | None
    network_median_level: Decimal | None
    illustrative_cut_points: bool


class GroupGap(_Frozen):
    """How far a group's level sits below all students' level, across a district's schools."""

    metric_id: str
    group_id: str  # a group id, or "lowest_race" for each school's lowest racial/ethnic group
    group_name: str
    schools: int  # schools where both the group and all students are reportable
    median_gap: Decimal | None  # all-students level minus group level; None when no school
    median_group_level: Decimal | None


class TrendPoint(_Frozen):
    metric_id: str
    year: str
    schools_with_level: int
    median_level: Decimal | None
    above_average: int  # schools in the top band
    below_average: int  # schools in the bottom band


class LaggingFlag(_Frozen):
    """A school that lags dramatically on a metric (Fresno's red light)."""

    school_id: str
    school_name: str
    metric_id: str
    metric_name: str
    level: int
    network_median_level: Decimal
    reasons: tuple[str, ...]


class SchoolRow(_Frozen):
    school_id: str
    school_name: str
    school_type: str
    designation: str | None
    levels: dict[str, int | None]  # metric id -> all-students level this year
    overall_score: Decimal | None
    overall_level: int | None
    lagging_metrics: tuple[str, ...]


class GroupResult(_Frozen):
    group_id: str
    group_name: str
    n: int
    value: float | None  # None when suppressed
    level: int | None  # None when suppressed
    counted: bool  # used in the metric's score
    note: str | None


class SchoolMetric(_Frozen):
    metric_id: str
    name: str
    domain_id: str
    applies: bool
    counts: bool
    level: int | None  # all students
    score: Decimal | None  # 1-10, all students blended with subgroups
    points: Decimal | None
    possible: Decimal | None
    lowest_race_group: str | None
    trend: tuple[int | None, ...]  # all-students level in each trend year
    note: str | None
    groups: tuple[GroupResult, ...]


class DomainScore(_Frozen):
    domain_id: str
    name: str
    weight: Decimal
    points: Decimal | None
    possible: Decimal | None


class SchoolDetail(_Frozen):
    school_id: str
    school_name: str
    school_type: str
    designation: str | None
    overall_score: Decimal | None
    overall_level: int | None
    domains: tuple[DomainScore, ...]
    metrics: tuple[SchoolMetric, ...]


class DistrictSummary(_Frozen):
    """A district's index summary for one school year, with trends over up to three years."""

    spec_key: str
    spec_title: str
    district_id: str
    year: str
    trend_years: tuple[str, ...]
    school_count: int
    designations: dict[str, int] | None  # None when the data carries no designations
    metrics: tuple[MetricSummary, ...]
    group_gaps: tuple[GroupGap, ...]
    trends: tuple[TrendPoint, ...]
    lagging: tuple[LaggingFlag, ...]
    schools: tuple[SchoolRow, ...]
    details: tuple[SchoolDetail, ...]
    notes: tuple[str, ...]

    def detail(self, school_id: str) -> SchoolDetail | None:
        return next((d for d in self.details if d.school_id == school_id), None)


class SchoolCounts(_Frozen):
    """A district's schools and designated schools in one school year of a cycle's index data.

    Counted from the imported rows, never typed in: a district the data does not cover has no
    `SchoolCounts` at all ("not imported"), never zeros.
    """

    district_id: str
    year: str
    schools: int
    designations: dict[str, int] | None  # by DESIGNATIONS; None when the data carries none

    def designated(self, name: str) -> int | None:
        """Schools designated `name` (priority, focus or reward); None when not imported."""
        return None if self.designations is None else self.designations[name]
