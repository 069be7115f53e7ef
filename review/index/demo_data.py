"""Synthetic school results for the demo network: plausible, seeded, and clearly not real.

Every school gets a latent quality that moves a little from year to year; each metric and
student group is that quality plus a group offset and noise, put on the metric's usual scale.
Group sizes follow the school's enrollment, so small groups fall below the n-size as they do
in real data. None of these numbers describes a real school.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from review.index.vocabulary import DESIGNATIONS, GROUPS, METRICS, SCHOOL_TYPES

Floats = npt.NDArray[np.float64]

# metric: (mean, spread per unit of quality, +1 if higher is better else -1, share of the
# school's students the metric counts, school types it is reported for)
_METRIC_SHAPE: dict[str, tuple[float, float, int, float, tuple[str, ...]]] = {
    "academic_performance": (38.0, 15.0, 1, 0.55, SCHOOL_TYPES),
    "academic_growth": (50.0, 16.0, 1, 0.45, ("elementary", "middle")),
    "graduation": (82.0, 8.0, 1, 0.24, ("high",)),
    "hs_readiness": (45.0, 12.0, 1, 0.33, ("middle",)),
    "el_redesignation": (15.0, 6.0, 1, 1.0, SCHOOL_TYPES),
    "chronic_absence": (11.0, 5.0, -1, 1.0, SCHOOL_TYPES),
    "suspension_expulsion": (4.0, 2.5, -1, 1.0, SCHOOL_TYPES),
    "sel_skills": (70.0, 6.0, 1, 0.6, SCHOOL_TYPES),
    "culture_climate": (70.0, 6.0, 1, 0.6, SCHOOL_TYPES),
}
# group: (typical share of a school's students, offset in units of quality)
_GROUP_SHAPE: dict[str, tuple[float, float]] = {
    "all": (1.0, 0.0),
    "el": (0.25, -0.6),
    "swd": (0.11, -1.0),
    "sed": (0.70, -0.3),
    "race_african_american": (0.10, -0.6),
    "race_american_indian": (0.006, -0.4),
    "race_asian": (0.10, 0.5),
    "race_filipino": (0.03, 0.3),
    "race_hispanic": (0.55, -0.3),
    "race_pacific_islander": (0.006, -0.3),
    "race_white": (0.12, 0.4),
    "race_two_or_more": (0.04, 0.1),
}
_TYPE_SHARE = (0.6, 0.2, 0.2)  # elementary, middle, high
_TYPE_SIZE = (450.0, 800.0, 1500.0)
_NAMES = (
    "Lincoln", "Washington", "Jefferson", "Roosevelt", "Cesar Chavez", "Madison", "Franklin",
    "Kennedy", "King", "Garfield", "Hoover", "Muir", "Edison", "Wilson", "Grant", "Monroe",
    "Adams", "Sequoia", "Redwood", "Valley View", "Hillcrest", "Lakeside", "Parkside", "Sunset",
    "Bayview", "Mission", "Oak Grove", "Pioneer", "Vista", "Harbor", "Dolores Huerta", "Sierra",
    "Del Mar", "Las Palmas", "Rosa Parks", "Marshall", "Juniper", "Cypress", "Orchard", "Cabrillo",
)  # fmt: skip
_NAME_SUFFIX = ("", " Park", " Heights", " Hills", " Grove", " Creek", " Ridge", " Meadows")


@dataclass(frozen=True)
class _Schools:
    ids: list[str]
    names: list[str]
    district: npt.NDArray[np.int64]
    school_type: npt.NDArray[np.int64]
    size: Floats
    quality: Floats
    designation: list[str | None]


def generate_results(
    districts: Sequence[tuple[str, int]],
    years: Sequence[str],
    seed: int,
    *,
    students_per_school: int = 1250,
    complete: bool = False,
) -> pd.DataFrame:
    """Synthetic results in the import format (plus `designation`), the same for the same seed.

    Args:
        districts: (district code, enrollment) pairs; a district gets one school per
            `students_per_school` students, and at least 5.
        years: school years such as ``2015-16``, oldest first.
        seed: seed of the random generator.
        students_per_school: students per school when sizing each district.
        complete: every metric and group for every school (for benchmarks), instead of only
            the metrics a school type reports and the groups it has students in.

    Returns:
        One row per school, year, metric and group, with categorical text columns.
    """
    rng = np.random.default_rng(seed)
    schools = _make_schools(districts, students_per_school, rng)
    n, value = _make_cube(schools, len(years), rng)
    keep = np.ones(n.shape, dtype=bool) if complete else _reported(schools, n)
    return _to_frame(schools, [code for code, _ in districts], list(years), n, value, keep)


def _make_schools(
    districts: Sequence[tuple[str, int]], students_per_school: int, rng: np.random.Generator
) -> _Schools:
    counts = [max(5, round(enrollment / students_per_school)) for _, enrollment in districts]
    district = np.repeat(np.arange(len(districts)), counts)
    school_type = rng.choice(len(SCHOOL_TYPES), size=len(district), p=_TYPE_SHARE)
    size = np.array(_TYPE_SIZE)[school_type] * rng.lognormal(0.0, 0.35, len(district))
    offsets = rng.normal(0.0, 0.3, len(districts))
    quality = rng.normal(0.0, 1.0, len(district)) + offsets[district]
    ids, names = [], []
    for code, count in zip((c for c, _ in districts), counts, strict=True):
        ids += [f"{code}-{i + 1:04d}" for i in range(count)]
    for index, (d, t) in enumerate(zip(district, school_type, strict=True)):
        local = index - int(np.searchsorted(district, d))
        base = _NAMES[local % len(_NAMES)] + _NAME_SUFFIX[(local // len(_NAMES)) % 8]
        round_ = local // (len(_NAMES) * len(_NAME_SUFFIX))
        names.append(f"{base} {SCHOOL_TYPES[t].title()}" + (f" {round_ + 1}" if round_ else ""))
    return _Schools(ids, names, district, school_type, size, quality, _designate(quality, rng))


def _designate(quality: Floats, rng: np.random.Generator) -> list[str | None]:
    """About 5% priority (lowest), 8% focus (next lowest, at random) and 5% reward (highest)."""
    rank = np.argsort(np.argsort(quality + rng.normal(0.0, 0.2, len(quality))))
    share = rank / max(len(quality) - 1, 1)
    focus = (share >= 0.05) & (share < 0.25) & (rng.random(len(quality)) < 0.4)
    return [
        "priority" if s < 0.05 else "reward" if s >= 0.95 else "focus" if f else None
        for s, f in zip(share, focus, strict=True)
    ]


def _make_cube(
    schools: _Schools, years: int, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int64], Floats]:
    """n and value for every (school, year, metric, group), before dropping what is not reported."""
    shape = (len(schools.ids), years, len(METRICS), len(GROUPS))
    mean, spread, sign, coverage = (
        np.array([_METRIC_SHAPE[m][i] for m in METRICS], dtype=np.float64) for i in range(4)
    )
    share, offset = (np.array([_GROUP_SHAPE[g][i] for g in GROUPS]) for i in range(2))
    school_share = share * rng.lognormal(0.0, 0.5, (shape[0], 1, 1, len(GROUPS)))
    school_share[..., 0] = 1.0
    el_only = np.array([m == "el_redesignation" for m in METRICS])
    # EL redesignation counts English learners, so its "all students" are the school's ELs.
    coverage_all = np.where(el_only, school_share[:, :, :, 1], coverage[None, None, :])
    students = schools.size[:, None, None, None] * coverage_all[..., None] * school_share
    n = np.rint(students * rng.uniform(0.9, 1.1, shape)).astype(np.int64)
    trend = np.arange(years) * 0.08 + rng.normal(0.0, 0.15, (shape[0], years))
    quality = schools.quality[:, None] + trend
    z = quality[:, :, None, None] + offset + rng.normal(0.0, 0.3, shape)
    value = mean[:, None] + (sign * spread)[:, None] * z
    return n, np.round(np.clip(value, 0.0, 100.0), 1)


def _reported(schools: _Schools, n: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    applies = np.array(
        [[SCHOOL_TYPES[t] in _METRIC_SHAPE[m][4] for m in METRICS] for t in range(3)]
    )[schools.school_type]
    groups_allowed = np.ones((len(METRICS), len(GROUPS)), dtype=bool)
    groups_allowed[METRICS.index("el_redesignation"), 1:] = False
    keep: npt.NDArray[np.bool_] = (n > 0) & applies[:, None, :, None] & groups_allowed
    return keep


def _to_frame(
    schools: _Schools,
    district_codes: list[str],
    years: list[str],
    n: npt.NDArray[np.int64],
    value: Floats,
    keep: npt.NDArray[np.bool_],
) -> pd.DataFrame:
    s, y, m, g = np.nonzero(keep)
    designation = pd.Categorical(schools.designation, categories=list(DESIGNATIONS))
    name_codes, names = pd.factorize(pd.Series(schools.names))
    return pd.DataFrame(
        {
            "school_id": pd.Categorical.from_codes(s, categories=schools.ids),
            "school_name": pd.Categorical.from_codes(name_codes[s], categories=names),
            "district_id": pd.Categorical.from_codes(
                schools.district[s], categories=district_codes
            ),
            "school_type": pd.Categorical.from_codes(
                schools.school_type[s], categories=list(SCHOOL_TYPES)
            ),
            "year": pd.Categorical.from_codes(y, categories=years),
            "metric": pd.Categorical.from_codes(m, categories=list(METRICS)),
            "group": pd.Categorical.from_codes(g, categories=list(GROUPS)),
            "n": n[keep].astype(np.int32),
            "value": value[keep],
            "designation": designation[s],
        }
    )
