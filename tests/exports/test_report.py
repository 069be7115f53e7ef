import io

import pandas as pd
from pypdf import PdfReader

from exports.pdf import render_pdf
from exports.report import PeerEntry, build_report
from review.index.catalogue import SpecCatalogue
from review.index.importer import check_results
from review.index.store import save_results
from review.rubrics import Catalogue, content_hash
from review.settings import PROJECT_ROOT
from tests.exports.conftest import EVENTS_OF_A, HOSTILE

SPECS = SpecCatalogue(PROJECT_ROOT / "index_specs")


def test_build_report_sections_exact(released, rubrics_dir):
    rated = released
    with rated.db.session() as s:
        report = build_report(s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code="A")
    assert (report.district_code, report.district_name, report.phase) == (
        "A",
        "District A",
        "peer_review",
    )
    assert report.rubric_hash == content_hash(rated.rubric)
    engage, pdsa, extra = report.items
    assert (engage.self_level, engage.self_narrative) == (4, HOSTILE)
    assert engage.peers == (
        PeerEntry(
            reviewer="Peer 1", level=2, rationale="-Only agendas", suggestions="+Add sign-ins B"
        ),
        PeerEntry(
            reviewer="Peer 2", level=4, rationale="@Strong records", suggestions="+Add sign-ins C"
        ),
    )
    assert engage.flags == ("peer disagreement: Peers rated 2 and 4 (spread 2)",)
    assert (pdsa.self_not_applicable, pdsa.peers, pdsa.flags) == (True, (), ())
    assert (engage.status, extra.status) == ("not rated", "not rated")
    assert [(e.file_name, e.items) for e in report.evidence] == [
        ("agenda.pdf", ("ENGAGE",)),
        ("agenda.pdf", ("ENGAGE",)),
    ]
    assert report.overall_status == "not rated"
    assert [(p.principle, p.status, len(p.items)) for p in report.principles] == [
        ("P2", "not rated", 3)
    ]
    assert dict(report.audit) == EVENTS_OF_A


def test_report_carries_reconciliation_decisions(rated, rubrics_dir):
    from review import peer_sets, ratings, reconcile
    from review.ratings import RatingInput

    a = rated.district_id("A")
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
                data=RatingInput(not_applicable=True),
                expected_version=None,
            )
            peer_sets.submit_peer_ratings(s, lead, cycle, rated.rubric, district_id=a)
        reconcile.start_reconciliation(s, rated.coordinator, cycle, rated.rubric, district_id=a)
        reconcile.decide(
            s,
            rated.coordinator,
            cycle,
            rated.rubric,
            reconcile.DecisionRequest(
                district_id=a,
                item_id="ENGAGE",
                method=reconcile.Method.ADJUDICATION,
                level=3,
                rationale="Agendas and sign-ins agree",
            ),
        )
        agreement = reconcile.DecisionRequest(
            district_id=a, item_id="PDSA", method=reconcile.Method.AGREEMENT
        )
        reconcile.decide(s, rated.leads["B"], cycle, rated.rubric, agreement)
    with rated.db.session() as s:
        report = build_report(s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code="A")
    engage, pdsa, _ = report.items
    assert (
        engage.final_level,
        engage.status,
        engage.decision.method,
        engage.decision.rationale,
        engage.decision.decided_by,
    ) == (3, "meets", "adjudication", "Agendas and sign-ins agree", "Coordinator")
    assert (pdsa.final_level, pdsa.status) == (None, "not applicable")
    # EXTRA is optional and undecided: it does not count, so the principle and district meet.
    assert (report.principles[0].status, report.overall_status) == ("meets", "meets")


def test_report_counts_are_not_imported_without_index_data(rated, rubrics_dir):
    with rated.db.session() as s:
        report = build_report(s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code="A")
    assert (report.enrollment, report.school_count, report.counts_year) == (11_000, None, None)
    assert report.designations == (("priority", None), ("focus", None), ("reward", None))


def test_report_counts_come_from_the_cycles_latest_index_year(rated, rubrics_dir):
    rows = [
        {
            "school_id": school,
            "school_name": f"School {school}",
            "district_id": district,
            "school_type": "elementary",
            "year": year,
            "metric": "academic_performance",
            "group": "all",
            "n": 100,
            "value": 50.0,
            "designation": designation,
        }
        for school, district, year, designation in (
            ("S1", "A", "2014-15", "priority"),
            ("S1", "A", "2015-16", "focus"),
            ("S2", "A", "2015-16", "focus"),
            ("S3", "A", "2015-16", ""),
            ("T1", "B", "2015-16", "reward"),
        )
    ]
    save_results(rated.db, "2015-16", check_results(pd.DataFrame(rows)), specs=SPECS)
    with rated.db.session() as s:
        report = build_report(s, Catalogue(rubrics_dir), cycle_name="2015-16", district_code="A")
    assert (report.school_count, report.counts_year) == (3, "2015-16")
    assert report.designations == (("priority", 0), ("focus", 2), ("reward", 0))
    cover = PdfReader(io.BytesIO(render_pdf(report))).pages[0].extract_text()
    assert "Schools\n3\nPriority / focus / reward schools\n0 / 2 / 0\n" in cover
    assert "Schools counted from\nindex data 2015-16\n" in cover
