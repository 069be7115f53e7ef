"""My work: each role's to-do list, each task a link to the page that does it."""

from __future__ import annotations

from review.access import Phase
from review.db import District
from tests.ui.test_reconcile_pages import _id


def _links(at) -> list[tuple[str, str, str]]:
    """(label as shown, page, query string) of every page link in the main area."""
    return [
        (e.proto.label.replace("\\", ""), e.proto.page, e.proto.query_string)
        for e in at.main.get("page_link")
    ]


def test_editor_and_reviewer_sees_self_evaluation_and_ratings_to_give(app_as):
    at = app_as("lead@bhu.example", "home")
    assert _links(at) == [
        (
            "Complete your self-evaluation: 15 items without a level and 15 items without the "
            "evidence it needs",
            "self_evaluation",
            "",
        ),
        ("Rate Dunmore City Unified: 16 of 16 items not rated yet", "peer_review", "district=DCU"),
        (
            "Reconcile Elm Creek Unified: 8 items waiting for your decision",
            "reconciliation",
            "district=ECU",
        ),
    ]
    assert [c.value for c in at.main.caption][-3:] == [
        f"Due 2016-02-15 · overdue by {_late('2016-02-15')} days",
        f"Due 2016-04-15 · overdue by {_late('2016-04-15')} days",
        "No deadline",  # the cycle sets none for reconciliation
    ]


def _late(due: str) -> int:
    from datetime import date

    return (date.today() - date.fromisoformat(due)).days


def test_reviewer_in_reconciliation_is_sent_to_the_district_to_reconcile(app_as, demo_db):
    from review import cycles, reconcile
    from review.rubrics import Catalogue
    from review.settings import Settings

    coordinator = app_as("coordinator@core.example", "home")
    with demo_db.session() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        rubric = cycles.cycle_rubric(Catalogue(Settings.from_env().rubrics_dir), cycle)
        reconcile.start_reconciliation(
            s,
            coordinator.session_state["actor"],
            cycle,
            rubric,
            district_id=_id(demo_db, District, code="FHU"),
        )
    at = app_as("lead@cpu.example", "home")
    assert _links(at) == [
        (
            "Reconcile Fairhaven Unified: 16 items waiting for your decision",
            "reconciliation",
            "district=FHU",
        ),
        ("The review packet of Cedar Plains Unified is ready", "packets", ""),  # CPU is final
    ]
    coordinator.run()
    assert _links(coordinator)[-2] == (
        "Reconciliation of Fairhaven Unified: 2 open flags",
        "reconciliation",
        "district=FHU",
    )


def test_coordinator_sees_overdue_phases_linked_to_progress(app_as):
    at = app_as("coordinator@core.example", "home")
    late = "Self-evaluation in draft was due 2016-02-15; Peer review was due 2016-04-15"
    assert _links(at) == [
        (f"Alder Valley Unified is late: {late}", "progress", ""),
        (f"Birch Harbor Unified is late: {late}", "progress", ""),
        ("Dunmore City Unified is late: Peer review was due 2016-04-15", "progress", ""),
        ("Fairhaven Unified is late: Peer review was due 2016-04-15", "progress", ""),
        # Past their peer-review deadline too, but in reconciliation (ECU) or final (CPU).
        ("Reconciliation of Elm Creek Unified: 4 open flags", "reconciliation", "district=ECU"),
        ("The review packet of Cedar Plains Unified is ready", "packets", ""),
    ]


def test_observer_sees_ready_packets_or_that_nothing_waits(app_as, demo_db):
    from review import cycles, reconcile

    at = app_as("board@core.example", "home")
    cpu = ("The review packet of Cedar Plains Unified is ready", "packets", "")
    assert _links(at) == [cpu]  # the demo's final district
    coordinator = app_as("coordinator@core.example", "home").session_state["actor"]
    with demo_db.session() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        reconcile.reopen_district(
            s, coordinator, cycle, district_id=_id(demo_db, District, code="CPU"), reason="Test."
        )
    at.run()
    assert _links(at) == []
    assert [i.value for i in at.info] == ["Nothing waits for you in this cycle."]
    with demo_db.session() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        part = cycles.participation(s, cycle, _id(demo_db, District, code="ECU"))
        cycles.set_phase(s, None, part, Phase.FINAL)
    at.run()
    assert _links(at) == [("The review packet of Elm Creek Unified is ready", "packets", "")]
