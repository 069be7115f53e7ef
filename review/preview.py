"""Evidence previews as plain data: PDF page text, images, tables, and document text."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

from pypdf import PdfReader
from pypdf.errors import PdfReadError

MAX_PAGES = 5
MAX_ROWS = 200
MAX_CHARS = 20_000
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


@dataclass(frozen=True)
class Preview:
    """What to show of a file: `kind` is image, pages, table, text or none."""

    kind: str
    pages: tuple[str, ...] = ()
    title: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = field(default_factory=tuple)
    text: str = ""
    note: str = ""


def preview(data: bytes, media_type: str) -> Preview:
    """A preview of an evidence file; a damaged file gives a note instead of an error."""
    try:
        return _preview(data, media_type)
    except (PdfReadError, zipfile.BadZipFile, ElementTree.ParseError, ValueError, KeyError) as exc:
        return Preview(kind="none", note=f"No preview: the file could not be read ({exc}).")


def _preview(data: bytes, media_type: str) -> Preview:
    if media_type.startswith("image/"):
        return Preview(kind="image")
    if media_type == "application/pdf":
        return _pdf(data)
    if media_type == "text/csv":
        return _csv(data)
    if media_type.endswith("spreadsheetml.sheet"):
        return _xlsx(data)
    if media_type.endswith("wordprocessingml.document"):
        return Preview(
            kind="text", text=_office_text(data, "word/document.xml", f"{_W}p", f"{_W}t")
        )
    if media_type.endswith("presentationml.presentation"):
        return Preview(kind="text", text=_slides_text(data))
    return Preview(kind="text", text=_decode(data)[:MAX_CHARS])


def _pdf(data: bytes) -> Preview:
    reader = PdfReader(io.BytesIO(data))
    pages = tuple((page.extract_text() or "").strip() for page in reader.pages[:MAX_PAGES])
    more = len(reader.pages) - MAX_PAGES
    return Preview(
        kind="pages", pages=pages, note=f"{more} more page(s) in the download." if more > 0 else ""
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _table(rows: list[list[str]], total: int | None = None) -> Preview:
    """A table from its non-blank rows; `total` is the sheet's row count when only part was read.

    Title lines above the header (a sheet's heading, a "synthetic data" label) are kept apart
    as `title`, so the header is the row that names the columns.
    """
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        return Preview(kind="none", note="The table is empty.")
    start = _header_row(rows)
    title = tuple(" ".join(c.strip() for c in r if c.strip()) for r in rows[:start])
    rows = rows[start:]
    width = max(len(r) for r in rows)
    padded = [tuple(r + [""] * (width - len(r))) for r in rows]
    count = len(padded) - 1 if total is None else total - start - 1
    note = f"First {MAX_ROWS} of {count} rows." if count > MAX_ROWS else ""
    return Preview(
        kind="table",
        title=title,
        header=padded[0],
        rows=tuple(padded[1 : MAX_ROWS + 1]),
        note=note,
    )


def _header_row(rows: list[list[str]], scan: int = 10) -> int:
    """The first row filled at least half as wide as the fullest of the first rows."""
    filled = [sum(1 for c in r if c.strip()) for r in rows[:scan]]
    needed = max(2, (max(filled) + 1) // 2)
    return next((n for n, count in enumerate(filled) if count >= needed), 0)


def _csv(data: bytes) -> Preview:
    return _table(list(csv.reader(io.StringIO(_decode(data)))))


def _xlsx(data: bytes) -> Preview:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    rows = [
        ["" if v is None else str(v) for v in row]
        for row in sheet.iter_rows(max_row=MAX_ROWS + 20, values_only=True)
    ]
    total = sheet.max_row if sheet.max_row and sheet.max_row > len(rows) else None
    workbook.close()
    return _table(rows, total)


def _office_text(data: bytes, part: str, paragraph: str, run: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = ElementTree.fromstring(archive.read(part))
    lines = ["".join(t.text or "" for t in p.iter(run)) for p in root.iter(paragraph)]
    return "\n".join(line for line in lines if line.strip())[:MAX_CHARS]


def _slides_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        slides = sorted(
            n for n in archive.namelist() if n.startswith("ppt/slides/slide") and n.endswith(".xml")
        )
        texts = []
        for number, name in enumerate(slides, start=1):
            root = ElementTree.fromstring(archive.read(name))
            words = " ".join(t.text or "" for t in root.iter(f"{_A}t"))
            texts.append(f"Slide {number}: {words}")
    return "\n".join(texts)[:MAX_CHARS]
