"""Checks on a raw table of index results, all vectorised, and the typed frame they give.

Every check adds row positions with a message; file rows are looked up once at the end, since
numbering rows can mean a second pass over the file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Table

from review.db import IndexResult
from review.index._raw import Ints, Problem, RawTable, RowNumbers
from review.index.vocabulary import (
    DESIGNATIONS,
    GROUPS,
    METRICS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SCHOOL_TYPES,
    VALUE_MAX,
    VALUE_MIN,
    is_school_year,
)
from review.limits import column_lengths
from review.problems import escaped

TEXT_COLUMNS = ("school_id", "school_name", "district_id", "school_type", "year", "metric", "group")
FIXED_CATEGORIES = {
    "school_type": SCHOOL_TYPES,
    "metric": METRICS,
    "group": GROUPS,
    "designation": DESIGNATIONS,
}
# Free-text columns, each as long as the database column it is stored in; the others are
# checked against their vocabulary or format, which no over-long text passes.
CELL_LENGTHS = column_lengths(
    cast(Table, IndexResult.__table__),
    {"school_id": "school_id", "school_name": "school_name", "district_id": "district_code"},
)
MAX_N = 2**31 - 1  # the stored column is a 32-bit integer
_NONE: Ints = np.zeros(0, dtype=np.int64)


RowOf = Callable[[int], int]
Message = Callable[[int, RowOf], str]


class _Findings:
    """Problems found by vectorised checks: row positions, and a message for each position.

    Messages are made once file rows are known (`row_of` turns a position into a file row),
    because numbering rows can mean a second pass over the file.
    """

    def __init__(self) -> None:
        self.parts: list[tuple[Ints, str, Message]] = []
        self.referenced: list[Ints] = []

    def add(
        self, positions: Ints, column: str, message: Message, refers_to: Ints | None = None
    ) -> None:
        if len(positions):
            self.parts.append((positions, column, message))
            if refers_to is not None:
                self.referenced.append(refers_to)

    def problems(self, raw: RawTable) -> list[Problem]:
        found = list(raw.problems)
        if self.parts:
            positions = np.unique(np.concatenate([p for p, _, _ in self.parts] + self.referenced))
            rows = dict(zip(positions.tolist(), raw.row_numbers(positions).tolist(), strict=True))
            for part_positions, column, message in self.parts:
                found += [
                    Problem(rows[i], column, message(i, rows.__getitem__))
                    for i in part_positions.tolist()
                ]
        order = {c: i for i, c in enumerate(("", *REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))}
        return sorted(found, key=lambda p: (p.row, order.get(p.column, 99)))


class _Text:
    """A text column as integer codes over stripped, unique category strings."""

    def __init__(self, column: pd.Series) -> None:
        raw = column.cat.categories.astype(str)
        categories = raw.str.strip()
        codes = column.cat.codes.to_numpy()
        if categories.equals(raw):  # the usual case: nothing to strip, nothing to merge
            self.values: npt.NDArray[np.object_] = np.asarray(raw, dtype=object)
            self.codes: npt.NDArray[np.integer] = codes
            return
        inverse, uniques = pd.factorize(categories)
        self.values = np.asarray(uniques, dtype=object)
        self.codes = np.where(codes >= 0, inverse[codes], -1)

    def rows_where(self, bad: Callable[[str], bool]) -> Ints:
        bad_codes = [i for i, v in enumerate(self.values) if bad(v)]
        return np.flatnonzero(np.isin(self.codes, bad_codes)) if bad_codes else _NONE

    def rows_outside(self, allowed: set[str]) -> Ints:
        """Rows whose text is neither blank nor in `allowed`."""
        return self.rows_where(lambda v: v != "" and v not in allowed)

    def text(self, position: int) -> str:
        return str(self.values[self.codes[position]])

    def blank(self) -> npt.NDArray[np.bool_]:
        blank_codes = [i for i, v in enumerate(self.values) if v == ""]
        if not blank_codes:
            return np.zeros(len(self.codes), dtype=bool)
        return np.isin(self.codes, blank_codes)

    def has_blank(self) -> bool:
        return "" in set(self.values.tolist())


def validate(raw: RawTable) -> tuple[pd.DataFrame, list[Problem], RowNumbers]:
    """The typed frame and no problems, or the raw frame and every problem found; and the file
    row of each position of the frame (blank lines are dropped from it)."""
    frame = raw.frame
    texts = {c: _Text(frame[c]) for c in frame.columns if c not in ("n", "value")}
    keep = np.flatnonzero(~_blank_rows(frame, texts))
    if len(keep) < len(frame):  # blank lines: drop them, keep the others' row numbers
        raw = _take(raw, keep)
        frame = raw.frame
        texts = {c: _Text(frame[c]) for c in texts}
    findings = _Findings()
    _check_text(texts, raw, findings)
    _check_numbers(frame, raw, findings)
    _check_duplicates(texts, findings)
    _check_consistency(texts, findings)
    problems = findings.problems(raw)
    if problems:
        return frame, problems, raw.row_numbers
    if len(frame) == 0:
        empty = [Problem(2, "", "the file has a header but no rows of results")]
        return frame, empty, raw.row_numbers
    return _typed(texts, frame), [], raw.row_numbers


def _blank_rows(frame: pd.DataFrame, texts: dict[str, _Text]) -> npt.NDArray[np.bool_]:
    if not all(text.has_blank() for text in texts.values()):
        return np.zeros(len(frame), dtype=bool)
    blank: npt.NDArray[np.bool_] = np.isnan(frame["n"].to_numpy()) & np.isnan(
        frame["value"].to_numpy()
    )
    for text in texts.values():
        blank &= text.blank()
    return blank


def _take(raw: RawTable, keep: Ints) -> RawTable:
    def rows(idx: Ints) -> Ints:
        return raw.row_numbers(keep[idx])

    frame = raw.frame.iloc[keep].reset_index(drop=True)
    unreadable = {c: mask[keep] for c, mask in raw.unreadable.items()}
    return RawTable(frame, rows, raw.problems, unreadable)


def _unreadable(raw: RawTable, column: str, size: int) -> npt.NDArray[np.bool_]:
    return raw.unreadable.get(column, np.zeros(size, dtype=bool))


def _check_text(texts: dict[str, _Text], raw: RawTable, findings: _Findings) -> None:
    size = len(raw.frame)
    for column in TEXT_COLUMNS:
        text = texts[column]
        blank = np.flatnonzero(text.blank() & ~_unreadable(raw, column, size))
        findings.add(blank, column, lambda _i, _r: "is blank")
    for column, limit in CELL_LENGTHS.items():
        _check_length(texts[column], column, limit, findings)
    for column, allowed in FIXED_CATEGORIES.items():
        if column not in texts:
            continue
        text = texts[column]
        rows = text.rows_outside(set(allowed))
        hint = ", ".join(allowed)
        findings.add(rows, column, _unknown_message(text, column, hint))
    year = texts["year"]
    rows = year.rows_where(lambda v: v != "" and not is_school_year(v))
    findings.add(
        rows,
        "year",
        lambda i, _r: f"'{escaped(year.text(i))}' is not a school year such as 2015-16",
    )


def _check_length(text: _Text, column: str, limit: int, findings: _Findings) -> None:
    findings.add(
        text.rows_where(lambda v: len(v) > limit),
        column,
        lambda i, _r: (
            f"{len(text.text(i)):,} characters, more than the {limit} this column holds "
            f"('{escaped(text.text(i), limit=40)}')"
        ),
    )


def _unknown_message(text: _Text, column: str, hint: str) -> Message:
    what = column.replace("_", " ")
    return lambda i, _r: f"unknown {what} '{escaped(text.text(i))}' (expected one of: {hint})"


def _check_numbers(frame: pd.DataFrame, raw: RawTable, findings: _Findings) -> None:
    size = len(frame)
    n = frame["n"].to_numpy()
    value = frame["value"].to_numpy()
    n_read = ~_unreadable(raw, "n", size)
    value_read = ~_unreadable(raw, "value", size)
    findings.add(np.flatnonzero(np.isnan(n) & n_read), "n", lambda _i, _r: "is blank")
    findings.add(np.flatnonzero(n < 0), "n", lambda i, _r: f"n is negative ({n[i]:g})")
    fraction = np.isfinite(n) & (n >= 0) & (np.floor(n) != n)
    findings.add(
        np.flatnonzero(fraction), "n", lambda i, _r: f"{n[i]:g} is not a whole number of students"
    )
    findings.add(np.flatnonzero(np.isposinf(n)), "n", lambda i, _r: f"{n[i]:g} is not a count")
    huge = np.isfinite(n) & (n > MAX_N)
    findings.add(
        np.flatnonzero(huge), "n", lambda i, _r: f"{n[i]:g} is more students than any school has"
    )
    findings.add(np.flatnonzero(np.isnan(value) & value_read), "value", lambda _i, _r: "is blank")
    with np.errstate(invalid="ignore"):
        outside = ~np.isnan(value) & ((value < VALUE_MIN) | (value > VALUE_MAX))
    findings.add(
        np.flatnonzero(outside),
        "value",
        lambda i, _r: f"{value[i]:g} is out of range (expected {VALUE_MIN:g} to {VALUE_MAX:g})",
    )


def _key(texts: dict[str, _Text], columns: tuple[str, ...]) -> tuple[Ints, int]:
    """One integer per row for the combination of `columns`, and the number of possible keys."""
    key = np.zeros(len(texts[columns[0]].codes), dtype=np.int64)
    size = 1
    for column in columns:
        text = texts[column]
        key = key * max(len(text.values), 1) + text.codes
        size *= max(len(text.values), 1)
    return key, size


def _first_positions(key: Ints, size: int) -> Ints:
    """For each row, the position of the first row with the same key (keys below `size`)."""
    if size > 4 * len(key) + 1024:  # sparse keys: make them dense first
        key, uniques = pd.factorize(key)
        size = len(uniques)
    first = np.empty(size, dtype=np.int64)
    # Assigning in reverse order leaves the earliest position for each key.
    first[key[::-1]] = np.arange(len(key) - 1, -1, -1)
    result: Ints = first[key]
    return result


def _check_duplicates(texts: dict[str, _Text], findings: _Findings) -> None:
    key, size = _key(texts, ("school_id", "year", "metric", "group"))
    first = _first_positions(key, size)
    duplicated = first != np.arange(len(key))
    if not duplicated.any():
        return
    positions = np.flatnonzero(duplicated)
    findings.add(
        positions,
        "",
        lambda i, row_of: (
            f"duplicate: the same school_id, year, metric and group as row {row_of(int(first[i]))}"
        ),
        refers_to=first[positions],
    )


def _check_consistency(texts: dict[str, _Text], findings: _Findings) -> None:
    school = texts["school_id"]
    first = _first_positions(school.codes.astype(np.int64), len(school.values))
    for column in ("district_id", "school_type"):
        _check_same(texts[column], first, column, "school", school, findings)
    if "designation" in texts:
        first = _first_positions(*_key(texts, ("school_id", "year")))
        _check_same(texts["designation"], first, "designation", "school and year", school, findings)


def _check_same(
    text: _Text, first: Ints, column: str, what: str, school: _Text, findings: _Findings
) -> None:
    differs = np.flatnonzero(text.codes != text.codes[first])
    findings.add(
        differs,
        column,
        lambda i, row_of: (
            f"'{escaped(text.text(i))}' differs from '{escaped(text.text(int(first[i])))}' on "
            f"row {row_of(int(first[i]))} for the same {what} (school {escaped(school.text(i))})"
        ),
        refers_to=first[differs],
    )


def _typed(texts: dict[str, _Text], frame: pd.DataFrame) -> pd.DataFrame:
    data: dict[str, pd.Categorical | npt.NDArray[np.generic]] = {}
    for column, text in texts.items():
        data[column] = _recode(text, _categories(column, text))
    data["n"] = frame["n"].to_numpy().astype(np.int32)
    data["value"] = frame["value"].to_numpy()
    ordered = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in data]
    return pd.DataFrame({c: data[c] for c in ordered})


def _categories(column: str, text: _Text) -> list[str]:
    """The final categories: the fixed vocabulary, or the values in use (years sorted)."""
    fixed = FIXED_CATEGORIES.get(column)
    if fixed is not None:
        return list(fixed)
    used = np.bincount(text.codes, minlength=len(text.values)) > 0
    values = [str(v) for v in text.values[used]]
    return sorted(values) if column == "year" else values


def _recode(text: _Text, categories: list[str]) -> pd.Categorical:
    """The column over `categories`; a blank text (designation only) becomes missing."""
    if text.values.tolist() == categories:
        codes = text.codes
    else:
        position = {value: i for i, value in enumerate(categories)}
        lookup = np.array([position.get(str(v), -1) for v in text.values], dtype=np.int32)
        codes = lookup[text.codes]
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)
