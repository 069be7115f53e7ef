"""An optional item left without a final level does not make a district "not rated"; a
required one still does. Checked in the report and in the packet's text read back."""

import io

from pypdf import PdfReader

from exports.pdf import render_pdf
from exports.report import build_report
from review import peer_sets, ratings, reconcile
from review.ratings import RatingInput
from review.rubrics import Catalogue


def _decide(world, request, actor=None):
    with world.db.session() as s:
        cycle = world.cycle(s)
        reconcile.decide(s, actor or world.coordinator, cycle, world.rubric, request)


def _report(world, rubrics_dir):
    with world.db.reading() as s:
        return build_report(s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code="A")


def _text(report) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(report))).pages)


def test_only_required_items_without_a_final_level_leave_a_district_not_rated(rated, rubrics_dir):
    a = rated.district_id("A")
    assert not rated.rubric.item("EXTRA").required
    with rated.db.session() as s:
        cycle = rated.cycle(s)
        for code in "BC":
            lead = rated.leads[code]
            peer_sets.withdraw_peer_ratings(s, lead, cycle, rated.rubric, district_id=a)
            ratings.save_peer_rating(
                s,
                lead,
                cycle,
                rated.rubric,
                district_id=a,
                item_id="PDSA",
                data=RatingInput(level=2),
                expected_version=None,
            )
            peer_sets.submit_peer_ratings(s, lead, cycle, rated.rubric, district_id=a)
        reconcile.start_reconciliation(s, rated.coordinator, cycle, rated.rubric, district_id=a)
    _decide(
        rated,
        reconcile.DecisionRequest(
            district_id=a,
            item_id="ENGAGE",
            method=reconcile.Method.ADJUDICATION,
            level=3,
            rationale="Agendas and sign-ins",
        ),
    )
    # PDSA is required and undecided: the district is not rated yet.
    report = _report(rated, rubrics_dir)
    assert [(i.item_id, i.final_level, i.status, i.required) for i in report.items] == [
        ("ENGAGE", 3, "meets", True),
        ("PDSA", None, "not rated", True),
        ("EXTRA", None, "not rated", False),
    ]
    assert (report.principles[0].status, report.overall_status) == ("not rated", "not rated")

    agreement = reconcile.DecisionRequest(
        district_id=a, item_id="PDSA", method=reconcile.Method.AGREEMENT
    )
    _decide(rated, agreement, rated.leads["B"])
    # Only the optional EXTRA is left without a final level: it does not count.
    report = _report(rated, rubrics_dir)
    assert [(i.item_id, i.final_level, i.status) for i in report.items] == [
        ("ENGAGE", 3, "meets"),
        ("PDSA", 2, "partially meets"),
        ("EXTRA", None, "not rated"),
    ]
    assert (report.principles[0].status, report.overall_status) == (
        "partially meets",
        "partially meets",
    )
    text = _text(report)
    assert "Overall compliance status: partially meets. Data as of" in text
    assert "\nOverall compliance status: partially meets\n" in text  # the overview
    assert "P2 Principle 2: partially meets (3 items: " in text
    assert (
        "not rated no final level yet (an optional item without one does not count towards "
        "its principle's or the district's status)"
    ) in " ".join(text.split())
