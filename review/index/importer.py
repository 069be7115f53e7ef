"""Import school-level index results (CSV or XLSX, long form) into one validated frame.

All or nothing: every problem in the file is collected, each naming its row (as the person sees
it: the header is row 1) and column, and any problem refuses the whole file.

The validated frame has one row per school, year, metric and group; `metric`, `group`,
`school_type` and `designation` are categoricals over the fixed vocabulary, `n` is int32 and
`value` float64. `designation` is absent from the frame when the file has no such column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from review.errors import InvalidInput
from review.index._checks import validate
from review.index._csv import read_csv
from review.index._raw import HeaderProblems, Problem, RawTable, RowNumbers
from review.index._xlsx import read_xlsx
from review.index.vocabulary import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from review.limits import INDEX_FILE, INDEX_UPLOAD, FileLimits
from review.problems import FileProblems, escaped

__all__ = [
    "ImportProblems",
    "Problem",
    "ResultsFile",
    "check_results",
    "parse_results",
    "parse_results_file",
    "read_results",
    "read_results_file",
]


class ImportProblems(FileProblems):
    """A results file was refused; `problems` lists every problem found, in file order."""


@dataclass(frozen=True)
class ResultsFile:
    """A validated results file: its rows, the file row each came from, and its digest."""

    name: str
    sha256: str
    frame: pd.DataFrame
    rows: RowNumbers  # positions in `frame` -> rows of the file (the header is row 1)

    def row_of(self, position: int) -> int:
        return int(self.rows(np.array([position], dtype=np.int64))[0])


def read_results(path: Path, *, limits: FileLimits = INDEX_FILE) -> pd.DataFrame:
    """Read and validate a results file (`.csv` or `.xlsx`).

    Raises:
        InvalidInput: the file cannot be read or is over `limits`; `ImportProblems` lists every
            problem by row.
    """
    return read_results_file(path, limits=limits).frame


def read_results_file(path: Path, *, limits: FileLimits = INDEX_FILE) -> ResultsFile:
    """`read_results`, with the file's name, SHA-256 and row numbers (what an import records)."""
    try:
        limits.check_size(path.stat().st_size, str(path))
        digest = hashlib.sha256()
        with path.open("rb") as file:
            head = file.read(4)
            digest.update(head)
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        name = escaped(path, limit=200)
        raise InvalidInput(f"{name}: cannot read the file ({exc.strerror})") from None
    # CSV is read straight from the file by pyarrow, in parallel, without a copy in memory.
    frame, rows = _parse(path, str(path), limits, head)
    return ResultsFile(path.name, digest.hexdigest(), frame, rows)


def parse_results(
    data: bytes, *, file_name: str, limits: FileLimits = INDEX_UPLOAD
) -> pd.DataFrame:
    """Validate the bytes of an uploaded results file; `file_name` picks CSV or XLSX.

    Raises:
        ImportProblems: listing every problem as "row N, column C: ...".
        InvalidInput: the file type is neither CSV nor XLSX, or the file is over `limits`.
    """
    return parse_results_file(data, file_name=file_name, limits=limits).frame


def parse_results_file(
    data: bytes, *, file_name: str, limits: FileLimits = INDEX_UPLOAD
) -> ResultsFile:
    """`parse_results`, with the file's name, SHA-256 and row numbers."""
    limits.check_size(len(data), file_name)
    frame, rows = _parse(data, file_name, limits)
    return ResultsFile(file_name, hashlib.sha256(data).hexdigest(), frame, rows)


def _parse(
    source: bytes | Path, file_name: str, limits: FileLimits, head: bytes = b""
) -> tuple[pd.DataFrame, RowNumbers]:
    reader = _reader_for(
        head or (source[:4] if isinstance(source, bytes) else b""), file_name, limits
    )
    try:
        raw = reader(source)
    except HeaderProblems as exc:
        raise ImportProblems(file_name, exc.problems) from None
    if len(raw.frame) > limits.max_rows:
        first_over = int(raw.row_numbers(np.array([limits.max_rows], dtype=np.int64))[0])
        raise ImportProblems(file_name, [Problem(first_over, "", limits.too_many_rows())])
    frame, problems, rows = validate(raw)
    if problems:
        raise ImportProblems(file_name, problems)
    return frame, rows


def check_results(frame: pd.DataFrame, *, source: str = "results") -> pd.DataFrame:
    """Validate an in-memory frame in the import format (row N is index position N - 2).

    Returns:
        The validated frame with the import dtypes.

    Raises:
        ImportProblems: as for a file.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ImportProblems(source, [Problem(1, c, "missing column") for c in missing])
    columns = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in frame.columns]
    data = {c: _as_text_categorical(frame[c]) for c in columns if c not in ("n", "value")}
    data["n"] = pd.to_numeric(frame["n"], errors="coerce").astype("float64")
    data["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
    raw = RawTable(pd.DataFrame(data), lambda idx: idx + 2)
    validated, problems, _ = validate(raw)
    if problems:
        raise ImportProblems(source, problems)
    return validated


def _as_text_categorical(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.CategoricalDtype) and all(
        isinstance(c, str) for c in column.cat.categories
    ):
        # Already text codes (results read back from the database): no strings made again.
        if not column.isna().any():
            return column
        if "" not in column.cat.categories:
            column = column.cat.add_categories("")
        return column.fillna("")
    text = column.astype("string").fillna("")
    return text.astype("category")


def _reader_for(
    head: bytes, file_name: str, limits: FileLimits
) -> Callable[[bytes | Path], RawTable]:
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xlsx" or head == b"PK\x03\x04":
        return partial(read_xlsx, max_rows=limits.max_rows)
    if suffix in (".csv", ".txt", ""):
        return read_csv
    raise InvalidInput(f"{escaped(file_name, limit=200)}: expected a .csv or .xlsx file")
