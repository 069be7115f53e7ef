import io
import struct
import time
import tracemalloc
import zipfile
import zlib

import pytest
from openpyxl import Workbook
from reportlab.pdfgen import canvas

from review import preview as preview_module
from review.preview import preview
from review.settings import PROJECT_ROOT

SAMPLES = PROJECT_ROOT / "sample_evidence"


def _pdf(pages):
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for text in pages:
        c.drawString(72, 720, text)
        c.showPage()
    c.save()
    return buf.getvalue()


def test_pdf_preview_extracts_page_text():
    shown = preview(_pdf(["Parent forum agenda", "Sign-in sheet"]), "application/pdf")
    assert (shown.kind, shown.pages) == ("pages", ("Parent forum agenda", "Sign-in sheet"))


def test_pdf_preview_caps_pages_with_a_note():
    shown = preview(_pdf([f"page {i}" for i in range(7)]), "application/pdf")
    assert (len(shown.pages), shown.note) == (5, "2 more page(s) in the download.")


def test_csv_preview_is_a_table_without_blank_lines():
    shown = preview("\ufeffname,school\nAna Peña,Elm\n\nBo,Oak\n".encode(), "text/csv")
    assert (shown.header, shown.rows) == (("name", "school"), (("Ana Peña", "Elm"), ("Bo", "Oak")))


def test_xlsx_preview_reads_first_sheet():
    wb = Workbook()
    ws = wb.active
    ws.append(["school", "positive %"])
    ws.append(["Elm", 81.5])
    buf = io.BytesIO()
    wb.save(buf)
    shown = preview(
        buf.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert (shown.header, shown.rows) == (("school", "positive %"), (("Elm", "81.5"),))


def test_docx_sample_preview_has_its_text():
    data = (SAMPLES / "facilitator_training_notes.docx").read_bytes()
    shown = preview(data, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert shown.kind == "text"
    assert "SYNTHETIC DEMO DATA" in shown.text


def test_damaged_file_gives_a_note_not_an_error():
    shown = preview(b"%PDF-1.4 broken", "application/pdf")
    assert shown.kind == "none"
    assert shown.note.startswith("No preview: the file could not be read")


def test_broken_zip_office_file_gives_a_note():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<x/>")
    shown = preview(
        buf.getvalue(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert shown.kind == "none"


def test_table_title_lines_above_the_header_are_kept_apart():
    data = (PROJECT_ROOT / "sample_evidence" / "climate_survey_summary.xlsx").read_bytes()
    shown = preview(data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert shown.title == (
        "SYNTHETIC DEMO DATA — fictional district",
        "Cedar Plains Unified — Culture-climate survey, students grades 5-12, fall 2015 "
        "(percent favourable)",
    )
    assert shown.header[:3] == ("School", "Student participation %", "I feel safe at school")
    assert shown.rows[0][:3] == ("Prairie Lark Elementary", "91", "84")


def test_a_header_with_one_blank_cell_is_still_the_header():
    shown = preview(b",fall,spring\nElm,81,84\nOak,70,72\n", "text/csv")
    assert (shown.title, shown.header) == ((), ("", "fall", "spring"))


def test_large_sheet_note_counts_every_row():
    wb = Workbook()
    ws = wb.active
    ws.append(["school", "n"])
    for n in range(500):
        ws.append([f"S{n}", n])
    buf = io.BytesIO()
    wb.save(buf)
    shown = preview(
        buf.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert (len(shown.rows), shown.note) == (200, "First 200 of 500 rows.")


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
GIB = 1 << 30


def _zip_bomb(part: str, *, size: int = GIB, declared: int | None = None) -> bytes:
    """An Office-looking ZIP whose `part` unzips to `size` spaces (about 1 MB per GB).

    Deflate blocks ended by a full flush do not depend on what came before, so one megabyte
    compressed once and repeated is a valid stream: the bomb is built in milliseconds.
    `declared` is the uncompressed size the archive's directory claims for the part.
    """
    chunk = b" " * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = block * (size // len(chunk)) + compressor.flush()
    crc = 0
    for _ in range(size // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(
            "word/document.xml" if part != "word/document.xml" else "docProps/app.xml", "<x/>"
        )
    head = buf.getvalue()
    directory_at = head.index(b"PK\x01\x02")
    files, directory = head[:directory_at], head[directory_at : head.index(b"PK\x05\x06")]
    name = part.encode()
    fields = (20, 0, 8, 0, 0x21, crc, len(stream), declared if declared is not None else size)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, len(name), 0) + name
    central = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, len(name), 0, 0, 0, 0, 0, len(files)
        )
        + name
    )
    directory += central
    end = struct.pack(
        "<IHHHHIIH",
        0x06054B50,
        0,
        0,
        3,
        3,
        len(directory),
        len(files) + len(local) + len(stream),
        0,
    )
    return files + local + stream + directory + end


@pytest.mark.parametrize(
    ("part", "media_type"),
    [("word/document.xml", DOCX), ("xl/sharedStrings.xml", XLSX), ("ppt/slides/slide1.xml", PPTX)],
)
def test_zip_bomb_gets_no_preview_quickly_and_in_little_memory(part, media_type):
    bomb = _zip_bomb(part)
    assert len(bomb) < 1_100_000
    tracemalloc.start()
    started = time.monotonic()
    try:
        shown = preview(bomb, media_type)
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (shown.kind, shown.note) == (
        "none",
        "No preview: the file is too large to preview here; download it to read it.",
    )
    assert elapsed < 2
    assert peak < 50_000_000


def test_zip_bomb_whose_directory_lies_about_its_size_is_read_no_further_than_it_says():
    bomb = _zip_bomb("word/document.xml", declared=5_000)
    tracemalloc.start()
    try:
        shown = preview(bomb, DOCX)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert shown.kind == "none"
    assert shown.note.startswith("No preview: the file could not be read (")
    assert peak < 50_000_000


def test_bounded_stream_stops_a_part_that_unzips_past_the_cap(monkeypatch):
    monkeypatch.setattr(preview_module, "MAX_UNZIPPED_BYTES", 100 * GIB)
    monkeypatch.setattr(preview_module, "MAX_PART_BYTES", 2_000_000)
    bomb = _zip_bomb("word/document.xml", size=8 << 20, declared=1_000_000)
    assert preview(bomb, DOCX).kind == "none"


def test_csv_with_a_200000_character_field_gets_no_preview():
    data = b"name,notes\nElm," + b"x" * 200_000 + b"\n"
    shown = preview(data, "text/csv")
    assert (shown.kind, shown.note) == (
        "none",
        "No preview: the file could not be read (field larger than field limit (131072)).",
    )


def test_broken_xlsx_gets_no_preview():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook><sheets>not closed")
    shown = preview(buf.getvalue(), XLSX)
    assert shown.kind == "none"
    assert shown.note.startswith("No preview: the file could not be read (")


def test_csv_past_the_parse_cap_shows_its_first_rows_without_counting(monkeypatch):
    monkeypatch.setattr(preview_module, "MAX_TABLE_BYTES", 1_000)
    data = b"school,n\n" + b"".join(f"S{n:03d},{n}\n".encode() for n in range(300))
    shown = preview(data, "text/csv")
    assert shown.header == ("school", "n")
    assert shown.rows[0] == ("S000", "0")
    # 1,000 bytes: the header (9), rows 0-9 (7 each), 10-99 (8 each), 100-121 (9 each), "S12"
    assert len(shown.rows) == 122
    assert shown.note == "The first 122 rows; the file is too long to count them here."


def test_csv_rows_keep_at_most_50_columns():
    data = ",".join(f"c{n}" for n in range(80)).encode() + b"\n" + b"1," * 79 + b"1\n"
    shown = preview(data, "text/csv")
    assert (len(shown.header), shown.header[-1], len(shown.rows[0])) == (50, "c49", 50)


def _png_header(width, height):
    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b"")
    )


def test_image_over_the_pixel_cap_is_not_decoded():
    assert preview(_png_header(5_000, 4_000), "image/png").note == (
        "No preview: the file is too large to preview here; download it to read it."
    )
    assert preview(_png_header(4_000, 4_000), "image/png").kind == "image"


def test_text_preview_decodes_only_its_first_characters():
    data = ("é" * 30_000).encode()
    shown = preview(data, "text/plain")
    assert (shown.kind, shown.text) == ("text", "é" * 20_000)


def test_docx_text_stops_after_the_character_cap():
    body = "".join(f"<w:p><w:r><w:t>{'word ' * 20}{n}</w:t></w:r></w:p>" for n in range(2_000))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(
            "word/document.xml",
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body>{body}</w:body></w:document>",
        )
    shown = preview(buf.getvalue(), DOCX)
    assert len(shown.text) == 20_000
    assert shown.text.startswith("word word")
    assert shown.text.splitlines()[1] == "word " * 20 + "1"
