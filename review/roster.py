"""Districts and triads uploaded as CSV or XLSX, validated row by row before anything is saved."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from review.errors import InvalidInput

DISTRICT_COLUMNS = ("code", "name", "enrollment")
# Columns of older district files. Their figures now come from each cycle's index import, so a
# file that still has them is loaded with them ignored (and says so), not refused: the rest
# of the file is as good as before, and asking a coordinator to delete columns gains nothing.
RETIRED_COLUMNS = ("school_count", "priority_count", "focus_count", "reward_count")
TRIAD_COLUMNS = ("triad", "district_code")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DistrictRow(_Frozen):
    code: str
    name: str
    enrollment: int


class DistrictFile(_Frozen):
    """The districts of an uploaded file, and the retired columns it had (ignored)."""

    file_name: str
    districts: tuple[DistrictRow, ...]
    ignored: tuple[str, ...] = ()

    @property
    def note(self) -> str | None:
        """What was ignored and why, for the coordinator who uploaded the file."""
        if not self.ignored:
            return None
        columns = ", ".join(self.ignored)
        return (
            f"{self.file_name}: column(s) {columns} ignored: a district's schools and its "
            "priority/focus/reward counts now come from each cycle's imported index data."
        )


def read_table(data: bytes, file_name: str) -> list[list[str]]:
    """Rows of text cells from a CSV or the first sheet of an XLSX file."""
    if file_name.lower().endswith(".xlsx"):
        return _xlsx_rows(data, file_name)
    if file_name.lower().endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(f"{file_name}: not UTF-8 text; save it as CSV UTF-8") from None
        return list(csv.reader(io.StringIO(text)))
    raise InvalidInput(f"{file_name}: upload a .csv or .xlsx file")


def _xlsx_rows(data: bytes, file_name: str) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged file
        raise InvalidInput(f"{file_name}: not a readable Excel workbook") from None
    rows = [[_cell(v) for v in row] for row in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    return rows


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _records(
    rows: list[list[str]], required: Sequence[str], optional: Sequence[str], file_name: str
) -> list[tuple[int, dict[str, str]]]:
    body = [(n, r) for n, r in enumerate(rows, start=1) if any(c.strip() for c in r)]
    if not body:
        raise InvalidInput(f"{file_name}: the file is empty")
    header_row, header = body[0]
    names = [h.strip().lower() for h in header]
    missing = [c for c in required if c not in names]
    if missing:
        raise InvalidInput(
            f"{file_name}: row {header_row}: missing column(s) {', '.join(missing)}"
            f" (expected {', '.join(required)})"
        )
    keep = set(required) | set(optional)
    return [
        (
            n,
            {
                name: (row[i].strip() if i < len(row) else "")
                for i, name in enumerate(names)
                if name in keep
            },
        )
        for n, row in body[1:]
    ]


def parse_districts(data: bytes, file_name: str) -> DistrictFile:
    """District rows; every problem is reported with its row and column.

    Retired count columns (`RETIRED_COLUMNS`) are ignored, values and all, and named in the
    result's `note`.
    """
    rows = read_table(data, file_name)
    problems: list[str] = []
    result: list[DistrictRow] = []
    seen: dict[str, int] = {}
    for n, rec in _records(rows, DISTRICT_COLUMNS, (), file_name):
        for column in ("code", "name"):
            if not rec[column]:
                problems.append(f"row {n}, column {column}: empty")
        if rec["code"] in seen:
            problems.append(f"row {n}, column code: {rec['code']} repeats row {seen[rec['code']]}")
        seen.setdefault(rec["code"], n)
        text = rec["enrollment"]
        number = text.replace(",", "")
        if not number.isdigit():
            problems.append(f"row {n}, column enrollment: {text!r} is not a whole number ≥ 0")
            continue
        result.append(DistrictRow(code=rec["code"], name=rec["name"], enrollment=int(number)))
    _raise(problems, file_name)
    header = next(r for r in rows if any(c.strip() for c in r))  # `_records` found it
    names = {h.strip().lower() for h in header}
    return DistrictFile(
        file_name=file_name,
        districts=tuple(result),
        ignored=tuple(c for c in RETIRED_COLUMNS if c in names),
    )


def parse_triads(data: bytes, file_name: str) -> dict[str, list[str]]:
    """Triad name -> district codes, from rows of (triad, district_code)."""
    problems: list[str] = []
    triads: dict[str, list[str]] = {}
    for n, rec in _records(read_table(data, file_name), TRIAD_COLUMNS, (), file_name):
        for column in TRIAD_COLUMNS:
            if not rec[column]:
                problems.append(f"row {n}, column {column}: empty")
        if rec["triad"] and rec["district_code"]:
            triads.setdefault(rec["triad"], []).append(rec["district_code"])
    _raise(problems, file_name)
    return triads


def parse_triad_text(text: str) -> dict[str, list[str]]:
    """Triads typed one per line as `Name: CODE, CODE, CODE`."""
    triads: dict[str, list[str]] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, codes = line.partition(":")
        if not sep or not name.strip():
            raise InvalidInput(f"line {n}: write it as `Triad name: CODE, CODE, CODE`")
        triads[name.strip()] = [c.strip() for c in codes.split(",") if c.strip()]
    return triads


def _raise(problems: list[str], file_name: str) -> None:
    if problems:
        shown = "; ".join(problems[:20])
        more = f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""
        raise InvalidInput(f"{file_name}: nothing was saved: {shown}{more}")
