"""The packet says whose words each descriptor is, and what the rubric version corrects."""

import io
import re
import shutil
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from pypdf import PdfReader

from exports import record
from exports.excel import render_xlsx
from exports.pdf import render_pdf
from exports.report import build_report
from review.rubrics import Catalogue
from review.settings import PROJECT_ROOT

DATA = Path(__file__).parent.parent / "data"
CITATION = "Marsh, J. A., et al. (November 2016). At the Forefront of the New Accountability Era."


@pytest.fixture
def rubrics_dir(tmp_path: Path) -> Path:
    """The tiny rubric, recording provenance: ENGAGE's level 1 is quoted."""
    root = tmp_path / "rubrics"
    shutil.copytree(DATA / "rubrics", root)
    path = root / "tiny" / "v1.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["provenance_recorded"] = True
    raw["sources"] = [
        {"id": "pace-2016", "short": "Marsh et al. (2016), PACE", "citation": CITATION}
    ]
    raw["corrects"] = {"version": "v0", "summary": "Corrects tiny@v0: says whose words it is."}
    engage = raw["items"][0]
    engage["quoted"] = {1: {"source": "pace-2016", "location": "endnote xvi"}}
    engage["source_note"] = "Levels 2 to 4 are not in the source."
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return root


@pytest.fixture
def report(released, rubrics_dir):
    with released.db.session() as s:
        return build_report(s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code="A")


def _text(pdf: bytes) -> str:
    pages = (p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", " ", " ".join(pages))


def test_item_pages_say_whose_words_each_descriptor_is(report):
    content = _text(render_pdf(report))

    assert "Wording: Level 1: Quoted from Marsh et al. (2016), PACE, endnote xvi" in content
    assert "Wording: Levels 2, 3 and 4: Written for this product" in content
    assert "About the sources: Levels 2 to 4 are not in the source." in content
    # PDSA and EXTRA quote nothing: all four levels are product text.
    assert content.count("Wording: Levels 1, 2, 3 and 4: Written for this product") == 2


def test_the_definitions_cite_the_source_and_the_correction(report):
    content = _text(render_pdf(report))

    assert "Rubric tiny@v1 Corrects tiny@v0: says whose words it is." in content
    assert (
        "Quoted from Marsh et al. (2016), PACE The descriptor is this source's words, verbatim: "
        + CITATION
    ) in content
    assert "Written for this product The descriptor (like every prompt) was written" in content


def test_the_workbook_says_whose_words_each_descriptor_is(report):
    book = load_workbook(io.BytesIO(render_xlsx(report)))
    rows = [[c.value for c in row] for row in book["Rubric wording"].iter_rows()]

    assert rows == [
        ["Item", "Level", "Whose words"],
        ["ENGAGE", 1, "Quoted from Marsh et al. (2016), PACE, endnote xvi"],
        ["ENGAGE", 2, "Written for this product"],
        ["ENGAGE", 3, "Written for this product"],
        ["ENGAGE", 4, "Written for this product"],
        *[
            [item, level, "Written for this product"]
            for item in ("PDSA", "EXTRA")
            for level in (1, 2, 3, 4)
        ],
    ]


def test_a_version_that_predates_provenance_says_it_does_not_record_it():
    old = Catalogue(PROJECT_ROOT / "rubrics").get_key("core-p2@2015-16")

    assert record.rubric_wording(old) == (
        (
            "Descriptors",
            "Rubric core-p2@2015-16 does not record which descriptors are quoted from a source.",
        ),
    )
    assert record.wording(old, old.item("P2-STAKEHOLDER")) == ()


def test_the_corrected_shipped_version_quotes_the_stakeholder_ends():
    rubric = Catalogue(PROJECT_ROOT / "rubrics").get_key("core-p2@2015-16.1")

    assert record.wording(rubric, rubric.item("P2-STAKEHOLDER")) == (
        (
            1,
            "Quoted from Marsh et al. (2016), PACE, endnote xvi (to the section "
            '"Cross-District Collaboration and Peer Review")',
        ),
        (2, "Written for this product"),
        (3, "Written for this product"),
        (
            4,
            "Quoted from Marsh et al. (2016), PACE, endnote xvi (to the section "
            '"Cross-District Collaboration and Peer Review")',
        ),
    )
    assert record.rubric_wording(rubric)[0][0] == "Rubric core-p2@2015-16.1"
