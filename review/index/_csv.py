"""CSV results (UTF-8, with or without a byte-order mark) into a raw table.

Clean files take the fast path: pyarrow reads them in parallel, straight from disk. A file
pyarrow refuses (a cell that is not a number, a ragged row, bad UTF-8) is read again cell by
cell so that every problem is reported, not only the first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from review.index._raw import (
    BOM,
    NUMBER_COLUMNS,
    HeaderProblems,
    Ints,
    Problem,
    RawTable,
    bytes_of,
    check_header,
)
from review.problems import escaped


def read_csv(source: bytes | Path) -> RawTable:
    """Read CSV (UTF-8, with or without a byte-order mark) from bytes or a file path."""
    header_index, header = _csv_header(source)
    names = check_header(header, header_index + 1)
    try:
        return _read_csv_fast(source, names, header_index)
    except pa.ArrowInvalid:
        # A cell pyarrow cannot convert, a ragged row or bad UTF-8: read cell by cell instead,
        # so that every problem, not only the first, is reported with its row.
        return _read_csv_cells(bytes_of(source), names, header_index)


def _csv_header(source: bytes | Path) -> tuple[int, list[str]]:
    with source.open("rb") if isinstance(source, Path) else io.BytesIO(source) as lines:
        for index, line in enumerate(lines):
            text = _decode_line(line, index + 1)
            if text.replace(BOM, "").strip():
                return index, next(csv.reader([text]))
    raise HeaderProblems([Problem(1, "", "the file is empty: expected a header row")])


def _decode_line(line: bytes, row: int) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        raise HeaderProblems([_not_utf8(row)]) from None


def _not_utf8(row: int) -> Problem:
    return Problem(row, "", "the file is not UTF-8 text; save it as CSV UTF-8")


def _read_csv_fast(source: bytes | Path, names: list[str], header_index: int) -> RawTable:
    text_type = pa.dictionary(pa.int32(), pa.string())
    types = {c: pa.float64() if c in NUMBER_COLUMNS else text_type for c in names}
    table = pacsv.read_csv(
        str(source) if isinstance(source, Path) else pa.BufferReader(source),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=header_index + 1),
        convert_options=pacsv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=False
        ),
    )
    frame = _arrow_to_frame(table.unify_dictionaries())

    def row_numbers(indices: Ints) -> Ints:
        return _csv_row_numbers(bytes_of(source), header_index, indices)

    return RawTable(frame, row_numbers)


def _arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    """Columns of a table as numpy floats and categoricals (cheaper than `to_pandas`)."""
    columns: dict[str, object] = {}
    for name in table.column_names:
        column = table.column(name)
        if name in NUMBER_COLUMNS:
            columns[name] = column.to_numpy()
            continue
        chunks = column.chunks
        codes = np.concatenate(
            [c.indices.to_numpy(zero_copy_only=False) for c in chunks]
            or [np.zeros(0, dtype=np.int32)]
        )
        categories = chunks[0].dictionary.to_pylist() if chunks else []
        columns[name] = pd.Categorical.from_codes(codes, categories=categories)
    return pd.DataFrame(columns)


def _csv_row_numbers(data: bytes, header_index: int, indices: Ints) -> Ints:
    """File rows of data records `indices` (0-based, in reading order; empty lines skipped)."""
    if b'"' in data:
        # Quoted cells may hold line breaks, so count records the way the csv module does.
        rows = np.array([n for n, _ in _csv_records(data, header_index)], dtype=np.int64)
        return rows[indices]
    buffer = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(buffer == ord("\n"))
    starts = np.concatenate(([0], ends + 1))
    ends = np.concatenate((ends, [len(buffer)]))
    length = ends - starts
    cr_only = (length == 1) & (buffer[np.minimum(starts, len(buffer) - 1)] == ord("\r"))
    filled = np.flatnonzero((length > 0) & ~cr_only)
    filled = filled[filled > header_index]
    return filled[indices] + 1


def _csv_records(data: bytes, header_index: int) -> Iterator[tuple[int, list[str]]]:
    """(first file row, cells) of each non-empty record after the header."""
    text = data.decode("utf-8").removeprefix(BOM)
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_end = 0
    for cells in reader:
        first_row = previous_end + 1
        previous_end = reader.line_num
        if first_row > header_index + 1 and cells:
            yield first_row, cells


def _read_csv_cells(data: bytes, names: list[str], header_index: int) -> RawTable:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        raise HeaderProblems([_not_utf8(row)]) from None
    rows: list[int] = []
    columns: list[list[str]] = [[] for _ in names]
    problems: list[Problem] = []
    for row, cells in _csv_records(data, header_index):
        if len(cells) != len(names):
            if any(c.strip() for c in cells):
                problems.append(
                    Problem(row, "", f"has {len(cells)} cells, the header has {len(names)}")
                )
            continue
        rows.append(row)
        for column, cell in zip(columns, cells, strict=True):
            column.append(cell)
    return _from_text_cells(names, columns, np.array(rows, dtype=np.int64), problems)


def _from_text_cells(
    names: list[str],
    columns: list[list[str]],
    rows: Ints,
    problems: list[Problem],
) -> RawTable:
    frame = pd.DataFrame(
        {name: pd.Categorical(col) for name, col in zip(names, columns, strict=True)}
    )
    unreadable = {}
    for name in NUMBER_COLUMNS:
        text = pd.Series(columns[names.index(name)], dtype=object).str.strip()
        number = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = (number.isna() & (text != "")).to_numpy()
        problems += [
            Problem(int(rows[i]), name, f"'{escaped(text.iloc[i])}' is not a number")
            for i in np.flatnonzero(bad)
        ]
        frame[name] = number
        unreadable[name] = bad
    return RawTable(frame, lambda idx: rows[idx], problems, unreadable)
