"""The packet as a document of record: any text the app accepts renders, drafts say so on every
page and hide what the app hides, and the index pages are readable (issue 14, items 1, 2, 4)."""

import dataclasses
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from exports.excel import render_xlsx
from exports.pdf import _drawable, render_pdf
from exports.report import Decision, build_report
from review import evidence, peer_sets, ratings
from review.cli import main
from review.comments import MAX_COMMENT
from review.demo import INDEX_YEARS
from review.index.catalogue import SpecCatalogue
from review.index.compute import compute_index
from review.index.demo_data import generate_results
from review.index.importer import check_results
from review.index.summary import summarise_district
from review.ratings import MAX_TEXT, RatingInput
from review.rubrics import Catalogue
from review.settings import PROJECT_ROOT
from tests.exports.conftest import EVENTS_OF_A, make_final
from tests.exports.conftest import HOSTILE as NARRATIVE

MARKUP = (
    '<b>bold?</b> <img src="http://x/y.png"/> <para>&amp; & &lt; '
    '=HYPERLINK("http://evil.example","click")'
)
RIGHT_TO_LEFT = "שלום עולם مرحبا بالعالم"
HOSTILE = f"{MARKUP} {RIGHT_TO_LEFT} 👍🏽 🎉 😀 end"


def _report(world, rubrics_dir, code="A", **kwargs):
    with world.db.session() as s:
        return build_report(
            s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code=code, **kwargs
        )


def _pages(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


_FURNITURE = re.compile(
    r"District A · 2015-16\nPage \d+\n(DRAFT — not final \(Peer review\)\nDRAFT\n)?"
)


def _flat(content: str) -> str:
    """Extracted text without the pages' header and footer, line breaks and the break hints
    the packet adds, so that text running over lines and pages reads as one."""
    return " ".join(_FURNITURE.sub("", content.replace("\u200b", "")).split())


def _before_trail(content: str) -> str:
    """The packet up to its audit trail, which repeats the start of each text it records."""
    body, trail = content.split("Audit trail Every audited event")
    return body


def _prose(marker: str, length: int) -> str:
    """Plain prose of exactly `length` characters, made of numbered sentences."""
    sentences = []
    n = 0
    while sum(len(x) + 1 for x in sentences) < length:
        n += 1
        sentences.append(f"{marker}{n:05d} the sign-in sheets show parents at every meeting.")
    return " ".join(sentences)[:length]


def _rate_pdsa(world, code, rationale, suggestions):
    """Reviewer `code` completes its set with PDSA (the fixture submitted ENGAGE alone)."""
    a = world.district_id("A")
    with world.db.session() as s:
        peer_sets.withdraw_peer_ratings(
            s, world.leads[code], world.cycle(s), world.rubric, district_id=a
        )
        ratings.save_peer_rating(
            s,
            world.leads[code],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            item_id="PDSA",
            expected_version=None,
            data=RatingInput(level=3, narrative=rationale, suggestions=suggestions),
        )
        peer_sets.submit_peer_ratings(
            s, world.leads[code], world.cycle(s), world.rubric, district_id=a
        )


def test_every_text_field_at_its_maximum_renders_whole(released, rubrics_dir):
    rationale, suggestions = _prose("R", MAX_TEXT), _prose("S", MAX_TEXT)
    assert len(rationale) == len(suggestions) == MAX_TEXT == 20_000
    _rate_pdsa(released, "B", rationale, suggestions)
    # A 20,000-character "word" (no space to wrap at) in the other reviewer's rationale.
    _rate_pdsa(released, "C", "w" * MAX_TEXT, "")
    report = _report(released, rubrics_dir)
    # Texts the domain no longer lets change at this phase, at their limits, set on the report.
    narrative = _prose("N", MAX_TEXT)
    description = _prose("E", evidence.MAX_DESCRIPTION)
    decision = _prose("D", MAX_COMMENT)
    engage, *rest = report.items
    report = dataclasses.replace(
        report,
        items=(
            dataclasses.replace(
                engage,
                self_narrative=narrative,
                decision=Decision(
                    3,
                    False,
                    "adjudication",
                    decision,
                    "Coordinator",
                    datetime(2016, 5, 1, tzinfo=UTC),
                ),
            ),
            *rest,
        ),
        evidence=tuple(dataclasses.replace(e, description=description) for e in report.evidence),
    )

    pages = _pages(render_pdf(report))

    whole = _flat("\n".join(pages))
    content = _before_trail(whole)
    # The audit trail records the rationale's first words only ("…" where it is cut).
    assert f"{rationale[:119]}…" in whole
    # Every sentence of every text is there, in order, however the rows split over pages.
    for marker, text in (("R", rationale), ("S", suggestions), ("N", narrative), ("D", decision)):
        found = re.findall(rf"{marker}\d{{5}}", content)
        assert found == re.findall(rf"{marker}\d{{5}}", text)
    # ...and whole: each text's last words (cut mid-sentence at the limit) are there too.
    for text in (rationale, suggestions, narrative, decision, description):
        assert text[-30:] in content
    assert re.findall(r"E\d{5}", content) == re.findall(r"E\d{5}", description) * 2
    # The long word is all there (its rows split across pages, under repeated table headers).
    assert sum(len(run) for run in re.findall(r"w{20,}", "".join(content.split()))) == MAX_TEXT
    assert len(pages) > 30


def test_hostile_text_is_inert_and_drawn_with_glyphs_the_fonts_have(released, rubrics_dir):
    _rate_pdsa(released, "B", HOSTILE, HOSTILE)
    report = _report(released, rubrics_dir)

    content = "\n".join(_pages(render_pdf(report)))

    flat = _before_trail(_flat(content))
    assert f"{MARKUP} " in flat
    # Emoji print as their names: DejaVu lacks most, and the one it has (😀) would be drawn but
    # lost to copying and search (reportlab's text map above U+FFFF is broken).
    assert "[thumbs up sign] [party popper] [grinning face] end" in flat
    # Hebrew and Arabic letters are drawn (DejaVu has them). They are drawn in the order they
    # were typed, not reordered right to left (reportlab needs rlbidi for that), so only the
    # letters are compared here.
    letters = sorted(c for c in flat if "\u0590" <= c <= "\u06ff")
    typed = RIGHT_TO_LEFT * 2 + NARRATIVE  # rationale, suggestions and the self narrative
    assert letters == sorted(c for c in typed if "\u0590" <= c <= "\u06ff")
    # No character the fonts lack reached the page, so nothing prints as an empty box.
    assert {c for c in content if ord(c) not in _drawable()} == {"\n"}  # pypdf's line ends

    book = load_workbook(io.BytesIO(render_xlsx(report)))
    rows = list(book["Suggestions"].iter_rows(min_row=2))
    cells = [row for row in rows if row[0].value == "PDSA"][0]
    assert [c.value for c in cells[3:]] == [HOSTILE, HOSTILE]
    # Text, not a formula, although it contains =HYPERLINK(...).
    assert [c.data_type for c in cells[3:]] == ["s", "s"]


def test_a_draft_packet_says_draft_on_every_page_and_hides_unreleased_peer_ratings(
    rated, rubrics_dir
):
    report = _report(rated, rubrics_dir)
    pages = _pages(render_pdf(report))

    assert all("DRAFT — not final (Peer review)" in page for page in pages)
    assert (
        "DRAFT — this packet is not the final review\n"
        "Not yet settled:\n"
        "• Phase: Peer review. This review is not final.\n"
        "• Peer ratings are not yet released to the district: they are not shown, nor who gave "
        "them.\n"
        "• Open flags: 1.\n"
        "• Items without a final level: 3 of 3.\n"
    ) in pages[0]
    content = "\n".join(pages)
    for hidden in ("Only agendas", "Strong records", "Add sign-ins", "Peers rated", "Peer 1"):
        assert hidden not in content
    assert [i.peers for i in report.items] == [(), (), ()]
    # Every event is in the trail; the peer ratings' values and raters are not.
    assert dict(report.audit) == EVENTS_OF_A

    book = load_workbook(io.BytesIO(render_xlsx(report)))
    assert [c.value for c in book["Ratings"][1]] == [
        "Item",
        "Title",
        "Self level",
        "Final level",
        "Status",
    ]
    assert book["Suggestions"].max_row == 1


def test_released_peer_ratings_show_without_naming_reviewers_until_final(released, rubrics_dir):
    draft = _report(released, rubrics_dir)
    assert [(p.reviewer, p.level) for p in draft.items[0].peers] == [("Peer 1", 2), ("Peer 2", 4)]
    assert (
        "• Reviewing districts are named only in the final packet.\n"
        in (_pages(render_pdf(draft))[0])
    )

    make_final(released)
    final = _report(released, rubrics_dir)
    pages = _pages(render_pdf(final))
    assert [(p.reviewer, p.level) for p in final.items[0].peers] == [("B", 2), ("C", 4)]
    assert not any("DRAFT" in page for page in pages)
    assert "Not yet settled" not in pages[0]
    book = load_workbook(io.BytesIO(render_xlsx(final)))
    assert [c.value for c in book["Ratings"][1]][3:5] == ["Peer B", "Peer C"]


def test_an_unsubmitted_self_evaluation_is_not_in_the_packet(world, rubrics_dir):
    with world.db.session() as s:
        ratings.save_self_rating(
            s,
            world.leads["D"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("D"),
            item_id="ENGAGE",
            expected_version=None,
            data=RatingInput(level=4, narrative="Half-written thoughts"),
        )
    report = _report(world, rubrics_dir, code="D")
    pages = _pages(render_pdf(report))

    assert (report.items[0].self_level, report.items[0].self_narrative) == (None, "")
    assert "Half-written thoughts" not in "\n".join(pages)
    assert (
        "• Phase: Self-evaluation in draft. This review is not final.\n"
        "• The self-evaluation is not submitted: its ratings are not shown.\n"
    ) in pages[0]
    assert dict(report.audit) == {"save self rating": 1}  # its values are not shown


@pytest.fixture
def summary():
    spec = SpecCatalogue(PROJECT_ROOT / "index_specs").get_key("core-sqii@2015-16")
    frame = check_results(generate_results([("A", 9000)], INDEX_YEARS, seed=5))
    return summarise_district(compute_index(frame, spec), "A", details=False)


def test_index_pages_use_names_one_number_format_and_landscape_for_the_school_table(
    released, rubrics_dir, summary
):
    report = _report(released, rubrics_dir, index=summary)
    reader = PdfReader(io.BytesIO(render_pdf(report)))
    pages = [(p.mediabox.width, p.extract_text()) for p in reader.pages]
    content = "\n".join(text for _, text in pages)

    for metric in summary.metrics:
        assert metric.metric_id not in content
    wide = [text for width, text in pages if width > 700]
    assert wide and all(text.count("Page ") == 1 for text in wide)
    school_tables = [
        "Index by school: overall",
        "Index by school: Academic (level per metric, all students)",
        "Index by school: Social-emotional and culture-climate (level per metric, all students)",
    ]
    assert [t for t in school_tables if t in "\n".join(wide)] == school_tables
    assert not any(t in text for width, text in pages if width < 700 for t in school_tables)
    header = wide[0].split("Index by school: overall\n")[1].split("\n")[:5]
    assert header == ["School", "Type", "Designation", "Overall score", "Overall level"]
    academic = "\n".join(wide).split("Index by school: Academic")[1]
    assert academic.split("\n")[1:7] == [
        "School",
        "Academic performance",
        "Academic growth",
        "Graduation rate",
        "8th-grade high school",
        "readiness",
    ]
    # One format per kind of figure (review.figures): scores in hundredths as computed
    # (23.50, never 23.5), median levels to one decimal (5.0, never 5).
    first = summary.schools[0]
    assert f"\n{first.school_name}\n{first.school_type}\n" in content
    scored = [r.overall_score for r in summary.schools if r.overall_score is not None]
    assert scored and all(f"\n{score:.2f}\n" in content for score in scored)
    bands = content.split("Index 2015-16: schools per band")[1].split("Index group gaps")[0]
    for m in (m for m in summary.metrics if m.median_level is not None):
        median, network = f"{m.median_level:.1f}", f"{m.network_median_level:.1f}"
        assert f"\n{m.bands[-1].schools}\n{median}\n{network}\n" in bands, m.name
    book = load_workbook(io.BytesIO(render_xlsx(report)))
    assert book.sheetnames[4:9] == [
        "Index bands",
        "Index gaps",
        "Index trends",
        "Index lagging schools",
        "Index by school",
    ]
    # The workbook keeps the school table whole, under the same names.
    assert [c.value for c in book["Index by school"][1]][:5] == [
        "School",
        "Type",
        "Designation",
        "Academic performance",
        "Academic growth",
    ]
    # The chart's legend names the spec's bands.
    for band in (
        "Below average (levels 1-3)",
        "Average (levels 4-7)",
        "Above average (levels 8-10)",
    ):
        assert band in content


def test_overview_hierarchy_is_drawn_by_indentation_not_spaces(released, rubrics_dir):
    pages = _pages(render_pdf(_report(released, rubrics_dir)))
    overview = next(p for p in pages if "Principle / item" in p)
    assert "\nENGAGE Stakeholder engagement\n" in overview
    assert "   ENGAGE" not in overview


def test_a_packet_that_cannot_be_drawn_names_the_district_and_the_part(
    released, rubrics_dir, monkeypatch, tmp_path, capsys
):
    from reportlab.platypus import Paragraph

    real = Paragraph.wrap

    def failing(self, *args):
        if "Only agendas" in self.text:
            raise ValueError("cannot lay this out")
        return real(self, *args)

    monkeypatch.setattr(Paragraph, "wrap", failing)
    # Long enough to be set as a wrapping paragraph, which is what fails here.
    with released.db.session() as s:
        row = ratings.find_rating(
            s,
            released.cycle(s),
            released.district_id("A"),
            "ENGAGE",
            released.district_id("B"),
        )
        row.narrative = "Only agendas " * 40
    monkeypatch.setenv("REVIEW_DATABASE_URL", released.settings.database_url)
    monkeypatch.setenv("REVIEW_RUBRICS_DIR", str(rubrics_dir))
    out = tmp_path / "out"

    code = main(["export", "all", "--cycle", "2015-16", "--out", str(out), "--jobs", "1"])

    assert code == 2
    assert capsys.readouterr().err.endswith(
        "error: the packet of district A (2015-16) could not be drawn at item ENGAGE, peer "
        "rationale and suggestions: ValueError: cannot lay this out\n"
    )
    assert list(out.iterdir()) == []


def test_data_as_of_counts_decisions_and_dates_the_pdf_and_the_workbook(released, rubrics_dir):
    from review import reconcile

    for code in "BC":  # reconciliation needs every peer rating
        _rate_pdsa(released, code, "Seen", "")
    with released.db.session() as s:
        reconcile.start_reconciliation(
            s,
            released.coordinator,
            released.cycle(s),
            released.rubric,
            district_id=released.district_id("A"),
        )
        reconcile.decide(
            s,
            released.coordinator,
            released.cycle(s),
            released.rubric,
            reconcile.DecisionRequest(
                district_id=released.district_id("A"),
                item_id="ENGAGE",
                method=reconcile.Method.ADJUDICATION,
                level=3,
                rationale="Agendas and sign-ins agree",
            ),
        )
        decided = reconcile.decisions_of(s, released.cycle(s), released.district_id("A"))[0]
    report = _report(released, rubrics_dir)
    moment = decided.decided_at.replace(tzinfo=None)  # stored as UTC
    assert report.as_of.replace(tzinfo=None) == moment  # the decision is the latest change

    reader = PdfReader(io.BytesIO(render_pdf(report)))
    assert reader.metadata["/CreationDate"] == f"D:{moment:%Y%m%d%H%M%S}+00'00'"
    assert reader.metadata["/ModDate"] == reader.metadata["/CreationDate"]
    assert f"Data as of\n{moment:%Y-%m-%d %H:%M} UTC\n" in reader.pages[0].extract_text()

    book = load_workbook(io.BytesIO(render_xlsx(report)))
    sheet = book["Reconciliation"]
    assert sheet["G1"].value == "Decided at (UTC)"
    assert sheet["G2"].number_format == "yyyy-mm-dd hh:mm"
    # A date cell, to Excel's precision (it keeps milliseconds, rounded).
    assert abs(sheet["G2"].value - moment) < timedelta(milliseconds=1)
    assert sheet["G2"].data_type == "d"  # a date, not text
    assert book.properties.created == moment.replace(microsecond=0)


def test_a_district_with_nothing_recorded_is_dated_by_its_cycle(world, rubrics_dir):
    with world.db.session() as s:
        opened = world.cycle(s).created_at.replace(tzinfo=None)
    report = _report(world, rubrics_dir, code="E")
    assert report.as_of.replace(tzinfo=None) == opened
    reader = PdfReader(io.BytesIO(render_pdf(report)))
    assert reader.metadata["/CreationDate"] == f"D:{opened:%Y%m%d%H%M%S}+00'00'"


def test_the_parts_of_a_split_table_still_name_what_they_show():
    from exports.pdf import _register_fonts, _styles, _table, part_name

    _register_fonts()
    long = _prose("R", 6_000)
    table = _table([["Rationale"], [long]], [200.0], _styles(), field="item X, peer rationale")
    table.wrap(200.0, 600.0)
    parts = table.split(200.0, 300.0)
    assert len(parts) == 2
    assert [part_name(p) for p in parts] == ["item X, peer rationale"] * 2
    assert [part_name(p) for p in parts[1].split(200.0, 300.0)] == ["item X, peer rationale"] * 2
