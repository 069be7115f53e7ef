"""XLSX results (the first sheet) into a raw table, taking cells as Excel displays them."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from review.errors import ReviewError
from review.index._raw import (
    NUMBER_COLUMNS,
    HeaderProblems,
    Problem,
    RawTable,
    bytes_of,
    check_header,
)
from review.problems import escaped


def read_xlsx(source: bytes | Path, *, max_rows: int | None = None) -> RawTable:
    """Read the first sheet of an XLSX workbook, taking cells as Excel displays them.

    Reading stops at the first data row past `max_rows`: the caller refuses the file there.
    """
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(bytes_of(source)), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise HeaderProblems(
            [Problem(1, "", f"not a readable XLSX workbook ({escaped(exc, limit=200)})")]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        return _read_sheet(sheet.iter_rows(min_row=1), max_rows)
    except ReviewError:
        raise
    except Exception as exc:  # read-only sheets inflate as they are read: damage shows here
        raise HeaderProblems(
            [Problem(1, "", f"not a readable XLSX workbook ({escaped(exc, limit=200)})")]
        ) from None
    finally:
        workbook.close()


def _read_sheet(rows: Iterator[tuple[object, ...]], max_rows: int | None = None) -> RawTable:
    names: list[str] | None = None
    columns: list[list[str]] = []
    numbers: dict[str, list[float]] = {}
    unreadable: dict[str, list[bool]] = {}
    row_numbers: list[int] = []
    problems: list[Problem] = []
    for row, cells in enumerate(rows, start=1):
        values = [getattr(c, "value", None) for c in cells]
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if names is None:
            names = check_header([_header_text(v) for v in values], row)
            columns = [[] for _ in names]
            numbers = {name: [] for name in NUMBER_COLUMNS}
            unreadable = {name: [] for name in names}
            continue
        row_numbers.append(row)
        padded = list(cells) + [None] * (len(names) - len(cells))
        for index, name in enumerate(names):
            text, number, problem = _read_cell(padded[index], name)
            columns[index].append(text)
            unreadable[name].append(problem is not None)
            if name in numbers:
                numbers[name].append(number)
            if problem:
                problems.append(Problem(row, name, problem))
        if max_rows is not None and len(row_numbers) > max_rows:
            break  # one row past the limit is enough to refuse the file at that row
    if names is None:
        raise HeaderProblems([Problem(1, "", "the sheet is empty: expected a header row")])
    frame = pd.DataFrame({n: pd.Categorical(c) for n, c in zip(names, columns, strict=True)})
    for name, numbers_read in numbers.items():
        frame[name] = np.array(numbers_read, dtype=np.float64)
    rows_array = np.array(row_numbers, dtype=np.int64)
    masks = {name: np.array(flags, dtype=bool) for name, flags in unreadable.items()}
    return RawTable(frame, lambda idx: rows_array[idx], problems, masks)


def _header_text(value: object) -> str:
    return "" if value is None else str(value)


def _read_cell(cell: object, column: str) -> tuple[str, float, str | None]:
    """(text as displayed, number or NaN, problem) of one worksheet cell."""
    value = getattr(cell, "value", None)
    number_format = str(getattr(cell, "number_format", None) or "General")
    if value is None:
        return "", math.nan, None
    if isinstance(value, datetime | date | time):
        return (
            "",
            math.nan,
            (f"Excel shows a date or time ({value}) here; format the column as Text or Number"),
        )
    if isinstance(value, bool):
        return "", math.nan, f"{value} is not a {'number' if column in NUMBER_COLUMNS else 'text'}"
    if column in NUMBER_COLUMNS:
        return _number_cell(value, number_format, column)
    return _text_cell(value, number_format), math.nan, None


def _number_cell(value: object, number_format: str, column: str) -> tuple[str, float, str | None]:
    if isinstance(value, int | float):
        if "%" in number_format:
            if column == "n":
                return "", math.nan, "is formatted as a percentage; n is a count of students"
            # The cell shows 45.3% for 0.453: import the percentage the person sees.
            return "", round(float(value) * 100, 10), None
        return "", float(value), None
    text = str(value).strip()
    if not text:
        return "", math.nan, None
    try:
        return "", float(text), None
    except ValueError:
        return "", math.nan, f"'{escaped(text)}' is not a number"


def _text_cell(value: object, number_format: str) -> str:
    if isinstance(value, str):
        return value.strip()
    number = float(value)  # type: ignore[arg-type]
    if number.is_integer():
        digits = str(int(number))
        # An id such as 0123456 shown through a "0000000" format keeps its leading zeros.
        if number_format and set(number_format) == {"0"} and number >= 0:
            return digits.zfill(len(number_format))
        return digits
    return repr(number)
