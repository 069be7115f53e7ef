"""The offline workbook as a file: one sheet of items to fill in, one hidden sheet saying whose.

Writing takes plain rows; reading gives plain rows back, or refuses the file: over the size or
row limits, damaged, with formulas or merged cells, or a cell longer than a narrative may be.
A `Layout` says which columns a kind of workbook (a self-evaluation, a reviewer's peer ratings)
has; whether the rows fit a cycle, a district and a rubric is `imports`' to decide.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from review.errors import InvalidInput
from review.limits import OFFLINE_WORKBOOK, FileLimits
from review.problems import FileProblems, Problem, escaped

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

ITEMS = "Items"
ABOUT = "About"
FORMAT = "1"
NOT_APPLICABLE = "Not applicable"
NOT_RATED = "Not rated"
MAX_CELL = 20_000  # the longest narrative a rating holds (`ratings.MAX_TEXT`)
# What the file may unpack to: the XML openpyxl parses. A 60-item workbook with full
# narratives is about 2 MB; a small file that inflates past this is a zip bomb, not a review.
MAX_UNPACKED = 100_000_000
# Headers of the columns read back; the others (title, prompt, descriptors, evidence) are
# shown to the person filling in the workbook and ignored on the way back.
ITEM, LEVEL, VERSION, CHECK = "Item", "Level", "Saved version", "Check"
META_FIELDS = ("Workbook", "Format", "District", "Cycle", "Rubric", "Rubric hash", "Exported at")
RATER = "Rated by"  # an About field of peer-ratings workbooks only
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")  # what XML cannot hold (openpyxl's list)


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of workbook besides item, title, prompt, descriptors and level.

    The Items sheet reads: Item, Title, Prompt, one descriptor per level, `before`, Level,
    `texts`, `after`, Saved version, Check. Only Level and `texts` are unlocked and read back.
    """

    kind: str  # the About sheet's "Workbook": which kind of workbook it is
    page: str  # where it is downloaded, for a message asking to download it again
    holds: str  # "{file} {holds} district B": what a workbook of one district is
    before: tuple[str, ...]  # shown, read-only, before the level
    texts: tuple[str, ...]  # the text columns filled in (the first is the rating's narrative)
    after: tuple[str, ...]  # shown, read-only, after the texts


SELF_EVALUATION = Layout(
    kind="self-evaluation",
    page="the self-evaluation page",
    holds="is the self-evaluation of",
    before=(),
    texts=("Narrative",),
    after=("Evidence linked",),
)
PEER_RATING = Layout(
    kind="peer ratings",
    page="the Rate a district page",
    holds="holds peer ratings of",
    before=("District's level", "District's narrative"),
    texts=("Rationale", "Suggestions"),
    after=(),
)
LAYOUTS = {layout.kind: layout for layout in (SELF_EVALUATION, PEER_RATING)}


@dataclass(frozen=True)
class Meta:
    """Whose workbook it is: written to the hidden About sheet, checked on the way back.

    `district` is the district rated; `rater` the reviewer district of a peer-ratings
    workbook ("" for a self-evaluation, which the district rates itself).
    """

    kind: str  # a `Layout.kind`
    district: str
    cycle: str
    rubric: str  # id@version
    rubric_hash: str
    exported_at: str
    rater: str = ""


@dataclass(frozen=True)
class ItemRow:
    """One item as downloaded: what to rate by, and the rating saved at `version`."""

    item_id: str
    title: str
    prompt: str
    descriptors: tuple[str, ...]  # one per level, in `levels` order
    level: str  # a level label, NOT_APPLICABLE, or ""
    texts: tuple[str, ...]  # one per `Layout.texts`
    shown: tuple[str, ...]  # one per `Layout.before`, then one per `Layout.after`
    version: int | None  # None: never saved


@dataclass(frozen=True)
class FilledRow:
    """One item as uploaded; `edited` is False when level and texts are as downloaded."""

    row: int
    item_id: str
    level: object  # the cell's value: a label, a number, or None
    texts: tuple[str, ...]  # one per `Layout.texts`
    version: int | None
    edited: bool

    @property
    def narrative(self) -> str:
        """The first text: a self-evaluation's narrative, a peer rating's rationale."""
        return self.texts[0]


@dataclass(frozen=True)
class FilledWorkbook:
    """An uploaded workbook that passed every check of the file itself."""

    file_name: str
    sha256: str
    meta: Meta
    rows: tuple[FilledRow, ...]

    @property
    def layout(self) -> Layout:
        return LAYOUTS[self.meta.kind]  # `read_workbook` refused any other kind


def cell_text(text: str) -> str:
    """Text as a cell keeps it: XML holds neither control characters nor a bare CR."""
    return _ILLEGAL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def check_mark(level: str, *texts: str) -> str:
    """A short digest of a row's level and texts, to tell an edited row on the way back."""
    joined = "\x00".join([level, *(cell_text(text) for text in texts)])
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


def write_workbook(
    layout: Layout,
    meta: Meta,
    levels: Sequence[str],
    rows: Sequence[ItemRow],
    *,
    not_applicable: bool = True,
) -> bytes:
    """The workbook: an Items sheet (level drop-down and `layout.texts`; the rest locked) and
    the hidden, protected About sheet with `meta` and the drop-down's choices.

    Args:
        not_applicable: whether "Not applicable" is among the drop-down's choices (whether
            any item of the rubric allows it).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    default = book.active
    if default is not None:
        book.remove(default)
    sheet = book.create_sheet(ITEMS)
    about = book.create_sheet(ABOUT)
    choices = [*levels, NOT_APPLICABLE] if not_applicable else list(levels)
    _write_about(about, meta, choices)
    header = [ITEM, "Title", "Prompt", *levels, *layout.before, LEVEL, *layout.texts]
    header += [*layout.after, VERSION, CHECK]
    sheet.append(header)
    level_col = 4 + len(levels) + len(layout.before)
    text_cols = range(level_col + 1, level_col + 1 + len(layout.texts))
    for r, item in enumerate(rows, start=2):
        before, after = item.shown[: len(layout.before)], item.shown[len(layout.before) :]
        values: list[object] = [
            item.item_id,
            item.title,
            item.prompt,
            *item.descriptors,
            *before,
            item.level,
            *item.texts,
            *after,
            item.version,
            check_mark(item.level, *item.texts),
        ]
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c)
            cell.value = cell_text(value) if isinstance(value, str) else value
            if isinstance(value, str):
                cell.data_type = "s"  # text that starts with "=" stays text
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for c in (level_col, *text_cols):
            sheet.cell(row=r, column=c).protection = Protection(locked=False)
    drop_down = DataValidation(
        type="list",
        formula1=f"{ABOUT}!$D$2:$D${len(choices) + 1}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Level",
        error="Choose a level from the list, or leave it empty.",
    )
    sheet.add_data_validation(drop_down)
    letter = sheet.cell(row=1, column=level_col).column_letter
    drop_down.add(f"{letter}2:{letter}{max(2, len(rows) + 1)}")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = {"A": 14, "B": 28, "C": 40}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    for c in range(4, len(header) - 1):
        width = 20 if c == level_col else 60 if c in text_cols else 30
        sheet.column_dimensions[sheet.cell(row=1, column=c).column_letter].width = width
    sheet.column_dimensions[sheet.cell(row=1, column=len(header)).column_letter].hidden = True
    sheet.freeze_panes = "B2"
    sheet.protection.sheet = True  # only the level and the texts are unlocked
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_about(about: Worksheet, meta: Meta, choices: list[str]) -> None:
    values = (
        meta.kind,
        FORMAT,
        meta.district,
        meta.cycle,
        meta.rubric,
        meta.rubric_hash,
        meta.exported_at,
    )
    fields = list(zip(META_FIELDS, values, strict=True))
    if meta.rater:
        fields.append((RATER, meta.rater))
    for r, (name, value) in enumerate(fields, start=1):
        about.cell(row=r, column=1, value=name)
        about.cell(row=r, column=2, value=value).data_type = "s"
    about.cell(row=1, column=4, value="Level choices")
    for r, choice in enumerate(choices, start=2):
        about.cell(row=r, column=4, value=choice).data_type = "s"
    about.sheet_state = "hidden"
    about.protection.sheet = True


# What reading a damaged ZIP raises besides the errors each check turns into a message.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, UnicodeDecodeError)


def read_workbook(
    data: bytes,
    file_name: str,
    layout: Layout = SELF_EVALUATION,
    limits: FileLimits = OFFLINE_WORKBOOK,
) -> FilledWorkbook:
    """The rows of an uploaded workbook of the kind `layout` describes, checked as a file.

    Raises:
        InvalidInput: too large, not a workbook, not one the app wrote (a sheet missing), or
            a workbook of another kind.
        FileProblems: every problem of the Items sheet, with its row and column.
    """
    limits.check_size(len(data), file_name)
    try:
        _check_unpacked(data, file_name)
        _check_rows(data, file_name, limits, layout)
    except _DAMAGED as exc:  # bytes changed in transit or on disk: the ZIP cannot be inflated
        raise InvalidInput(
            f"{escaped(file_name, limit=200)} is damaged and cannot be read "
            f"({escaped(exc, limit=200)}); download it again. Nothing was saved."
        ) from None
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data))
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InvalidInput(
            f"{escaped(file_name, limit=200)} is not a readable XLSX workbook "
            f"({escaped(exc, limit=200)}); nothing was saved"
        ) from None
    meta = _read_about(book, file_name, layout)
    if meta.kind != layout.kind:
        where = LAYOUTS[meta.kind].page if meta.kind in LAYOUTS else "the page it came from"
        raise InvalidInput(
            f"{escaped(file_name, limit=200)} is a {escaped(meta.kind)} workbook, not a "
            f"{layout.kind} workbook: upload it on {where}. Nothing was saved."
        )
    rows, problems = _read_items(book[ITEMS], layout)
    if problems:
        raise FileProblems(f"{file_name}, sheet {ITEMS}", problems, what="saved")
    return FilledWorkbook(
        file_name=file_name, sha256=hashlib.sha256(data).hexdigest(), meta=meta, rows=rows
    )


def _check_unpacked(data: bytes, file_name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InvalidInput(
            f"{escaped(file_name, limit=200)} is not an XLSX workbook; nothing was saved"
        ) from None
    if unpacked > MAX_UNPACKED:
        raise InvalidInput(
            f"{escaped(file_name, limit=200)} unpacks to {unpacked / 1e6:,.0f} MB, more than "
            f"the {MAX_UNPACKED / 1e6:,.0f} MB an offline workbook may; nothing was saved"
        )


def _check_rows(data: bytes, file_name: str, limits: FileLimits, layout: Layout) -> None:
    """Refuse missing sheets and too many rows in one streaming pass that stops at the limit.

    Read straight from the XML: openpyxl, even read-only, parses a whole sheet that does not
    state its size before giving the first row.
    """
    name = escaped(file_name, limit=200)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = _sheet_parts(archive, name)
        for sheet in (ITEMS, ABOUT):
            if sheet not in parts:
                raise InvalidInput(
                    f"{name} has no sheet {sheet!r} (it has: "
                    f"{escaped(', '.join(parts), limit=200)}): upload the workbook "
                    f"downloaded from {layout.page}, with its sheets as they were"
                )
        try:
            with archive.open(parts[ITEMS]) as stream:
                count = 0
                for _, element in ElementTree.iterparse(stream):
                    if element.tag == f"{_MAIN}row":
                        count += 1 if any(len(cell) for cell in element) else 0
                        element.clear()
                        if count > limits.max_rows + 1:  # the header is the first
                            raise FileProblems(
                                f"{file_name}, sheet {ITEMS}",
                                [Problem(int(element.get("r", count)), "", limits.too_many_rows())],
                                what="saved",
                            )
        except (KeyError, ElementTree.ParseError) as exc:
            raise InvalidInput(
                f"{name}: sheet {ITEMS} cannot be read ({escaped(exc, limit=200)}); "
                "nothing was saved"
            ) from None


def _sheet_parts(archive: zipfile.ZipFile, name: str) -> dict[str, str]:
    """Sheet name -> the archive member holding it, in workbook order."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        raise InvalidInput(f"{name} is not a readable XLSX workbook; nothing was saved") from None
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    parts = {}
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"), "")
        parts[sheet.get("name", "")] = (
            target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        )
    return parts


def _read_about(book: object, file_name: str, layout: Layout) -> Meta:
    if ABOUT not in book.sheetnames:  # type: ignore[attr-defined]
        raise InvalidInput(
            f"{escaped(file_name, limit=200)} has no readable {ABOUT} sheet: upload the "
            f"workbook downloaded from {layout.page}. Nothing was saved."
        )
    sheet = book[ABOUT]  # type: ignore[index]
    found = {
        str(name): "" if value is None else str(value)
        for name, value in sheet.iter_rows(min_row=1, max_row=20, max_col=2, values_only=True)
        if name is not None
    }
    # Peer ratings also say whose: the reviewer district's.
    needed = (*META_FIELDS, RATER) if found.get("Workbook") == PEER_RATING.kind else META_FIELDS
    missing = [f for f in needed if not found.get(f)]
    if missing or found["Format"] != FORMAT:
        raise InvalidInput(
            f"{escaped(file_name, limit=200)}: its {ABOUT} sheet does not say whose workbook it "
            f"is ({', '.join(missing) or 'Format'} missing or changed); download the workbook "
            f"again from {layout.page}"
        )
    return Meta(
        kind=found["Workbook"],
        district=found["District"],
        cycle=found["Cycle"],
        rubric=found["Rubric"],
        rubric_hash=found["Rubric hash"],
        exported_at=found["Exported at"],
        rater=found.get(RATER, ""),
    )


def _read_items(sheet: Worksheet, layout: Layout) -> tuple[tuple[FilledRow, ...], list[Problem]]:
    problems = [
        Problem(merged.min_row, merged.coord, "merged cells: unmerge them, one value per cell")
        for merged in sorted(sheet.merged_cells.ranges, key=lambda m: (m.min_row, m.min_col))
    ]
    header = [str(c.value) if c.value is not None else "" for c in sheet[1]]
    where = {name: index for index, name in enumerate(header)}
    read = (ITEM, LEVEL, *layout.texts, VERSION, CHECK)
    absent = [name for name in read if name not in where]
    if absent:
        return (), [Problem(1, name, "this column is missing from the header") for name in absent]
    rows = []
    for cells in sheet.iter_rows(min_row=2):
        found = _read_row(cells, where, header, layout, problems)
        if found is not None:
            rows.append(found)
    return tuple(rows), problems


def _read_row(
    cells: tuple[object, ...],
    where: dict[str, int],
    header: list[str],
    layout: Layout,
    problems: list[Problem],
) -> FilledRow | None:
    values: list[object] = []
    row = 0
    for index, cell in enumerate(cells):
        row = getattr(cell, "row", row)
        value = getattr(cell, "value", None)
        column = header[index] if index < len(header) else getattr(cell, "coordinate", "")
        if getattr(cell, "data_type", None) == "f":
            problems.append(Problem(row, column, f"a formula ({escaped(value)}): type the value"))
            value = None
        elif isinstance(value, str) and len(value) > MAX_CELL:
            problems.append(
                Problem(row, column, f"has {len(value):,} characters; at most {MAX_CELL:,} fit")
            )
            value = None
        values.append(value)
    values += [None] * (len(header) - len(values))
    if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
        return None
    item, level = values[where[ITEM]], values[where[LEVEL]]
    texts = tuple(
        "" if values[where[name]] is None else cell_text(str(values[where[name]]))
        for name in layout.texts
    )
    level_text = "" if level is None else str(level).strip()
    return FilledRow(
        row=row,
        item_id="" if item is None else str(item).strip(),
        level=level,
        texts=texts,
        version=_version(values[where[VERSION]], row, problems),
        edited=values[where[CHECK]] != check_mark(level_text, *texts),
    )


def _version(value: object, row: int, problems: list[Problem]) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, float) and value.is_integer() and value > 0:
        return int(value)
    problems.append(
        Problem(row, VERSION, f"'{escaped(value)}' is not a version: leave this column as it was")
    )
    return None
