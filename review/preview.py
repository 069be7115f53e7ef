"""Evidence previews as plain data: PDF page text, images, tables, and document text.

Every preview reads a bounded amount: a ZIP part's size is checked in the archive's directory
before it is opened and read through a stream that stops at the cap, tables stop after a number
of rows and columns, text after a number of characters, images above a pixel count are not
decoded. A file past a cap, or one that cannot be read, gets a note instead of a preview; the
download is never affected.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO
from xml.etree import ElementTree

from pypdf import PdfReader, apply_configuration

MAX_PAGES = 5
MAX_ROWS = 200
MAX_COLUMNS = 50
MAX_CHARS = 20_000
MAX_SLIDES = 60
MAX_PART_BYTES = 10_000_000  # one part of an Office file (a sheet, the document body), unzipped
MAX_UNZIPPED_BYTES = 40_000_000  # every part of an Office file together, unzipped
MAX_PARTS = 5_000
MAX_TABLE_BYTES = 5_000_000  # of a CSV: its rows past this are not parsed for the preview
MAX_PIXELS = 16_000_000  # an image is decoded on the server (to fit the page) below this
MAX_PDF_STREAM_BYTES = 20_000_000  # one decompressed PDF stream
TOO_LARGE = "No preview: the file is too large to preview here; download it to read it."
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"

log = logging.getLogger(__name__)


class _TooLarge(Exception):
    """A part of the file is past one of the caps above."""


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
    """A preview of an evidence file; a damaged or too large file gives a note instead."""
    try:
        return _preview(data, media_type)
    except _TooLarge:
        return Preview(kind="none", note=TOO_LARGE)
    except Exception as exc:  # noqa: BLE001 - parsers of untrusted files raise anything
        log.info("no preview of a %s file: %r", media_type, exc)
        return Preview(kind="none", note=f"No preview: the file could not be read ({exc}).")


def _preview(data: bytes, media_type: str) -> Preview:
    if media_type.startswith("image/"):
        return _image(data)
    if media_type == "application/pdf":
        return _pdf(data)
    if media_type == "text/csv":
        return _csv(data)
    if media_type.endswith("spreadsheetml.sheet"):
        return _xlsx(data)
    if media_type.endswith("wordprocessingml.document"):
        return Preview(kind="text", text=_document_text(data))
    if media_type.endswith("presentationml.presentation"):
        return Preview(kind="text", text=_slides_text(data))
    return Preview(kind="text", text=_decode_start(data))


def _image(data: bytes) -> Preview:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:  # reads the header only
        width, height = image.size
    if width * height > MAX_PIXELS:
        raise _TooLarge()
    return Preview(kind="image")


def _pdf(data: bytes) -> Preview:
    cap = MAX_PDF_STREAM_BYTES
    with apply_configuration(
        zlib_maximum_output_length=cap,
        lzw_maximum_output_length=cap,
        run_length_maximum_output_length=cap,
        brotli_maximum_output_length=cap,
        jbig2_maximum_output_length=cap,
        image_maximum_buffer_size=cap,
        maximum_declared_stream_length=cap,
        array_based_stream_maximum_output_length=cap,
    ):
        reader = PdfReader(io.BytesIO(data))
        pages = tuple((page.extract_text() or "").strip() for page in reader.pages[:MAX_PAGES])
        more = len(reader.pages) - MAX_PAGES
    return Preview(
        kind="pages", pages=pages, note=f"{more} more page(s) in the download." if more > 0 else ""
    )


def _decode_start(data: bytes) -> str:
    """The first MAX_CHARS characters, decoding no more of `data` than they can take."""
    start = data[: 4 * MAX_CHARS]
    try:  # not final: a character cut in two at the end is dropped, not an error
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(start, final=False)
    except UnicodeDecodeError:
        text = start.decode("cp1252", errors="replace")
    return text[:MAX_CHARS]


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
    # A field longer than csv.field_size_limit() (131,072 characters) raises csv.Error, so one
    # huge cell gives the "could not be read" note rather than a huge table cell.
    try:
        return _csv_table(data, "utf-8-sig", "strict")
    except UnicodeDecodeError:
        return _csv_table(data, "cp1252", "replace")


def _csv_table(data: bytes, encoding: str, errors: str) -> Preview:
    cut = len(data) > MAX_TABLE_BYTES
    text = io.TextIOWrapper(
        io.BytesIO(data[:MAX_TABLE_BYTES]), encoding=encoding, errors=errors, newline=""
    )
    kept: list[list[str]] = []
    count = 0
    for row in csv.reader(text):
        if not any(cell.strip() for cell in row):
            continue
        count += 1
        if len(kept) < MAX_ROWS + 20:
            kept.append(row[:MAX_COLUMNS])
    if cut and kept:
        kept = kept[:-1]  # the last row read may be cut in the middle
    table = _table(kept, None if len(kept) == count and not cut else count)
    if cut:
        return Preview(
            kind=table.kind,
            title=table.title,
            header=table.header,
            rows=table.rows,
            note=f"The first {len(table.rows)} rows; the file is too long to count them here.",
        )
    return table


def _xlsx(data: bytes) -> Preview:
    from openpyxl import load_workbook

    _check_parts(data)  # openpyxl reads each part through zipfile, which stops at this size
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = [
            ["" if v is None else str(v) for v in row[:MAX_COLUMNS]]
            for row in sheet.iter_rows(max_row=MAX_ROWS + 20, values_only=True)
        ]
        total = sheet.max_row if sheet.max_row and sheet.max_row > len(rows) else None
    finally:
        workbook.close()
    return _table(rows, total)


def _check_parts(data: bytes) -> zipfile.ZipFile:
    """The archive, once its directory shows every part within the caps.

    Raises:
        _TooLarge: a part, or all together, would unzip past the caps.
    """
    archive = zipfile.ZipFile(io.BytesIO(data))
    parts = archive.infolist()
    if (
        len(parts) > MAX_PARTS
        or any(p.file_size > MAX_PART_BYTES for p in parts)
        or sum(p.file_size for p in parts) > MAX_UNZIPPED_BYTES
    ):
        raise _TooLarge()
    return archive


class _Bounded(io.RawIOBase):
    """A stream that raises _TooLarge once more than `limit` bytes were read from it."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self._stream, self._left = stream, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._stream.read(len(buffer))
        self._left -= len(data)
        if self._left < 0:
            raise _TooLarge()
        buffer[: len(data)] = data
        return len(data)


def _paragraphs(archive: zipfile.ZipFile, part: str, paragraph: str, run: str) -> Iterator[str]:
    """The text of each `paragraph` element of `part`, parsed as a stream, not as a tree."""
    with archive.open(part) as raw:
        for _, element in ElementTree.iterparse(_Bounded(raw, MAX_PART_BYTES), events=("end",)):
            if element.tag == paragraph:
                yield "".join(t.text or "" for t in element.iter(run))
                element.clear()


def _first_chars(lines: Iterator[str]) -> str:
    """Non-blank lines joined until MAX_CHARS characters; the rest is never read."""
    kept: list[str] = []
    size = 0
    for line in lines:
        if line.strip():
            kept.append(line)
            size += len(line) + 1
        if size > MAX_CHARS:
            break
    return "\n".join(kept)[:MAX_CHARS]


def _document_text(data: bytes) -> str:
    with _check_parts(data) as archive:
        return _first_chars(_paragraphs(archive, "word/document.xml", f"{_W}p", f"{_W}t"))


def _slides_text(data: bytes) -> str:
    with _check_parts(data) as archive:
        names = [
            n for n in archive.namelist() if n.startswith("ppt/slides/slide") and n.endswith(".xml")
        ]
        slides = sorted(names, key=lambda n: (len(n), n))[:MAX_SLIDES]
        return _first_chars(
            f"Slide {number}: " + " ".join(_paragraphs(archive, name, f"{_A}p", f"{_A}t"))
            for number, name in enumerate(slides, start=1)
        )
