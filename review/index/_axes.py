"""How a validated frame maps onto the dense (school, year, metric, group) arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from review.errors import InvalidInput
from review.index.spec import IndexSpec
from review.index.vocabulary import DESIGNATIONS, GROUPS, METRICS

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Small = npt.NDArray[np.int8]


@dataclass(frozen=True)
class Axes:
    """Positions on the array axes of each frame row, and the schools along the first axis."""

    spec: IndexSpec
    schools: pd.DataFrame
    school_code: Ints  # per frame row: position on the school axis
    years: tuple[str, ...]
    metric_of: Ints  # vocabulary metric index -> spec metric index or -1
    group_of: Ints  # vocabulary group index -> spec group index or -1

    @property
    def school_types(self) -> npt.NDArray[np.str_]:
        types: npt.NDArray[np.str_] = self.schools["school_type"].to_numpy().astype(str)
        return types

    @classmethod
    def of(cls, frame: pd.DataFrame, spec: IndexSpec) -> Axes:
        for column, vocabulary in (("metric", METRICS), ("group", GROUPS)):
            if list(frame[column].cat.categories) != list(vocabulary):
                frame = frame.assign(**{column: frame[column].cat.set_categories(vocabulary)})
            if (frame[column].cat.codes.to_numpy() < 0).any():
                raise InvalidInput(f"results: column {column} has values outside the vocabulary")
        codes, schools = _schools(frame)
        metric_of = np.full(len(METRICS), -1, dtype=np.int64)
        for i, metric in enumerate(spec.metrics):
            metric_of[METRICS.index(metric.id)] = i
        group_of = np.full(len(GROUPS), -1, dtype=np.int64)
        for i, group_id in enumerate(spec.group_ids):
            group_of[GROUPS.index(group_id)] = i
        years = tuple(sorted(str(y) for y in frame["year"].cat.categories))
        return cls(spec, schools, codes, years, metric_of, group_of)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (len(self.schools), len(self.years), len(self.spec.metrics), len(self.spec.groups))

    def flat_index(self, frame: pd.DataFrame) -> tuple[Ints, Bools]:
        """Position of each frame row in the flattened arrays, and which rows the spec uses."""
        _, years, metrics, groups = self.shape
        year_of = np.array([self.years.index(str(y)) for y in frame["year"].cat.categories])
        m = self.metric_of[frame["metric"].cat.codes.to_numpy()]
        g = self.group_of[frame["group"].cat.codes.to_numpy()]
        y = year_of[frame["year"].cat.codes.to_numpy()]
        used = (m >= 0) & (g >= 0)
        index = ((self.school_code * years + y) * metrics + m) * groups + g
        return index, used

    def scatter(self, frame: pd.DataFrame) -> tuple[npt.NDArray[np.int32], Floats]:
        index, used = self.flat_index(frame)
        n = np.full(self.shape, -1, dtype=np.int32)
        value = np.full(self.shape, np.nan)
        n.ravel()[index[used]] = frame["n"].to_numpy()[used]
        value.ravel()[index[used]] = frame["value"].to_numpy()[used]
        return n, value

    def designations(self, frame: pd.DataFrame) -> Small | None:
        if "designation" not in frame.columns:
            return None
        column = frame["designation"]
        if list(column.cat.categories) != list(DESIGNATIONS):
            column = column.cat.set_categories(DESIGNATIONS)
        if column.isna().all():
            return None
        schools, years = self.shape[:2]
        year_of = np.array([self.years.index(str(y)) for y in frame["year"].cat.categories])
        result = np.full((schools, years), -1, dtype=np.int8)
        y = year_of[frame["year"].cat.codes.to_numpy()]
        result[self.school_code, y] = column.cat.codes.to_numpy()
        return result


def _schools(frame: pd.DataFrame) -> tuple[Ints, pd.DataFrame]:
    """School axis position of each row, and one row of attributes per school (first seen)."""
    raw = frame["school_id"].cat.codes.to_numpy().astype(np.int64)
    used = np.flatnonzero(np.bincount(raw, minlength=len(frame["school_id"].cat.categories)))
    position = np.full(len(frame["school_id"].cat.categories), -1, dtype=np.int64)
    position[used] = np.arange(len(used))
    codes = position[raw]
    first = np.empty(len(used), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    columns = ["school_id", "school_name", "district_id", "school_type"]
    schools = frame[columns].iloc[first].reset_index(drop=True)
    return codes, schools.astype(dict.fromkeys(columns, str))
