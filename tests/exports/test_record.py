"""The packet as a complete record (issue 14, item 5): summary in prose, questions, answers and
discussion, evidence and context measures per item, the whole audit trail, definitions,
finalized on / by and sign-off — read back from the PDF and the workbook."""

import io
from datetime import datetime, timedelta
from decimal import Decimal

from openpyxl import load_workbook
from pypdf import PdfReader

from exports.excel import render_xlsx
from exports.pdf import render_pdf
from exports.record import ContextFigure
from exports.report import build_report
from exports.trail import ANONYMOUS, HIDDEN_DRAFT, HIDDEN_PEER
from review import comments, cycles, evidence, peer_sets, ratings, reconcile
from review.ratings import RatingInput
from review.rubrics import Catalogue
from tests.exports.conftest import PDF

QUESTION = "How many parents came to the four meetings?"
ANSWER = "About 1,200; the sign-in sheets are attached."
DISCUSSION = "The sign-ins bear the count out: level 3 holds."
DRAFT = "status: draft"  # peer ratings are saved as drafts


def _report(world, code="A"):
    with world.db.session() as s:
        return build_report(
            s, Catalogue(world.settings.rubrics_dir), cycle_name="2015-16", district_code=code
        )


def _text(pdf: bytes) -> str:
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    return " ".join("\n".join(pages).replace("\u200b", "").split())


def _self_evaluate(world, s, cycle, levels, parents=None):
    a, lead = world.district_id("A"), world.leads["A"]
    for item, level in levels.items():
        values = {"parents_reached": parents} if item == "ENGAGE" and parents else {}
        data = RatingInput(level=level, narrative=f"{item} narrative", context_values=values)
        ratings.save_self_rating(
            s, lead, cycle, world.rubric, district_id=a, item_id=item, data=data,
            expected_version=None,
        )  # fmt: skip
    evidence.add_evidence(
        s, world.settings, lead, cycle, world.rubric, district_id=a, file_name="sign-ins.pdf",
        data=PDF + cycle.name.encode(), description="Sign-in sheets", items=("ENGAGE",),
    )  # fmt: skip
    ratings.submit_self_evaluation(s, lead, cycle, world.rubric, district_id=a)


def _peer_rate(world, s, cycle, levels):
    for code in "BC":
        for item, level in levels.items():
            ratings.save_peer_rating(
                s, world.leads[code], cycle, world.rubric, district_id=world.district_id("A"),
                item_id=item, data=RatingInput(level=level, narrative=f"{code} on {item}",
                suggestions=f"{code} suggests more on {item}"), expected_version=None,
            )  # fmt: skip


def _ask_and_answer(world, s, cycle):
    question = comments.ask_question(
        s, world.leads["B"], cycle, district_id=world.district_id("A"), item_id="ENGAGE",
        body=QUESTION,
    )  # fmt: skip
    comments.answer_question(s, world.leads["A"], cycle, question_id=question.id, body=ANSWER)


def _finished(world):
    """District A: last cycle's self-evaluation, then this cycle from self-rating to final."""
    catalogue = Catalogue(world.settings.rubrics_dir)
    a = world.district_id("A")
    with world.db.session() as s:
        earlier = cycles.create_cycle(
            s, world.coordinator, catalogue, name="2014-15", rubric_key="tiny@v1"
        )
        cycles.define_triads(s, world.coordinator, earlier, {"North": ["A", "B", "C"]})
        _self_evaluate(world, s, earlier, {"ENGAGE": 2, "PDSA": 2})
    with world.db.session() as s:
        cycle = world.cycle(s)
        _self_evaluate(world, s, cycle, {"ENGAGE": 3, "PDSA": 2}, parents=1234)
        _peer_rate(world, s, cycle, {"ENGAGE": 3, "PDSA": 2})
        _ask_and_answer(world, s, cycle)
        for code in "BC":
            peer_sets.submit_peer_ratings(s, world.leads[code], cycle, world.rubric, district_id=a)
        reconcile.start_reconciliation(s, world.leads["B"], cycle, world.rubric, district_id=a)
        for item in ("ENGAGE", "PDSA"):
            request = reconcile.DecisionRequest(
                district_id=a, item_id=item, method=reconcile.Method.AGREEMENT
            )
            reconcile.decide(s, world.leads["B"], cycle, world.rubric, request)
        reconcile.discuss(
            s, world.leads["C"], cycle, world.rubric, district_id=a, item_id="ENGAGE",
            body=DISCUSSION,
        )  # fmt: skip
        reconcile.finalize_district(s, world.coordinator, cycle, world.rubric, district_id=a)
    return world


def test_a_final_packet_is_a_complete_record(world):
    report = _report(_finished(world))

    engage, pdsa, extra = report.items
    assert [(n.kind, n.author, n.body) for n in engage.notes] == [
        ("question", "Lead B", QUESTION),
        ("answer", "Lead A", ANSWER),
        ("discussion", "Lead C", DISCUSSION),
    ]
    assert engage.context == (ContextFigure("Parents reached", 1234, Decimal("112.2")),)
    assert engage.evidence_files == (f"sign-ins.pdf (SHA-256 {report.evidence[0].sha256[:12]}…)",)
    assert (pdsa.notes, pdsa.context, pdsa.evidence_files) == ((), (), ())
    assert report.summary == (
        # EXTRA, optional and without a final level, does not count.
        "P2 Principle 2: partially meets (3 items: 1 item at level 2, 1 item at level 3, "
        "1 item without a final level).",
        "Strengths: no item has been decided at the top level (4 Exemplary).",
        "Next steps: PDSA PDSA cycles: B suggests more on PDSA.",
        "Since 2014-15: ENGAGE up from 2 to 3; 1 unchanged.",
    )
    assert report.finalized is not None
    assert report.finalized[1] == "Coordinator"
    assert report.sign_off == (
        ("District review lead, District A", ""),
        ("Reviewing district B", ""),
        ("Reviewing district C", ""),
        ("Coordinator (finalized the review)", "Coordinator"),
    )
    assert [(r.who, r.action, r.item) for r in report.audit_rows] == [
        ("Lead A", "save self rating", "ENGAGE"),
        ("Lead A", "save self rating", "PDSA"),
        ("Lead A", "upload evidence", "ENGAGE"),
        ("Lead A", "link evidence", "ENGAGE"),
        ("Lead A", "change phase", ""),
        ("Lead A", "submit self-evaluation", ""),
        ("Lead B", "save peer rating", "ENGAGE"),
        ("Lead B", "change phase", ""),
        ("Lead B", "save peer rating", "PDSA"),
        ("Lead C", "save peer rating", "ENGAGE"),
        ("Lead C", "save peer rating", "PDSA"),
        ("Lead B", "add question", "ENGAGE"),
        ("Lead A", "add answer", "ENGAGE"),
        ("Lead B", "submit peer ratings", ""),
        ("Lead C", "submit peer ratings", ""),
        ("Lead B", "change phase", ""),
        ("Lead B", "start reconciliation", ""),
        ("Lead B", "confirm agreement", "ENGAGE"),
        ("Lead B", "confirm agreement", "PDSA"),
        ("Lead C", "add discussion", "ENGAGE"),
        ("Coordinator", "change phase", ""),
        ("Coordinator", "finalize district", ""),
    ]
    last_phase = report.audit_rows[-2]
    assert (last_phase.before, last_phase.after) == ("phase: Reconciliation", "phase: Final")
    assert report.audit_rows[6].after == (
        "level: 3; narrative: B on ENGAGE; suggestions: B suggests more on ENGAGE; status: draft"
    )

    text = _text(render_pdf(report))
    at = f"{report.finalized[0]:%Y-%m-%d %H:%M} UTC"
    for expected in (
        f"Finalized on / by {at} by Coordinator",
        "Summary Overall compliance status: partially meets.",
        *report.summary,
        f"Questions, answers and discussion From Date Text Question Lead B "
        f"{report.finalized[0]:%Y-%m-%d} {QUESTION}",
        "Context measure Reported Per 1,000 students Parents reached 1,234 112.2",
        f"Evidence: {engage.evidence_files[0]}",
        "Audit trail",
        "Lead A add answer ENGAGE body: About 1,200; the sign-in sheets are attached.",
        "Methods of decision Meaning agreement every peer gave the same level",
        "Flags Meaning peer disagreement the peer levels differ by 2 or more",
        "Phases Meaning Self-evaluation in draft the district is writing its self-evaluation",
        f"Sign-off Finalized on {at} by Coordinator. Role Name Signature Date "
        "District review lead, District A Reviewing district B Reviewing district C "
        "Coordinator (finalized the review) Coordinator",
    ):
        assert expected in text, expected
    assert "DRAFT" not in text

    book = load_workbook(io.BytesIO(render_xlsx(report)))
    summary = [[c.value for c in row] for row in book["Summary"].iter_rows()]
    assert summary[3][0] == "Finalized on (UTC)"  # a date cell (to the millisecond)
    assert abs(summary[3][1] - report.finalized[0].replace(tzinfo=None)) < timedelta(seconds=1)
    assert summary[4:] == [["Finalized by", "Coordinator"]] + [
        ["Summary", p] for p in report.summary
    ]
    context = [[c.value for c in row] for row in book["Context measures"].iter_rows()]
    assert context == [
        ["Item", "Measure", "Reported", "Students", "Per 1,000 students"],
        ["ENGAGE", "Parents reached", 1234, 11_000, 112.2],
    ]
    trail = list(book["Audit trail"].iter_rows(values_only=True))
    assert len(trail) == len(report.audit_rows) + 1
    assert all(isinstance(row[0], datetime) for row in trail[1:])
    assert [row[1:4] for row in trail[1:]] == [
        (r.who, r.action, r.item or None)
        for r in report.audit_rows  # empty cells read as None
    ]
    notes = list(book["Questions and discussion"].iter_rows(values_only=True))
    assert [row[:3] + row[4:] for row in notes[1:]] == [
        ("ENGAGE", "question", "Lead B", QUESTION),
        ("ENGAGE", "answer", "Lead A", ANSWER),
        ("ENGAGE", "discussion", "Lead C", DISCUSSION),
    ]
    assert [c.value for c in book["Sign-off"]["A"]][1:] == [r for r, _ in report.sign_off]
    definitions = list(book["Definitions"].iter_rows(values_only=True))
    assert ("Methods of decision", "adjudication", (
        "the peers could not agree; a coordinator decided as a third reader, with a rationale"
    )) in definitions  # fmt: skip


def test_a_draft_record_hides_unreleased_peer_work_and_who_did_it(rated):
    a = rated.district_id("A")
    with rated.db.session() as s:
        cycle = rated.cycle(s)
        _ask_and_answer(rated, s, cycle)
        reconcile.discuss(
            s, rated.leads["C"], cycle, rated.rubric, district_id=a, item_id="ENGAGE",
            body=DISCUSSION,
        )  # fmt: skip
    report = _report(rated)

    engage = report.items[0]
    assert [(n.kind, n.author, n.body) for n in engage.notes] == [
        ("question", ANONYMOUS, QUESTION),
        ("answer", "Lead A", ANSWER),
    ]
    peer_side = [r for r in report.audit_rows if r.action in ("save peer rating", "add discussion")]
    assert [(r.who, r.before, r.after) for r in peer_side] == [
        (ANONYMOUS, "", HIDDEN_PEER),
        (ANONYMOUS, "", HIDDEN_PEER),
        (ANONYMOUS, "", HIDDEN_PEER),
    ]
    assert (report.finalized, report.sign_off) == (None, ())
    assert report.as_of == engage.notes[-1].at  # the answer is the latest change shown
    text = _text(render_pdf(report))
    for hidden in ("Lead B", "Lead C", DISCUSSION, "Only agendas", "Strong records", "Sign-off"):
        assert hidden not in text, hidden
    assert f"{ANONYMOUS} save peer rating ENGAGE {HIDDEN_PEER}" in text
    assert "Finalized on" not in text
    book = load_workbook(io.BytesIO(render_xlsx(report)))
    assert "Sign-off" not in book.sheetnames
    cells = [v for row in book["Audit trail"].iter_rows(values_only=True) for v in row]
    assert "Lead B" not in cells and "-Only agendas" not in " ".join(map(str, cells))


def test_released_peer_work_shows_under_peer_numbers_until_final(released):
    with released.db.session() as s:
        _ask_and_answer(released, s, released.cycle(s))
    report = _report(released)
    assert [n.author for n in report.items[0].notes] == ["Peer 1", "Lead A"]
    saves = [r for r in report.audit_rows if r.action == "save peer rating"]
    assert [(r.who, r.after) for r in saves] == [
        ("Peer 1", "level: 2; narrative: -Only agendas; suggestions: +Add sign-ins B; " + DRAFT),
        ("Peer 2", "level: 4; narrative: @Strong records; suggestions: +Add sign-ins C; " + DRAFT),
    ]


def test_draft_self_ratings_are_in_the_trail_without_their_values(world):
    with world.db.session() as s:
        ratings.save_self_rating(
            s, world.leads["D"], world.cycle(s), world.rubric, district_id=world.district_id("D"),
            item_id="ENGAGE", expected_version=None,
            data=RatingInput(level=4, narrative="Half-written thoughts"),
        )  # fmt: skip
    report = _report(world, code="D")
    assert [(r.who, r.action, r.item, r.before, r.after) for r in report.audit_rows] == [
        ("Lead D", "save self rating", "ENGAGE", "", HIDDEN_DRAFT)
    ]
    assert "Half-written thoughts" not in _text(render_pdf(report))
    assert report.summary[-1] == (
        "Since the previous cycle: there is no earlier cycle to compare with."
    )
