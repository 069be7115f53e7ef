"""Rubrics in Excel: the workbook layout, and a version written as a workbook to edit.

The workbook holds every field of a rubric version, so YAML -> workbook -> rubric is lossless
(`review.rubric_import` reads it back). Its id columns are protected (without a password: a
guard against slips, not a lock); the other columns are unlocked and carry drop-downs and
limits.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from review.rubrics import Rubric
from review.workbook_checks import Limits

FORMAT = "review-rubric-workbook"
FORMAT_VERSION = 2  # 2: whose words each descriptor is, and what a version corrects
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
    ("descriptor provenance recorded", ("provenance_recorded",)),
    ("corrects version", ("corrects", "version")),
    ("what this version corrects", ("corrects", "summary")),
]
PROVENANCE_ROW = 11  # the Rubric sheet's row of "descriptor provenance recorded"
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
        "Note on sources",
    ],
    "Evidence": ["Item id", "Expectation"],
    "Context measures": ["Item id", "Measure id", "Label"],
    "Crosswalk": ["Old item id", "New item id"],
    "Sources": ["Source id", "Short citation", "Full citation"],
    "Quotations": ["Item id", "Level", "Source id", "Where in the source"],
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
            + [i.source_note]
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
        "Sources": [[s.id, s.short, s.citation] for s in rubric.sources],
        "Quotations": [
            [i.id, level, q.source, q.location]
            for i in rubric.items
            for level, q in sorted(i.quoted.items())
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
        rubric.provenance_recorded,
        rubric.corrects.version if rubric.corrects else None,
        rubric.corrects.summary if rubric.corrects else None,
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
    recorded = DataValidation(type="list", formula1='"TRUE,FALSE"', showErrorMessage=True)
    recorded.error = "TRUE or FALSE"
    book["Rubric"].add_data_validation(recorded)
    recorded.add(f"B{PROVENANCE_ROW}")
    items = book["Items"]
    principle = DataValidation(type="list", formula1=f"Principles!$A$2:$A${last}")
    flag = DataValidation(type="list", formula1='"TRUE,FALSE"', showErrorMessage=True)
    flag.error = "TRUE or FALSE"
    for validation in (principle, flag):
        items.add_data_validation(validation)
    principle.add(f"B2:B{last}")
    flag.add(f"E2:G{last}")
    quoted_level = DataValidation(
        type="list", formula1=f"Scale!$A$2:$A${len(rubric.scale) + 1}", showErrorMessage=True
    )
    source_id = DataValidation(type="list", formula1=f"Sources!$A$2:$A${last}")
    for validation in (quoted_level, source_id):
        book["Quotations"].add_data_validation(validation)
    quoted_level.add(f"B2:B{last}")
    source_id.add(f"C2:C{last}")
    named = (("Evidence", "A"), ("Context measures", "A"), ("Crosswalk", "B"), ("Quotations", "A"))
    for name, column in named:
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
    "Items": ["A", "C:D", "H"],
    "Evidence": ["B"],
    "Context measures": ["B:C"],
    "Crosswalk": ["A"],
    "Sources": ["A:C"],
    "Quotations": ["D"],
}
