"""Problems found in an imported file, and how text from the file is shown in messages.

Every import (index results, districts, triads) reports what is wrong the same way: each problem
names its row (the header is row 1) and column; the command line prints one line (how many, and
the first) and writes the whole list to a CSV beside the input; the page shows the first few and
offers the same CSV as a download. Text from a file is always shown through `escaped`, so a
control character in a hostile file reaches no terminal and no page as itself.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from review.errors import InvalidInput

__all__ = ["FileProblems", "Problem", "escaped", "problems_csv", "problems_path"]

SHOWN_CHARACTERS = 80  # of one cell quoted in a message; a 2-million-character cell is not echoed
# Line separators and the invisible formatting characters (bidirectional overrides among them)
# can disguise text as much as control characters can.
_ESCAPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escaped(text: object, *, limit: int = SHOWN_CHARACTERS) -> str:
    """`text` as a message may quote it: control and formatting characters written as escapes
    (``\\x1b``, ``\\u202e``), and cut to `limit` characters with "…" (and its length) after."""
    value = str(text)
    shown = "".join(_escape(c) for c in value[:limit])
    if len(value) > limit:
        shown += f"… ({len(value):,} characters)"
    return shown


def _escape(char: str) -> str:
    if unicodedata.category(char) not in _ESCAPED_CATEGORIES:
        return char
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else (f"\\U{code:08x}")
    )


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, where the person sees it (`column` "" for a row)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        column = escaped(self.column)
        where = f"row {self.row}, column {column}" if self.column else f"row {self.row}"
        # Messages quote file text through `escaped` already; this catches any that did not
        # (a library's exception text about a damaged file).
        return f"{where}: {escaped(self.message, limit=2000)}"


class FileProblems(InvalidInput):
    """A file was refused; `problems` lists every problem found, in file order.

    The message is one line: how many problems, and the first with its row and column.
    """

    def __init__(self, source: str, problems: Sequence[Problem], *, what: str = "imported") -> None:
        self.source = escaped(source, limit=200)
        self.problems = list(problems)
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        first = (
            f": {self.problems[0]}"
            if len(self.problems) == 1
            else f"; the first: {self.problems[0]}"
            if self.problems
            else ""
        )
        super().__init__(f"{self.source}: {count}, nothing was {what}{first}")


def problems_csv(problems: Sequence[Problem]) -> bytes:
    """Every problem as CSV (row, column, problem), UTF-8 with a byte-order mark for Excel.

    Cells are escaped like messages, and one that Excel would read as a formula is prefixed
    with an apostrophe, so the list is safe to open.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", "column", "problem"])
    for problem in problems:
        writer.writerow([problem.row, _inert(escaped(problem.column)), _inert(problem.message)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def problems_path(source: Path) -> Path:
    """Where the full list of a file's problems is written: beside it, `FILE.problems.csv`."""
    return source.with_name(source.name + ".problems.csv")


def _inert(cell: str) -> str:
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
