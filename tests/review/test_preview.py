import io
import zipfile

from openpyxl import Workbook
from reportlab.pdfgen import canvas

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
