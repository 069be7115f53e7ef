"""Rubric workbooks read back: every problem named by sheet, row and column, then a preview.

Formulas, merged cells, over-long text and over-large files are refused (`review.workbook_checks`);
the values become a rubric validated by the rubric's own rules, each fault placed at its cell.
An imported workbook becomes a new version only through `review.rubric_store.publish`; the
version it was exported from is never changed.
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.utils import get_column_letter
from pydantic import BaseModel, ConfigDict, ValidationError

from review.errors import RubricError
from review.rubric_workbook import (
    FORMAT,
    FORMAT_VERSION,
    HEADERS,
    ITEM_FLAGS,
    LIMITS,
    RUBRIC_FIELDS,
    Path_,
    Place,
    level_headers,
)
from review.rubrics import (
    COLLECT_INCONSISTENCIES,
    RUBRIC_ID,
    VERSION,
    Catalogue,
    Change,
    Rubric,
    content_hash,
    diff,
    inconsistencies,
)
from review.workbook_checks import Problem, SheetReader, WorkbookProblems, open_workbook, shown


class _Reading:
    """The workbook's values as the raw rubric mapping, with the cell each value came from."""

    def __init__(self, data: bytes) -> None:
        self.book = open_workbook(data, LIMITS)
        self.readers: list[SheetReader] = []
        self.where: dict[Path_, Place] = {}
        self.raw: dict[str, Any] = {}
        self.levels: list[int] = []

    def reader(self, name: str, headers: list[str]) -> SheetReader:
        reader = SheetReader(self.book, name, headers, LIMITS)
        self.readers.append(reader)
        return reader

    def put(self, path: Path_, sheet: SheetReader, row: int, column: int) -> None:
        self.where[path] = (sheet.name, row, column)

    @property
    def problems(self) -> list[Problem]:
        return [p for r in self.readers for p in r.problems]


def read_workbook(data: bytes, *, rubric_id: str, version: str) -> tuple[Rubric, str]:
    """The rubric version `rubric_id@version` a workbook describes, and the version it was
    exported from.

    Raises:
        WorkbookProblems: every problem found, each with its sheet, row and column.
    """
    reading = _Reading(data)
    source = _read_rubric_sheet(reading, rubric_id)
    reading.raw.update(id=rubric_id, version=version)
    levels = reading.levels = _read_scale(reading)
    _read_settings(reading)
    _read_principles(reading)
    items = _read_items(reading)
    _read_levels(reading, items, levels, "Descriptors", "descriptors", required=True)
    _read_levels(reading, items, levels, "Exemplars", "exemplars", required=False)
    _read_lists(reading, items)
    _read_crosswalk(reading)
    _read_sources(reading, items)
    if reading.problems:
        raise WorkbookProblems(reading.problems)
    return _validated(reading), source


def _read_rubric_sheet(reading: _Reading, rubric_id: str) -> str:
    sheet = reading.reader("Rubric", HEADERS["Rubric"])
    if sheet.sheet is None:
        return ""
    values: dict[str, object] = {}
    for row, (field, path) in enumerate(RUBRIC_FIELDS, start=2):
        if sheet.text(row, 1) != field:
            sheet.fault(row, 1, f'expected the field "{field}" here')
            continue
        if path is None:
            values[field] = sheet.value(row, 2)
        elif path == ("provenance_recorded",):
            _put(reading.raw, path, sheet.flag(row, 2))
        elif field.endswith("level"):
            _put(reading.raw, path, sheet.whole(row, 2))
        else:
            text = sheet.text(row, 2, required=path[0] not in ("crosswalk", "corrects"))
            if text is not None:
                _put(reading.raw, path, text)
        if path is not None:
            reading.put(path, sheet, row, 2)
    if sheet.problems:
        return ""
    if values["format"] != FORMAT:
        sheet.fault(2, 2, f"this is not a rubric workbook (expected {FORMAT})")
    elif values["format version"] != FORMAT_VERSION:
        sheet.fault(
            3,
            2,
            f"this workbook is format version {shown(values['format version'])}; "
            f"this app reads version {FORMAT_VERSION}: export the rubric again",
        )
    elif values["rubric id"] != rubric_id:
        sheet.fault(
            4,
            2,
            f"this workbook is of rubric {shown(values['rubric id'])}, not {rubric_id}: "
            f"publish it as a version of {shown(values['rubric id'])}",
        )
    return str(values["exported from version"] or "")


def _put(raw: dict[str, Any], path: Path_, value: object) -> None:
    if len(path) == 2:
        raw.setdefault(str(path[0]), {})[path[1]] = value
    else:
        raw[str(path[0])] = value


def _read_scale(reading: _Reading) -> list[int]:
    sheet = reading.reader("Scale", HEADERS["Scale"])
    scale: list[dict[str, Any]] = []
    for row in sheet.rows():
        n = len(scale)
        scale.append({"level": sheet.whole(row, 1), "label": sheet.text(row, 2)})
        scale[-1]["meaning"] = sheet.text(row, 3)
        for column, field in enumerate(("level", "label", "meaning"), start=1):
            reading.put(("scale", n, field), sheet, row, column)
        reading.put(("scale", n), sheet, row, 1)
    reading.raw["scale"] = scale
    return [s["level"] for s in scale if isinstance(s["level"], int)]


def _read_settings(reading: _Reading) -> None:
    sheet = reading.reader("Settings", HEADERS["Settings"])
    settings: dict[str, object] = {}
    for row in sheet.rows():
        name = sheet.text(row, 1)
        value = sheet.value(row, 2)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if value is None or isinstance(value, bool) or not isinstance(value, (int, str)):
            sheet.fault(row, 2, "expected a whole number or text")
        if name is not None:
            if name in settings:
                sheet.fault(row, 1, f"the setting {shown(name)} is listed twice")
            settings[name] = value
            reading.put(("settings", name), sheet, row, 2)
    reading.raw["settings"] = settings


def _read_principles(reading: _Reading) -> None:
    sheet = reading.reader("Principles", HEADERS["Principles"])
    principles: list[dict[str, Any]] = []
    for row in sheet.rows():
        reading.put(("principles", len(principles)), sheet, row, 1)
        reading.put(("principles", len(principles), "title"), sheet, row, 2)
        principles.append({"id": sheet.text(row, 1), "title": sheet.text(row, 2)})
    reading.raw["principles"] = principles


def _read_items(reading: _Reading) -> dict[str, int]:
    """The Items sheet into `raw["items"]`; returns each item id's position."""
    sheet = reading.reader("Items", HEADERS["Items"])
    items: list[dict[str, Any]] = []
    positions: dict[str, int] = {}
    for row in sheet.rows():
        n = len(items)
        item: dict[str, Any] = {"id": sheet.text(row, 1), "principle": sheet.text(row, 2)}
        item.update(title=sheet.text(row, 3), prompt=sheet.text(row, 4))
        for column, field in ITEM_FLAGS.items():
            item[field] = sheet.flag(row, column)
        item["source_note"] = sheet.text(row, 8, required=False)
        item.update(descriptors={}, exemplars={}, evidence_expectations=[], context_measures=[])
        item["quoted"] = {}
        reading.put(("items", n), sheet, row, 1)
        for column, field in enumerate(["id", "principle", "title", "prompt"], start=1):
            reading.put(("items", n, field), sheet, row, column)
        reading.put(("items", n, "source_note"), sheet, row, 8)
        for column, field in ITEM_FLAGS.items():
            reading.put(("items", n, field), sheet, row, column)
        if isinstance(item["id"], str):
            positions.setdefault(item["id"], n)  # a second use is refused by the rubric's rules
        items.append(item)
    reading.raw["items"] = items
    return positions


def _item_of(sheet: SheetReader, row: int, column: int, items: dict[str, int]) -> int | None:
    item_id = sheet.text(row, column)
    if item_id is None:
        return None
    if item_id not in items:
        sheet.fault(row, column, f"there is no item {shown(item_id)} on the Items sheet")
        return None
    return items[item_id]


def _read_levels(
    reading: _Reading,
    items: dict[str, int],
    levels: list[int],
    name: str,
    field: str,
    *,
    required: bool,
) -> None:
    sheet = reading.reader(name, level_headers(levels))
    seen: set[int] = set()
    for row in sheet.rows():
        n = _item_of(sheet, row, 1, items)
        if n is None:
            continue
        if n in seen:
            sheet.fault(row, 1, "this item has a row above already")
            continue
        seen.add(n)
        reading.put(("items", n, field), sheet, row, 1)
        texts = reading.raw["items"][n][field]
        for column, level in enumerate(levels, start=2):
            text = sheet.text(row, column, required=required)
            reading.put(("items", n, field, level), sheet, row, column)
            if text is not None:
                texts[level] = text


def _read_lists(reading: _Reading, items: dict[str, int]) -> None:
    evidence = reading.reader("Evidence", HEADERS["Evidence"])
    for row in evidence.rows():
        n = _item_of(evidence, row, 1, items)
        text = evidence.text(row, 2)
        if n is not None and text is not None:
            texts = reading.raw["items"][n]["evidence_expectations"]
            reading.put(("items", n, "evidence_expectations", len(texts)), evidence, row, 2)
            texts.append(text)
    measures = reading.reader("Context measures", HEADERS["Context measures"])
    for row in measures.rows():
        n = _item_of(measures, row, 1, items)
        measure = {"id": measures.text(row, 2), "label": measures.text(row, 3)}
        if n is not None:
            found = reading.raw["items"][n]["context_measures"]
            reading.put(("items", n, "context_measures", len(found)), measures, row, 2)
            reading.put(("items", n, "context_measures", len(found), "label"), measures, row, 3)
            found.append(measure)


def _read_crosswalk(reading: _Reading) -> None:
    sheet = reading.reader("Crosswalk", HEADERS["Crosswalk"])
    walk: dict[str, str | None] = {}
    for row in sheet.rows():
        old, new = sheet.text(row, 1), sheet.text(row, 2)
        if old is not None:
            if old in walk:
                sheet.fault(row, 1, f"the old item {shown(old)} is listed twice")
            walk[old] = new
            reading.put(("crosswalk", "items", old), sheet, row, 2)
    header = reading.raw.get("crosswalk")
    if walk and header is None:
        sheet.fault(2, 1, 'renamed items need "crosswalk from version" on the Rubric sheet')
    elif header is not None:
        header["items"] = walk


def _read_sources(reading: _Reading, items: dict[str, int]) -> None:
    """The Sources sheet, and on the Quotations sheet which descriptors quote them verbatim."""
    sheet = reading.reader("Sources", HEADERS["Sources"])
    sources: list[dict[str, Any]] = []
    for row in sheet.rows():
        n = len(sources)
        sources.append(
            {"id": sheet.text(row, 1), "short": sheet.text(row, 2), "citation": sheet.text(row, 3)}
        )
        reading.put(("sources", n), sheet, row, 1)
        for column, field in enumerate(("id", "short", "citation"), start=1):
            reading.put(("sources", n, field), sheet, row, column)
    reading.raw["sources"] = sources
    quotes = reading.reader("Quotations", HEADERS["Quotations"])
    for row in quotes.rows():
        at = _item_of(quotes, row, 1, items)
        level = quotes.whole(row, 2)
        quote = {"source": quotes.text(row, 3), "location": quotes.text(row, 4)}
        if at is None or level is None:
            continue
        n = at
        quoted = reading.raw["items"][n]["quoted"]
        if level in quoted:
            quotes.fault(row, 2, f"level {level} of this item is listed above already")
            continue
        quoted[level] = quote
        reading.put(("items", n, "quoted", level), quotes, row, 2)
        reading.put(("items", n, "quoted", level, "source"), quotes, row, 3)
        reading.put(("items", n, "quoted", level, "location"), quotes, row, 4)


def _validated(reading: _Reading) -> Rubric:
    try:
        rubric = Rubric.model_validate(reading.raw, context={COLLECT_INCONSISTENCIES: True})
    except ValidationError as exc:
        found = [(tuple(e["loc"]), e["msg"].removeprefix("Value error, ")) for e in exc.errors()]
    else:
        found = [(i.path, i.message) for i in inconsistencies(rubric)]
        if not found:
            return rubric
    raise WorkbookProblems([_problem(reading, path, message) for path, message in found])


def _problem(reading: _Reading, path: Path_, message: str) -> Problem:
    """The problem placed at the cell of `path`, or of its nearest enclosing entry."""
    for end in range(len(path), 0, -1):
        if path[:end] in reading.where:
            sheet, row, column = reading.where[path[:end]]
            break
    else:
        sheet, row, column = "Rubric", 1, 1
    headers = HEADERS.get(sheet) or level_headers(reading.levels)
    header = headers[column - 1] if row > 1 and column <= len(headers) else ""
    return Problem(
        sheet=sheet, row=row, column=get_column_letter(column), header=header, message=message
    )


# --- importing ------------------------------------------------------------------------------


class Preview(BaseModel):
    """What publishing a workbook would do: the new version, its source, and the changes."""

    model_config = ConfigDict(frozen=True)

    rubric: Rubric
    based_on: Rubric
    changes: list[Change]
    sha256: str


def preview_import(catalogue: Catalogue, data: bytes, key: str) -> Preview:
    """Validate a workbook as the new version `key` and show how it differs from its source.

    Nothing is written; `review.rubric_store.publish(…, preview.rubric, …)` publishes it.

    Raises:
        RubricError: `key` is malformed or already taken, or the source version is unknown.
        WorkbookProblems: the workbook's problems, each with its sheet, row and column.
    """
    rubric_id, sep, version = key.partition("@")
    if not (sep and re.match(RUBRIC_ID, rubric_id) and re.match(VERSION, version)):
        raise RubricError(
            f"{shown(key)!r}: expected ID@VERSION, e.g. core-p2@2016-17 (a version is letters, "
            "digits, '.', '_' and '-')"
        )
    if catalogue.exists(rubric_id, version):
        raise RubricError(
            f"{key} is already published, and a published version never changes: "
            "choose a new version name"
        )
    rubric, source = read_workbook(data, rubric_id=rubric_id, version=version)
    if not catalogue.exists(rubric_id, source):
        raise WorkbookProblems(
            [
                Problem(
                    sheet="Rubric",
                    row=5,
                    column="B",
                    header="Value",
                    message=f"the version it was exported from, {shown(source)}, is not known",
                )
            ]
        )
    based_on = catalogue.get(rubric_id, source)
    return Preview(
        rubric=rubric,
        based_on=based_on,
        changes=diff(based_on, rubric),
        sha256=content_hash(rubric),
    )
