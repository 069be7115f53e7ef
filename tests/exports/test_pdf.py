import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from exports.pdf import render_pdf, text
from exports.report import build_report
from review.rubrics import Catalogue


@pytest.fixture
def report(released, rubrics_dir):
    with released.db.session() as s:
        return build_report(s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code="A")


def _text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_has_every_section_and_reads_back(report):
    content = _text(render_pdf(report))
    for heading in (
        "Peer review packet — District A — 2015-16",
        "Overview",
        "Item by item",
        "ENGAGE Stakeholder engagement",
        "Evidence index",
        "Index summary",
        "Appendix",
    ):
        assert heading in content
    assert "Peers rated 2 and 4 (spread 2)" in content
    assert "Page 1" in content
    # The world's cycle has no index data: its counts are not imported, never 0.
    assert "Schools\nnot imported\n" in content
    assert "Priority / focus / reward schools\nnot imported / not imported / not imported\n" in (
        content
    )
    assert "Schools counted from" not in content


def test_pdf_renders_hostile_text_inert_and_intact(report):
    content = _text(render_pdf(report)).replace("\u200b", "")
    assert "<b>unclosed <script>alert(1)</script> & =HYPERLINK" in content
    for name in ("Peña", "Nguyễn", "Łódź"):
        assert name in content
    assert "x" * 120 in content.replace("\n", "")


def test_pdf_is_deterministic(report):
    assert render_pdf(report) == render_pdf(report)


def test_pdf_has_an_outline(report):
    reader = PdfReader(io.BytesIO(render_pdf(report)))
    titles = [o.title for o in reader.outline if not isinstance(o, list)]
    assert titles[:4] == [
        "Peer review packet — District A — 2015-16",
        "Summary",
        "Overview",
        "Item by item",
    ]
    assert titles[-1] == "Definitions"


def test_pdf_pages_render_with_pdftoppm(report, tmp_path):
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: scripts/test installs poppler-utils")
    path = tmp_path / "p.pdf"
    path.write_bytes(render_pdf(report))
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(PdfReader(str(path)).pages) >= 5
    assert all(p.stat().st_size > 1000 for p in pages)


def test_text_escapes_markup_and_breaks_long_words():
    assert text("<b>a & b") == "&lt;b&gt;a &amp; b"
    assert text("y" * 45).split("\u200b") == ["y" * 20, "y" * 20, "y" * 5]
    assert text(None) == ""
