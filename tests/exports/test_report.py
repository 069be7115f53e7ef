from exports.report import PeerEntry, build_report
from review.rubrics import Catalogue, content_hash
from tests.exports.conftest import HOSTILE


def test_build_report_sections_exact(rated, rubrics_dir):
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
        PeerEntry(reviewer="B", level=2, rationale="-Only agendas", suggestions="+Add sign-ins B"),
        PeerEntry(
            reviewer="C", level=4, rationale="@Strong records", suggestions="+Add sign-ins C"
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
    assert dict(report.audit) == {"save peer rating": 2, "save self rating": 2}
