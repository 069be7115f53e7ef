"""Import school-level index results (CSV or XLSX, long form) into one validated frame.

All or nothing: every problem in the file is collected, each naming its row (as the person sees
it: the header is row 1) and column, and any problem refuses the whole file.

The validated frame has one row per school, year, metric and group; `metric`, `group`,
`school_type` and `designation` are categoricals over the fixed vocabulary, `n` is int32 and
`value` float64. `designation` is absent from the frame when the file has no such column.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from review.errors import InvalidInput
from review.index._checks import validate
from review.index._csv import read_csv
from review.index._raw import HeaderProblems, Problem, RawTable
from review.index._xlsx import read_xlsx
from review.index.vocabulary import OPTIONAL_COLUMNS, REQUIRED_COLUMNS

__all__ = ["ImportProblems", "Problem", "check_results", "parse_results", "read_results"]

MAX_LISTED = 200  # problems spelled out in the message; `ImportProblems.problems` has them all


class ImportProblems(InvalidInput):
    """A results file was refused; `problems` lists every problem found, in file order."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.problems = problems
        lines = [str(p) for p in problems[:MAX_LISTED]]
        if len(problems) > MAX_LISTED:
            lines.append(f"… and {len(problems) - MAX_LISTED} more problems")
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{source}: {count}, nothing was imported:\n" + "\n".join(lines))


def read_results(path: Path) -> pd.DataFrame:
    """Read and validate a results file (`.csv` or `.xlsx`).

    Raises:
        InvalidInput: the file cannot be read; `ImportProblems` lists every problem by row.
    """
    try:
        with path.open("rb") as file:
            head = file.read(4)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the file ({exc.strerror})") from None
    # CSV is read straight from the file by pyarrow, in parallel, without a copy in memory.
    return _parse(path, str(path), head)


def parse_results(data: bytes, *, file_name: str) -> pd.DataFrame:
    """Validate the bytes of an uploaded results file; `file_name` picks CSV or XLSX.

    Raises:
        ImportProblems: listing every problem as "row N, column C: ...".
        InvalidInput: the file type is neither CSV nor XLSX.
    """
    return _parse(data, file_name)


def _parse(source: bytes | Path, file_name: str, head: bytes = b"") -> pd.DataFrame:
    reader = _reader_for(head or (source[:4] if isinstance(source, bytes) else b""), file_name)
    try:
        raw = reader(source)
    except HeaderProblems as exc:
        raise ImportProblems(file_name, exc.problems) from None
    frame, problems = validate(raw)
    if problems:
        raise ImportProblems(file_name, problems)
    return frame


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
    validated, problems = validate(raw)
    if problems:
        raise ImportProblems(source, problems)
    return validated


def _as_text_categorical(column: pd.Series) -> pd.Series:
    text = column.astype("string").fillna("")
    return text.astype("category")


def _reader_for(head: bytes, file_name: str) -> Callable[[bytes | Path], RawTable]:
    suffix = Path(file_name).suffix.lower()
    if suffix == ".xlsx" or head == b"PK\x03\x04":
        return read_xlsx
    if suffix in (".csv", ".txt", ""):
        return read_csv
    raise InvalidInput(f"{file_name}: expected a .csv or .xlsx file")
