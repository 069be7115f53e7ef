"""The fixed names of the index data: metric, student group, school type and designation ids.

These are identifiers, not numbers: every threshold, weight and share lives in a spec file.
Order matters where it is used as a tie-break (race groups, in `RACE_GROUPS` order).
"""

from __future__ import annotations

import re

# domain.md §3.3: the metrics of the measurement system.
METRICS: tuple[str, ...] = (
    "academic_performance",
    "academic_growth",
    "graduation",
    "hs_readiness",
    "el_redesignation",
    "chronic_absence",
    "suspension_expulsion",
    "sel_skills",
    "culture_climate",
)

ALL_STUDENTS = "all"
# domain.md §3.5: English learners, students with disabilities, socio-economically disadvantaged.
SUBGROUPS: tuple[str, ...] = ("el", "swd", "sed")
RACE_GROUPS: tuple[str, ...] = (
    "race_african_american",
    "race_american_indian",
    "race_asian",
    "race_filipino",
    "race_hispanic",
    "race_pacific_islander",
    "race_white",
    "race_two_or_more",
)
GROUPS: tuple[str, ...] = (ALL_STUDENTS, *SUBGROUPS, *RACE_GROUPS)

# The subgroup category standing for "the lowest-performing racial/ethnic group" of a metric.
LOWEST_RACE = "lowest_race"

SCHOOL_TYPES: tuple[str, ...] = ("elementary", "middle", "high")
DESIGNATIONS: tuple[str, ...] = ("priority", "focus", "reward")

REQUIRED_COLUMNS: tuple[str, ...] = (
    "school_id",
    "school_name",
    "district_id",
    "school_type",
    "year",
    "metric",
    "group",
    "n",
    "value",
)
OPTIONAL_COLUMNS: tuple[str, ...] = ("designation",)

# Every metric is a percentage or a percentile (domain.md §3.3).
VALUE_MIN = 0.0
VALUE_MAX = 100.0

_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


def is_school_year(text: str) -> bool:
    """Whether `text` is a school year such as ``2015-16`` (the second part follows the first)."""
    match = _YEAR.match(text)
    if match is None:
        return False
    return (int(match.group(1)) + 1) % 100 == int(match.group(2))
