"""Districts and triads uploaded as CSV or XLSX, validated row by row before anything is saved."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from review.errors import InvalidInput

DISTRICT_COLUMNS = ("code", "name", "enrollment", "school_count")
DISTRICT_OPTIONAL = ("priority_count", "focus_count", "reward_count")
TRIAD_COLUMNS = ("triad", "district_code")


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


def parse_districts(data: bytes, file_name: str) -> list[dict[str, str | int]]:
    """District rows; every problem is reported with its row and column."""
    problems: list[str] = []
    result: list[dict[str, str | int]] = []
    seen: dict[str, int] = {}
    for n, rec in _records(
        read_table(data, file_name), DISTRICT_COLUMNS, DISTRICT_OPTIONAL, file_name
    ):
        row: dict[str, str | int] = {"code": rec["code"], "name": rec["name"]}
        for column in ("code", "name"):
            if not rec[column]:
                problems.append(f"row {n}, column {column}: empty")
        if rec["code"] in seen:
            problems.append(f"row {n}, column code: {rec['code']} repeats row {seen[rec['code']]}")
        seen.setdefault(rec["code"], n)
        for column in DISTRICT_COLUMNS[2:] + DISTRICT_OPTIONAL:
            text = rec.get(column, "") or ("0" if column in DISTRICT_OPTIONAL else "")
            number = text.replace(",", "")
            if not number.isdigit():
                problems.append(f"row {n}, column {column}: {text!r} is not a whole number ≥ 0")
            else:
                row[column] = int(number)
        result.append(row)
    _raise(problems, file_name)
    return result


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
