"""Rubrics in Excel: a version written as a workbook a coordinator can edit, and read back.

The workbook holds every field of a rubric version, so YAML -> workbook -> rubric is lossless.
Its id columns are protected (without a password: a guard against slips, not a lock), the
other columns are unlocked and carry drop-downs and limits. Reading it back refuses formulas,
merged cells, over-long text and over-large files, and names every problem by sheet, row and
column. An imported workbook becomes a new version (`review.rubric_store.publish`); the
version it was exported from is never changed.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import BaseModel, ConfigDict, ValidationError

from review.errors import RubricError
from review.rubrics import (
    COLLECT_INCONSISTENCIES,
    Catalogue,
    Change,
    Rubric,
    content_hash,
    diff,
    inconsistencies,
)
from review.workbook_checks import (
    Limits,
    Problem,
    SheetReader,
    WorkbookProblems,
    open_workbook,
    shown,
)

FORMAT = "review-rubric-workbook"
FORMAT_VERSION = 1
LIMITS = Limits(
    file_bytes=2_000_000,
    unpacked_bytes=20_000_000,
    rows=1_000,
    columns=30,
    cell_chars=4_000,
)
SPARE_ROWS = 40  # unlocked blank rows below the data, for new items and expectations

Path_ = tuple[str | int, ...]
Place = tuple[str, int, int]  # sheet, row, column

RUBRIC_FIELDS = [
    ("format", None),
    ("format version", None),
    ("rubric id", None),
    ("exported from version", None),
    ("title", ("title",)),
    ("school year", ("school_year",)),
    ("meets at level", ("compliance", "meets")),
    ("partially meets at level", ("compliance", "partially_meets")),
    ("crosswalk from version", ("crosswalk", "from_version")),
]
HEADERS = {
    "Rubric": ["Field", "Value"],
    "Scale": ["Level", "Label", "Meaning"],
    "Settings": ["Name", "Value"],
    "Principles": ["Principle id", "Title"],
    "Items": [
        "Item id",
        "Principle",
        "Title",
        "Prompt",
        "Evidence required",
        "Item required",
        "Not applicable allowed",
    ],
    "Evidence": ["Item id", "Expectation"],
    "Context measures": ["Item id", "Measure id", "Label"],
    "Crosswalk": ["Old item id", "New item id"],
}
ITEM_FLAGS = {5: "evidence_required", 6: "required", 7: "allow_not_applicable"}


def level_headers(levels: list[int]) -> list[str]:
    return ["Item id", *(f"Level {level}" for level in levels)]


# --- writing --------------------------------------------------------------------------------


def write_workbook(rubric: Rubric) -> bytes:
    """The rubric version as an .xlsx workbook (bytes), ready for a coordinator to edit."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    rows = {
        "Rubric": _rubric_rows(rubric),
        "Scale": [[s.level, s.label, s.meaning] for s in rubric.scale],
        "Settings": [[name, value] for name, value in rubric.settings.items()],
        "Principles": [[p.id, p.title] for p in rubric.principles],
        "Items": [
            [i.id, i.principle, i.title, i.prompt]
            + [getattr(i, field) for field in ITEM_FLAGS.values()]
            for i in rubric.items
        ],
        "Descriptors": [[i.id, *(i.descriptors[lv] for lv in rubric.levels)] for i in rubric.items],
        "Exemplars": [[i.id, *(i.exemplars.get(lv) for lv in rubric.levels)] for i in rubric.items],
        "Evidence": [[i.id, text] for i in rubric.items for text in i.evidence_expectations],
        "Context measures": [
            [i.id, m.id, m.label] for i in rubric.items for m in i.context_measures
        ],
        "Crosswalk": [
            [old, new] for old, new in (rubric.crosswalk.items if rubric.crosswalk else {}).items()
        ],
    }
    for name, data in rows.items():
        headers = HEADERS.get(name) or level_headers(rubric.levels)
        _sheet(book.create_sheet(name), headers, data)
    _validations(book, rubric)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rubric_rows(rubric: Rubric) -> list[list[Any]]:
    values = [
        FORMAT,
        FORMAT_VERSION,
        rubric.id,
        rubric.version,
        rubric.title,
        rubric.school_year,
        rubric.compliance.meets,
        rubric.compliance.partially_meets,
        rubric.crosswalk.from_version if rubric.crosswalk else None,
    ]
    return [[field, value] for (field, _), value in zip(RUBRIC_FIELDS, values, strict=True)]


# Columns a coordinator must not retype: ids that other sheets and other versions refer to.
LOCKED = {"Rubric": {1}, "Principles": {1}, "Items": {1}, "Descriptors": {1}, "Exemplars": {1}}


def _sheet(sheet: Worksheet, headers: list[str], rows: list[list[Any]]) -> None:
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in rows:
        # Text is stored as text: a value starting with "=" would otherwise become a formula.
        sheet.append(values)
        for written in sheet[sheet.max_row]:
            if isinstance(written.value, str):
                written.data_type = "s"
    locked = LOCKED.get(sheet.title, set())
    for row in range(2, len(rows) + 2 + SPARE_ROWS):
        for column in range(1, len(headers) + 1):
            keep = column in locked and row <= len(rows) + 1
            if sheet.title == "Rubric" and row <= 5:
                keep = True  # format, its version, the rubric id and the source version
            cell = sheet.cell(row, column)
            cell.protection = Protection(locked=keep)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column in range(1, len(headers) + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 14 if column == 1 else 48
    sheet.freeze_panes = "B2"
    sheet.protection.sheet = True
    for allowed in ("insertRows", "deleteRows", "formatColumns", "formatRows", "autoFilter"):
        setattr(sheet.protection, allowed, False)  # False: people may do it


def _validations(book: Workbook, rubric: Rubric) -> None:
    last = len(rubric.items) + 1 + SPARE_ROWS
    levels = (min(rubric.levels), max(rubric.levels))
    whole = DataValidation(
        type="whole", operator="between", formula1="0", formula2="10", showErrorMessage=True
    )
    whole.error = "A level is a whole number from 0 to 10."
    book["Scale"].add_data_validation(whole)
    whole.add(f"A2:A{len(rubric.scale) + 1 + SPARE_ROWS}")
    compliance = DataValidation(
        type="whole", operator="between", formula1=str(levels[0]), formula2=str(levels[1])
    )
    book["Rubric"].add_data_validation(compliance)
    compliance.add("B8:B9")
    items = book["Items"]
    principle = DataValidation(type="list", formula1=f"Principles!$A$2:$A${last}")
    flag = DataValidation(type="list", formula1='"TRUE,FALSE"', showErrorMessage=True)
    flag.error = "TRUE or FALSE"
    for validation in (principle, flag):
        items.add_data_validation(validation)
    principle.add(f"B2:B{last}")
    flag.add(f"E2:G{last}")
    for name, column in (("Evidence", "A"), ("Context measures", "A"), ("Crosswalk", "B")):
        item_id = DataValidation(type="list", formula1=f"Items!$A$2:$A${last}")
        book[name].add_data_validation(item_id)
        item_id.add(f"{column}2:{column}{last}")
    # One validation per cell (Excel refuses overlapping ones): text limits where no list is.
    width = get_column_letter(len(rubric.levels) + 1)
    text_columns = {**TEXT_COLUMNS, "Descriptors": [f"B:{width}"], "Exemplars": [f"B:{width}"]}
    for name, columns in text_columns.items():
        length = DataValidation(
            type="textLength", operator="lessThanOrEqual", formula1=str(LIMITS.cell_chars)
        )
        length.error = f"At most {LIMITS.cell_chars:,} characters."
        book[name].add_data_validation(length)
        for span in columns:
            first, _, end = span.partition(":")
            length.add(f"{first}2:{end or first}{last}")


TEXT_COLUMNS = {
    "Scale": ["B:C"],
    "Settings": ["A:B"],
    "Principles": ["A:B"],
    "Items": ["A", "C:D"],
    "Evidence": ["B"],
    "Context measures": ["B:C"],
    "Crosswalk": ["A"],
}


# --- reading --------------------------------------------------------------------------------


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
        elif field.endswith("level"):
            _put(reading.raw, path, sheet.whole(row, 2))
        else:
            text = sheet.text(row, 2, required=path != ("crosswalk", "from_version"))
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
        item.update(descriptors={}, exemplars={}, evidence_expectations=[], context_measures=[])
        reading.put(("items", n), sheet, row, 1)
        for column, field in enumerate(["id", "principle", "title", "prompt"], start=1):
            reading.put(("items", n, field), sheet, row, column)
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
    if not sep or not rubric_id or not version or "/" in key or ".." in key:
        raise RubricError(f"{shown(key)!r}: expected ID@VERSION, e.g. core-p2@2016-17")
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
