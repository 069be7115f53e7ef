"""Every number of a demo district's packet is the same in the PDF, in the workbook and on the
command line (`export packet`, `index summary`, `discrepancies`).

The workbook is read as Excel shows it (each cell's number format applied to its value), the
PDF through its extracted text, the command line through its printed tables.
"""

import contextlib
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from review.cli import main
from review.db import Database
from review.demo import CYCLE, load_demo
from review.index.store import load_results
from review.settings import Settings

DISTRICT = "CPU"


@pytest.fixture(scope="module")
def packet(tmp_path_factory):
    folder = tmp_path_factory.mktemp("numbers")
    url = f"sqlite:///{folder / 'demo.db'}"
    settings = Settings.from_env({}, database_url=url, bcrypt_rounds=4)
    db = Database(settings.database_url)
    load_demo(db, settings)
    results = folder / "results.csv"
    load_results(db, CYCLE).to_csv(results, index=False)
    db.dispose()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("REVIEW_DATABASE_URL", url)
        env.setenv("REVIEW_BCRYPT_ROUNDS", "4")
        assert _run("export", "packet", "--cycle", CYCLE, "--district", DISTRICT, "--out", folder)
        summary = _run(
            "index",
            "summary",
            "--spec",
            "core-sqii@2015-16",
            "--data",
            results,
            "--district",
            DISTRICT,
        )
        flags = _run("discrepancies", "--cycle", CYCLE, "--district", DISTRICT)
    # CPU is final in the demo, so the command writes the packet kept at its finalization.
    with zipfile.ZipFile(folder / f"{DISTRICT}-{CYCLE}-packet-v1.zip") as archive:
        pdf = archive.read(f"{DISTRICT}-{CYCLE}-packet.pdf")
        book = load_workbook(io.BytesIO(archive.read(f"{DISTRICT}-{CYCLE}-packet.xlsx")))
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    sheets = {
        name: [[_shown(c) for c in row] for row in book[name].iter_rows()]
        for name in book.sheetnames
    }
    return " ".join(text.split()), sheets, _tables(summary), flags


def _run(*args: object) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([str(a) for a in args]) == 0
    return out.getvalue()


def _shown(cell) -> str:
    """A cell as Excel displays it: its value through its number format."""
    value, fmt = cell.value, cell.number_format
    if value is None:
        return ""
    if isinstance(value, int | float) and fmt.startswith("#,##0"):
        places = len(fmt.split(".")[1]) if "." in fmt else 0
        return f"{value:,.{places}f}"
    return str(value)


def _tables(printed: str) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The command line's tables by title, as header and rows of cells (columns are two or
    more spaces apart; '-' is its blank); its opening lines under "header"."""
    tables = {}
    for block in printed.split("\n\n"):
        lines = block.splitlines()
        if block.startswith("District "):
            tables["header"] = (lines, [])
        elif len(lines) > 3 and set(lines[2].replace(" ", "")) == {"-"}:
            header, *rows = (re.split(r"\s{2,}", line.strip()) for line in lines[1:2] + lines[3:])
            tables[lines[0]] = (header, [["" if c == "-" else c for c in r] for r in rows])
    return tables


def _data(sheet: list[list[str]]) -> list[list[str]]:
    return sheet[1:]


def _in_pdf(text: str, *cells: str) -> bool:
    return " ".join(" ".join(c.split()) for c in cells if c) in text


def test_school_counts_agree(packet):
    text, sheets, cli, _ = packet
    schools = _data(sheets["Index by school"])
    designations = [row[2] for row in schools]
    priority, focus, reward = (designations.count(d) for d in ("priority", "focus", "reward"))
    assert (len(schools), priority, focus, reward) == (59, 6, 9, 0)
    assert f"Schools 59 Priority / focus / reward schools {priority} / {focus} / {reward}" in text
    assert cli["header"][0][2:4] == [
        "Schools: 59",
        f"Designated schools: priority {priority}, focus {focus}, reward {reward}",
    ]


def test_band_counts_and_medians_agree(packet):
    text, sheets, cli, _ = packet
    rows = _data(sheets["Index bands"])
    printed = cli["Schools per band (all students)"][1]
    assert len(rows) == len(printed) == 9
    for row, line in zip(rows, printed, strict=True):
        # The command line adds how many schools have a level (its third column).
        assert line[:2] + line[3:] == row, row[0]
        assert _in_pdf(text, *row), row
    assert rows[0] == [
        "Academic performance (% proficient, ELA and math)",
        "yes",
        "19",
        "31",
        "9",
        "5.0",
        "7.0",
    ]


def test_group_gaps_and_trends_agree(packet):
    text, sheets, cli, _ = packet
    title = "Group gaps (median of all-students level minus group level, where both reported)"
    groups, gaps = cli[title]
    by_metric = {line[0]: line for line in gaps}
    rows = _data(sheets["Index gaps"])
    for metric, group, schools, gap in rows:
        assert by_metric[metric][groups.index(group)] == gap, (metric, group)
        assert _in_pdf(text, metric, group, schools, gap), (metric, group)
    assert any("." in gap for *_, gap in rows)  # half levels, written 0.5, never .50
    years, trends = cli["Trend of the median level"]
    by_metric = {line[0]: line for line in trends}
    for metric, year, schools, median in _data(sheets["Index trends"]):
        assert by_metric[metric][years.index(year)] == median, (metric, year)
        assert _in_pdf(text, metric, year, schools, median), (metric, year)


def test_school_scores_and_levels_agree(packet):
    text, sheets, cli, _ = packet
    printed = {line[0]: line for line in cli["Schools (by name; levels for all students)"][1]}
    rows = _data(sheets["Index by school"])
    for row in rows:
        name, kind, designation, *levels, score, level = row
        line = printed[name]
        # The command line adds the school's id (second column).
        assert [line[0], *line[2:]] == row, name
        assert _in_pdf(text, name, kind, designation, score, level), name
    adams = next(r for r in rows if r[0] == "Adams Elementary")
    assert adams[-2:] == ["28.58", "3"]


def test_item_levels_and_statuses_agree(packet):
    text, sheets, _, _ = packet
    # A final packet shows both peers' levels between the district's own and the final one.
    assert sheets["Ratings"][0] == [
        "Item", "Title", "Self level", "Peer ALV", "Peer FHU", "Final level", "Status"
    ]  # fmt: skip
    ratings = _data(sheets["Ratings"])
    selves = re.findall(r"Self-rating: (not applicable|not rated|\d+)", text)
    assert selves == [{"N/A": "not applicable", "": "not rated"}.get(r[2], r[2]) for r in ratings]
    for item, title, _self, _alv, _fhu, final, status in ratings:
        assert _in_pdf(text, item, title, final, status), item
    overall = dict(_data(sheets["Summary"])[:1])["Overall compliance status"]
    assert f"Overall compliance status: {overall}. Data as of" in text  # summary page
    assert f"Overall compliance status: {overall} Principle / item" in text  # overview
    for part, paragraph in _data(sheets["Summary"]):
        if part == "Summary":
            assert _in_pdf(text, paragraph), paragraph


def test_flags_agree(packet):
    text, sheets, _, flags = packet
    found = re.search(r"(\d+|No) open flags? in cycle", flags)
    count = 0 if found.group(1) == "No" else int(found.group(1))
    # CPU is final: no flag is open, and only a draft's cover counts open flags.
    assert count == 0
    assert "Phase Final" in text and "Open flags:" not in text
    for item, shown, *_ in _data(sheets["Reconciliation"]):
        for flag in filter(None, shown.split("; ")):
            assert _in_pdf(text, f"⚑ {flag}"), (item, flag)


def test_context_measures_per_thousand_agree(packet):
    text, sheets, _, _ = packet
    rows = _data(sheets["Context measures"])
    assert rows, "the demo reports context measures"
    for item, measure, reported, students, rate in rows:
        assert students == "73,500"
        assert _in_pdf(text, measure, reported or "not reported", rate), (item, measure)
    assert f"Students {rows[0][3]}" in text
