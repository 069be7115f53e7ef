"""Right-to-left text in the packet: drawn in display order, line by line, and extracted in
the order it was typed.

pypdf's plain extraction reverses right-to-left runs as it reads them, so it gives back the
typed (logical) order only when the PDF draws them in display order; its layout mode gives the
glyphs left to right as drawn, which is what a reader sees.
"""

import dataclasses
import io

from pypdf import PdfReader

from exports.pdf import render_pdf
from exports.report import PeerEntry, build_report
from review.rubrics import Catalogue

HEBREW = "הסדר נשמר בישיבה עם ההורים"  # "the order was kept at the meeting with the parents"
MIXED = "The PDSA plan (תוכנית שיפור) was shared in 2016 with 3 schools."
# A Hebrew narrative long enough to wrap over several lines of the page.
LONG = " ".join(["שורה", "ראשונה", "של", "הסיפור"] + ["מילה"] * 40 + ["סוף"])


def _packet(world, rubrics_dir) -> bytes:
    with world.db.reading() as s:
        report = build_report(s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code="A")
    engage = report.items[0]
    engage = dataclasses.replace(
        engage,
        self_narrative=LONG,
        peers=(PeerEntry(reviewer="Peer 1", level=2, rationale=HEBREW, suggestions=MIXED),),
    )
    return render_pdf(dataclasses.replace(report, items=(engage, *report.items[1:])))


def _page_with(data: bytes, needle: str) -> tuple[str, str]:
    for page in PdfReader(io.BytesIO(data)).pages:
        plain = page.extract_text()
        if needle in plain:
            return plain, page.extract_text(extraction_mode="layout")
    raise AssertionError(f"{needle!r} is on no page")


def test_hebrew_and_mixed_text_are_drawn_in_display_order(released, rubrics_dir):
    plain, drawn = _page_with(_packet(released, rubrics_dir), "Peer 1")
    # Copied out of the PDF, the rationale reads as typed ...
    assert "הסדר נשמר בישיבה עם ההורים" in plain
    # ... because it is drawn right to left: the first word is the rightmost.
    assert "םירוהה םע הבישיב רמשנ רדסה" in drawn
    # In an English sentence only the Hebrew run turns; the brackets stay around it.
    # (The suggestions column wraps after "in".)
    assert "The PDSA plan (רופיש תינכות) was shared in\n" in drawn


def test_a_wrapped_hebrew_paragraph_keeps_its_first_words_on_its_first_line(released, rubrics_dir):
    _, drawn = _page_with(_packet(released, rubrics_dir), "Peer 1")
    lines = [line.strip() for line in drawn.splitlines() if "הלימ" in line]
    assert len(lines) == 3, drawn
    # Drawn right to left, the first line ends (at the right) with the first words typed,
    # and the last word typed is the leftmost of the last line.
    assert lines[0].endswith("הלימ הלימ רופיסה לש הנושאר הרוש")
    assert lines[2] == "ףוס הלימ הלימ הלימ"
