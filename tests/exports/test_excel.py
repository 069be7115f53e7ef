import io

import pytest
from openpyxl import load_workbook

from exports.excel import render_xlsx
from exports.report import build_report
from review.rubrics import Catalogue


@pytest.fixture
def workbook(released, rubrics_dir):
    with released.db.session() as s:
        report = build_report(s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code="A")
    return load_workbook(io.BytesIO(render_xlsx(report)))


def _rows(sheet):
    return [[c.value for c in row] for row in sheet.iter_rows()]


RECORD_SHEETS = [
    "Summary",
    "Questions and discussion",
    "Context measures",
    "Rubric wording",
    "Audit trail",
    "Definitions",
]


def test_ratings_sheet_one_row_per_item_with_every_rater(workbook):
    assert workbook.sheetnames == [
        "Ratings",
        "Reconciliation",
        "Suggestions",
        "Evidence",
        *RECORD_SHEETS,
    ]
    assert _rows(workbook["Ratings"]) == [
        ["Item", "Title", "Self level", "Peer 1", "Peer 2", "Final level", "Status"],
        ["ENGAGE", "Stakeholder engagement", 4, 2, 4, None, "not rated"],
        ["PDSA", "PDSA cycles", "N/A", None, None, None, "not rated"],
        ["EXTRA", "Optional reflection", None, None, None, None, "not rated"],
    ]
    sheet = workbook["Ratings"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:G4"
    assert sheet["C2"].data_type == "n"


def test_text_that_looks_like_a_formula_is_stored_as_text(workbook):
    suggestions = workbook["Suggestions"]
    cells = [c for row in suggestions.iter_rows(min_row=2) for c in row]
    texts = {c.value: c.data_type for c in cells if isinstance(c.value, str)}
    assert texts["-Only agendas"] == "s"
    assert texts["@Strong records"] == "s"
    assert texts["+Add sign-ins B"] == "s"
    evidence = _rows(workbook["Evidence"])
    assert evidence[1][:3] == ["agenda.pdf", "=1+1 agenda", "ENGAGE"]
    assert workbook["Evidence"]["B2"].data_type == "s"


def test_workbook_bytes_do_not_depend_on_the_clock(rated, rubrics_dir, monkeypatch):
    import datetime as real

    from exports import excel

    with rated.db.session() as s:
        report = build_report(s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code="A")
    first = excel.render_xlsx(report)

    class Later(real.datetime):
        @classmethod
        def now(cls, tz=None):
            return real.datetime(2031, 5, 6, 7, 8, 9, tzinfo=tz)

    monkeypatch.setattr("openpyxl.writer.excel.datetime.datetime", Later)
    monkeypatch.setattr("time.localtime", lambda *a: real.datetime(2031, 5, 6).timetuple())
    assert excel.render_xlsx(report) == first
