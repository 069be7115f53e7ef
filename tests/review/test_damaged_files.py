"""A file damaged in transit is refused with a message, never an exception of the reader.

Each reader gets copies of a valid workbook with one to four bytes changed (a fixed seed, so a
failure can be replayed). Reading may succeed (the damage missed what matters) or be refused as
a ReviewError; anything else would reach a person as a traceback or "Something went wrong".
"""

from __future__ import annotations

import io
import random
from collections import Counter
from collections.abc import Callable

import openpyxl
import pytest

from review import roster
from review.errors import ReviewError
from review.index.importer import parse_results
from review.rubric_import import read_workbook as read_rubric_workbook
from review.rubric_workbook import write_workbook
from review.rubrics import Catalogue
from review.settings import Settings

COPIES = 1000


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rubric() -> bytes:
    return write_workbook(Catalogue(Settings.from_env({}).rubrics_dir).get("core-p2", "2015-16.1"))


READERS: dict[str, tuple[Callable[[], bytes], Callable[[bytes], object]]] = {
    "triads": (
        lambda: _xlsx([["triad", "district_code"], ["North", "ALV"], ["North", "CPU"]]),
        lambda data: roster.parse_triads(data, "triads.xlsx"),
    ),
    "districts": (
        lambda: _xlsx([["code", "name", "enrollment"], ["ALV", "Alder Valley", 1000]]),
        lambda data: roster.parse_districts(data, "districts.xlsx"),
    ),
    "index results": (
        lambda: _xlsx([["school_id", "metric"]] + [["S1", "x"]] * 50),
        lambda data: parse_results(data, file_name="results.xlsx"),
    ),
    "rubric workbook": (
        _rubric,
        lambda data: read_rubric_workbook(data, rubric_id="core-p2", version="2016-17"),
    ),
}


@pytest.mark.parametrize("kind", READERS)
def test_a_damaged_file_is_read_or_refused_never_an_exception(kind):
    make, read = READERS[kind]
    data = make()
    chance = random.Random(kind)
    outcomes: Counter[str] = Counter()
    for _ in range(COPIES):
        damaged = bytearray(data)
        for _ in range(chance.randint(1, 4)):
            damaged[chance.randrange(len(damaged))] = chance.randrange(256)
        try:
            read(bytes(damaged))
            outcomes["read"] += 1
        except ReviewError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > COPIES // 2  # the damage was real: most copies are refused
