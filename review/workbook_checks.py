"""Reading untrusted workbooks: limits, formulas, merged cells, and problems named by place.

Every problem names its sheet, row and column, so a person can find it in Excel. Text from the
file is shown escaped (control characters as `\\x07`) and shortened, never echoed raw.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import NoReturn

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel, ConfigDict

from review.errors import InvalidInput


class Limits(BaseModel):
    """How big a workbook of one kind may be (stated in the README)."""

    model_config = ConfigDict(frozen=True)

    file_bytes: int
    unpacked_bytes: int  # all members of the .xlsx archive, uncompressed (zip bombs)
    rows: int  # per sheet, header included
    columns: int
    cell_chars: int


class Problem(BaseModel):
    model_config = ConfigDict(frozen=True)

    sheet: str
    row: int
    column: str  # the column letter
    header: str = ""
    message: str

    def __str__(self) -> str:
        named = f" ({self.header})" if self.header else ""
        return f"{self.sheet}, row {self.row}, column {self.column}{named}: {self.message}"


class WorkbookProblems(InvalidInput):
    """A workbook was refused; `problems` lists every one found, in sheet order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" ({len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{len(problems)} problem(s) in the workbook; the first: {first}{more}")


def shown(value: object, limit: int = 60) -> str:
    """`value` safe to print: control characters escaped, at most `limit` characters."""
    text = "".join(c if c.isprintable() else _escaped(c) for c in str(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _escaped(char: str) -> str:
    return char.encode("unicode_escape").decode("ascii")


def open_workbook(data: bytes, limits: Limits) -> Workbook:
    """The workbook in `data`, formulas kept as formulas so they can be refused.

    Raises:
        WorkbookProblems: if the file is too large, or not an .xlsx workbook.
    """
    if len(data) > limits.file_bytes:
        _refuse_file(f"the file is {len(data):,} bytes; at most {limits.file_bytes:,} are read")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, NotImplementedError, EOFError):  # not a ZIP, or a damaged one
        _refuse_file("the file is not an Excel workbook (.xlsx)")
    if unpacked > limits.unpacked_bytes:
        _refuse_file(
            f"the workbook unpacks to {unpacked:,} bytes; "
            f"at most {limits.unpacked_bytes:,} are read"
        )
    try:
        book: Workbook = load_workbook(io.BytesIO(data), data_only=False, rich_text=False)
    except Exception:  # openpyxl raises many kinds for a damaged or foreign archive
        _refuse_file("the file is not an Excel workbook (.xlsx) openpyxl can read")
    return book


def _refuse_file(message: str) -> NoReturn:
    raise WorkbookProblems([Problem(sheet="(file)", row=1, column="A", message=message)])


class SheetReader:
    """One sheet's cells, checked; problems are collected, not raised."""

    def __init__(self, workbook: Workbook, name: str, headers: list[str], limits: Limits) -> None:
        self.name = name
        self.headers = headers
        self.limits = limits
        self.problems: list[Problem] = []
        self.sheet: Worksheet | None = None
        self.refused: set[tuple[int, int]] = set()  # cells already faulted: said once
        if name not in workbook.sheetnames:
            self.fault(1, 1, f'the sheet "{name}" is missing; the workbook needs it')
            return
        sheet = workbook[name]
        if sheet.max_row > limits.rows or sheet.max_column > limits.columns:
            self.fault(
                1,
                1,
                f"the sheet has {sheet.max_row:,} rows and {sheet.max_column:,} columns; "
                f"at most {limits.rows:,} rows and {limits.columns:,} columns are read",
            )
            return
        for merged in sheet.merged_cells.ranges:
            self.fault(
                merged.min_row,
                merged.min_col,
                f"merged cells ({merged.coord}) are not allowed: unmerge them",
            )
            self.refused.update(
                (row, column)
                for row in range(merged.min_row, merged.max_row + 1)
                for column in range(merged.min_col, merged.max_col + 1)
            )
        self.sheet = sheet
        found = [self.value(1, n) for n in range(1, len(headers) + 1)]
        for n, header in enumerate(headers, start=1):
            if found[n - 1] != header:
                self.fault(1, n, f'the header should be "{header}", found "{shown(found[n - 1])}"')
                self.sheet = None  # the columns cannot be trusted

    def fault(self, row: int, column: int, message: str) -> None:
        header = self.headers[column - 1] if 0 < column <= len(self.headers) and row > 1 else ""
        self.problems.append(
            Problem(
                sheet=self.name,
                row=row,
                column=get_column_letter(column),
                header=header,
                message=message,
            )
        )

    def rows(self) -> Iterator[int]:
        """The numbers of the data rows that hold anything (blank rows are skipped)."""
        if self.sheet is None:
            return
        width = len(self.headers)
        for row in range(2, self.sheet.max_row + 1):
            if any(self.sheet.cell(row, c).value not in (None, "") for c in range(1, width + 1)):
                yield row

    def value(self, row: int, column: int) -> object:
        """A cell's value: None if blank or refused (a formula, text over the limit, merged)."""
        assert self.sheet is not None
        if (row, column) in self.refused:
            return None
        cell = self.sheet.cell(row, column)
        value = cell.value
        if cell.data_type == "f" or (isinstance(value, str) and value.startswith("=")):
            return self._refuse(row, column, "a formula is not allowed; type the value itself")
        if isinstance(value, str):
            if len(value) > self.limits.cell_chars:
                return self._refuse(
                    row,
                    column,
                    f"the text is {len(value):,} characters; at most "
                    f"{self.limits.cell_chars:,} are allowed",
                )
            value = value.strip()
            return value or None
        return value

    def _refuse(self, row: int, column: int, message: str) -> object:
        self.fault(row, column, message)
        self.refused.add((row, column))
        return None

    def text(self, row: int, column: int, *, required: bool = True) -> str | None:
        value = self.value(row, column)
        if value is None:
            if required and (row, column) not in self.refused:
                self.fault(row, column, "must not be blank")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.fault(row, column, f"expected text, found {shown(value)}")
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def whole(self, row: int, column: int) -> int | None:
        value = self.value(row, column)
        number = _whole(value)
        if number is None and (row, column) not in self.refused:
            self.fault(row, column, f"expected a whole number, found {shown(value or 'nothing')}")
        return number

    def flag(self, row: int, column: int) -> bool | None:
        value = self.value(row, column)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.upper() in ("TRUE", "FALSE"):
            return value.upper() == "TRUE"
        if (row, column) not in self.refused:
            self.fault(row, column, f"expected TRUE or FALSE, found {shown(value or 'nothing')}")
        return None


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def problems_csv(problems: list[Problem]) -> str:
    """Every problem as CSV text (sheet, row, column, header, problem), for a download."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["sheet", "row", "column", "header", "problem"])
    for p in problems:
        writer.writerow([p.sheet, p.row, p.column, p.header, _inert(p.message)])
    return out.getvalue()


def _inert(text: str) -> str:
    # A spreadsheet opening the CSV must not take a message for a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
