"""What every reader of index results produces: a raw table, problems, and the header check.

A raw table has the text columns as categoricals and `n`/`value` as floats (NaN when blank);
cells that could not be read are already reported as problems. Row numbers are those a person
sees in a spreadsheet or editor: the header is row 1 and blank lines keep their number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from review.index.vocabulary import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from review.problems import Problem as Problem  # re-exported: every reader reports these

NUMBER_COLUMNS = ("n", "value")
BOM = "\ufeff"

Ints = npt.NDArray[np.int64]
RowNumbers = Callable[[Ints], Ints]


@dataclass
class RawTable:
    """Cells as read; `unreadable` marks number cells already reported in `problems`."""

    frame: pd.DataFrame
    row_numbers: RowNumbers
    problems: list[Problem] = field(default_factory=list)
    unreadable: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)


class HeaderProblems(Exception):
    """The header row is unusable; rows cannot be checked until it is fixed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def check_header(cells: Sequence[str], row: int) -> list[str]:
    """Normalised column names of a header row, or `HeaderProblems` naming each bad column."""
    names = [str(c).replace(BOM, "").strip().lower() for c in cells]
    while names and not names[-1]:
        names.pop()  # spreadsheets often leave empty trailing header cells
    known = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
    problems = [
        Problem(row, name or f"#{i + 1}", f"unknown column (expected {', '.join(known)})")
        for i, name in enumerate(names)
        if name not in known
    ]
    seen: set[str] = set()
    for name in names:
        if name in seen and name in known:
            problems.append(Problem(row, name, "the column appears twice"))
        seen.add(name)
    problems += [Problem(row, c, "missing column") for c in REQUIRED_COLUMNS if c not in names]
    if problems:
        raise HeaderProblems(problems)
    return names


def bytes_of(source: bytes | Path) -> bytes:
    """The bytes of an upload, or of the file at a path."""
    return source.read_bytes() if isinstance(source, Path) else source
