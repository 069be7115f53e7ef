"""Reconciliation, calibration and practice-library pages on a copy of the demo network."""

import json

import pytest
from sqlalchemy import select

from review import accounts, cycles, reconcile
from review.access import Phase
from review.db import Comment, Decision, District, User
from review.rubrics import Catalogue
from review.settings import Settings
from tests.ui.test_progress_page import MAIN_WIDTH_AT_1400

FLAGGED = "P2-INDEX-DATA"  # FHU's item rated 4 by ALV and 2 by CPU in the demo


def _id(db, model, **where):
    with db.reading() as s:
        column = model.id
        query = select(column)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return s.scalar(query)


def _phase(db, code):
    with db.reading() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        return cycles.participation(s, cycle, _id(db, District, code=code)).phase


def _decisions(db):
    """FHU's decisions in 2015-16 (the demo decided other districts' items itself)."""
    with db.reading() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        fhu = s.scalar(select(District.id).where(District.code == "FHU"))
        rows = s.scalars(
            select(Decision)
            .where(Decision.cycle_id == cycle.id, Decision.district_id == fhu)
            .order_by(Decision.id)
        )
        return [(r.item_id, r.level, r.method, r.rationale, r.decided_by) for r in rows]


def _actor(session, email):
    return accounts.actor_for(session.scalar(select(User).where(User.email == email)))


def _started(db, code="FHU"):
    """Start the district's reconciliation as the coordinator (the demo leaves it in peer
    review, every reviewer's ratings submitted)."""
    with db.session() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        rubric = cycles.cycle_rubric(Catalogue(Settings.from_env({}).rubrics_dir), cycle)
        reconcile.start_reconciliation(
            s,
            _actor(s, "coordinator@core.example"),
            cycle,
            rubric,
            district_id=_id(db, District, code=code),
        )
        return cycle, rubric


def _on_fhu(app_as, email):
    at = app_as(email, "reconciliation")
    at.selectbox(key="recon_district").set_value("FHU").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_reviewer_sees_the_flagged_item_first(app_as, demo_db):
    _started(demo_db)
    at = _on_fhu(app_as, "lead@cpu.example")
    assert at.selectbox(key="recon_item_FHU").value == FLAGGED
    assert at.dataframe[0].value.iloc[0].to_dict() == {
        "Item": FLAGGED,
        "Title": "Collection of School Quality Improvement Index data",
        "Flags": "peer disagreement",
        "Self": "4",
        "Peers": "ALV 4, CPU 2",
        "Spread": "2",
        "Status": "needs consensus",
        "Final": "–",
    }
    assert [w.value for w in at.warning] == ["⚑ peer disagreement: Peers rated 2 and 4 (spread 2)"]
    assert at.radio(key=f"recon_consensus_level_FHU_{FLAGGED}").options == [
        "1 Not started",
        "2 Beginning",
        "3 Implementing",
        "4 Fully implemented",
    ]


def test_peer_consensus_without_rationale_is_refused(app_as, demo_db):
    _started(demo_db)
    at = _on_fhu(app_as, "lead@cpu.example")
    at.radio(key=f"recon_consensus_level_FHU_{FLAGGED}").set_value("3 Implementing")
    at.button(key=f"recon_consensus_FHU_{FLAGGED}").click().run()
    assert [e.value for e in at.error] == ["Write a rationale: what the peers agreed and why."]
    assert _decisions(demo_db) == []


def test_reviewer_posts_to_the_discussion(app_as, demo_db):
    at = _on_fhu(app_as, "lead@cpu.example")
    at.text_area(key=f"recon_discuss_FHU_{FLAGGED}").input("Is the survey data <b>complete</b>?")
    at.button(key=f"recon_post_FHU_{FLAGGED}").click().run()
    assert [s.value for s in at.success] == ["Posted to the discussion."]
    assert at.text[-1].value.endswith("\nIs the survey data <b>complete</b>?")
    with demo_db.session() as s:
        rows = s.execute(select(Comment.kind, Comment.item_id, Comment.body)).all()
    assert ("discussion", FLAGGED, "Is the survey data <b>complete</b>?") in rows


def test_coordinator_adjudicates_the_disagreement_with_a_rationale(app_as, demo_db):
    rationale = "The index data were complete for every school; the survey lagged in two."
    _started(demo_db)
    at = _on_fhu(app_as, "coordinator@core.example")
    at.radio(key=f"recon_adjudicate_level_FHU_{FLAGGED}").set_value("3 Implementing")
    at.text_area(key=f"recon_adjudicate_rationale_FHU_{FLAGGED}").input(rationale)
    at.button(key=f"recon_adjudicate_FHU_{FLAGGED}").click().run()
    assert not at.error
    assert [s.value for s in at.success][0] == (
        f"FHU {FLAGGED}: final level 3 (coordinator adjudication)."
    )
    coordinator = _id(demo_db, User, email="coordinator@core.example")
    assert _decisions(demo_db) == [(FLAGGED, 3, "adjudication", rationale, coordinator)]
    assert _phase(demo_db, "FHU") == "reconciliation"
    assert at.button(key=f"recon_adjudicate_FHU_{FLAGGED}").label == "Change the decision"


def test_finalize_is_refused_while_items_are_undecided(app_as, demo_db):
    _started(demo_db)
    at = _on_fhu(app_as, "coordinator@core.example")
    at.button(key="recon_finalize_FHU").click().run()
    undecided = [
        "P2-STAKEHOLDER",
        "P2-REPORTS",
        "P2-PRINCIPAL-PD",
        "P2-DATA-USE",
        "P2-PAIRING",
        "P2-PROBLEMS",
        "P2-PLAN",
        "P2-COLLABORATION",
        "P2-PROGRESS",
        "P2-COP",
        "P2-PDSA",
        "P2-FACILITATOR",
        "P2-FUNDS",
    ]
    blockers = (
        [f"{FLAGGED} has open flags (peer disagreement)"]
        + [f"{i} has no decision yet" for i in undecided]
        + ["P2-WALKTHROUGH has open flags (high rating without evidence)"]
        + ["P2-PEER-FOLLOWUP has no decision yet"]
    )
    assert [e.value for e in at.error] == [
        "Fairhaven Unified cannot be finalized yet: " + "; ".join(blockers) + "."
    ]
    assert _phase(demo_db, "FHU") == "reconciliation"


def test_calibration_page_shows_n_and_the_few_ratings_label(app_as):
    at = app_as("coordinator@core.example", "calibration")
    assert at.selectbox(key="calibration_item").value == FLAGGED
    assert at.dataframe[1].value.to_dict("records") == [
        {"": "Exact agreement", "Value": "33%", "n": 3, "Note": "few ratings"},
        {
            "": "Adjacent agreement (within one level)",
            "Value": "67%",
            "n": 3,
            "Note": "few ratings",
        },
        {"": "Krippendorff's alpha (ordinal)", "Value": "0.53", "n": 6, "Note": "few ratings"},
        {"": "Weighted kappa ALV × CPU", "Value": "0.00", "n": 1, "Note": "few ratings"},
        {"": "Weighted kappa ALV × FHU", "Value": "undefined", "n": 1, "Note": "few ratings"},
        {"": "Weighted kappa BHU × DCU", "Value": "0.00", "n": 1, "Note": "few ratings"},
    ]
    assert at.dataframe[2].value.to_dict("records")[:3] == [
        {"": "Reviewer ALV", "Value": "+1.00", "n": 2, "Note": "few ratings"},
        {"": "Reviewer BHU", "Value": "+1.00", "n": 1, "Note": "few ratings"},
        {"": "Reviewer CPU", "Value": "-2.00", "n": 1, "Note": "few ratings"},
    ]
    fhu = at.dataframe[0].value.to_dict("records")[-1]
    assert fhu == {
        "Code": "FHU",
        "District": "Fairhaven Unified",
        "Enrollment": 612400,
        "Size band": "large",
        "Triad": "Triad North",
        "Self": "4",
        "Peers": "ALV 4, CPU 2",
        "Final": "–",
        "Flags": "peer disagreement",
        "Evidence": "fhu-2015-16-survey-participation.csv",
    }
    bhu = at.dataframe[0].value.to_dict("records")[1]  # nothing submitted, nothing rated yet
    assert [bhu[c] for c in ("Code", "Self", "Peers", "Final", "Flags", "Evidence")] == [
        "BHU",
        "–",
        "–",
        "–",
        "–",
        "–",
    ]


def test_calibration_review_blocks_and_then_resolves(app_as):
    at = app_as("coordinator@core.example", "calibration")
    at.text_area(key=f"calibration_reason_{FLAGGED}").input("FHU's 4 and 2 suggest two readings.")
    at.button(key=f"calibration_send_{FLAGGED}").click().run()
    assert at.success[0].value.startswith(f"{FLAGGED} is under calibration review")
    assert at.dataframe[-1].value[["Item", "Reason"]].to_dict("records") == [
        {"Item": FLAGGED, "Reason": "FHU's 4 and 2 suggest two readings."}
    ]
    at.text_area(key=f"calibration_resolution_{FLAGGED}").input("Descriptor 4 means all schools.")
    at.button(key=f"calibration_resolve_{FLAGGED}").click().run()
    assert [s.value for s in at.success] == [f"The calibration review of {FLAGGED} is resolved."]


def _decided_at_the_top(db):
    """FHU's items every peer rated 4, confirmed by CPU; the demo decides nothing itself."""
    cycle, rubric = _started(db)
    with db.session() as s:
        cpu = _actor(s, "lead@cpu.example")
        fhu = _id(db, District, code="FHU")
        for entry in reconcile.queue(s, cpu, cycle, rubric, fhu):
            levels = {r.level for r in entry.peer_ratings}
            if entry.needs == reconcile.NEEDS_CONFIRM and levels == {rubric.top_level}:
                request = reconcile.DecisionRequest(
                    district_id=fhu, item_id=entry.item, method=reconcile.Method.AGREEMENT
                )
                reconcile.decide(s, cpu, cycle, rubric, request)


def test_practice_library_shows_only_decided_items(app_as, demo_db):
    at = app_as("lead@alv.example", "practice")
    # CPU's and ECU's items the demo decided at level 4; none of FHU's, though peers rated 4.
    assert at.caption[1].value == "8 practice(s) found."
    _decided_at_the_top(demo_db)
    at.run()
    assert at.caption[1].value == "10 practice(s) found."
    at.text_input(key="practice_keyword").input("problems of practice").run()
    assert at.caption[1].value == "1 practice(s) found."
    assert at.markdown[0].value == "**P2-PROBLEMS · Problems of practice** — level 4"
    assert at.text[0].value == (
        "FHU · Fairhaven Unified · large (over 100,000 students) · cycle 2015-16 · decided"
    )
    assert not [c.value for c in at.caption if c.value.startswith("Peer ")]  # not released
    assert at.text[-1].value == "fhu-2015-16-improvement-notes.txt"


def test_practice_library_filters_by_size_band(app_as, demo_db):
    _decided_at_the_top(demo_db)
    at = app_as("lead@alv.example", "practice")
    at.selectbox(key="practice_size").set_value("small").run()
    assert at.caption[1].value == "0 practice(s) found."
    at.selectbox(key="practice_size").set_value("medium").run()
    assert at.caption[1].value == "8 practice(s) found."  # CPU's and ECU's
    at.selectbox(key="practice_size").set_value("large").run()
    assert at.caption[1].value == "2 practice(s) found."


def test_editor_who_does_not_review_a_district_gets_a_message_not_data(app_as):
    at = app_as("lead@alv.example", "reconciliation")
    at.query_params["district"] = "DCU"
    at.run()
    assert [e.value for e in at.error] == [
        "You cannot reconcile district DCU in cycle 2015-16: only its peer reviewers and the "
        "coordinators can see its peer ratings."
    ]
    assert at.selectbox(key="recon_district").options == [
        "CPU · Cedar Plains Unified",
        "FHU · Fairhaven Unified",
    ]
    assert not any("Dunmore" in t.value for t in at.text)


def test_own_district_cannot_be_reconciled(app_as):
    at = app_as("lead@alv.example", "reconciliation")
    at.query_params["district"] = "ALV"
    at.run()
    assert [e.value for e in at.error] == [
        "You cannot reconcile district ALV: a district never reconciles its own ratings."
    ]


def test_coordinator_reopens_a_final_district_with_a_reason(app_as, demo_db):
    with demo_db.session() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        part = cycles.participation(s, cycle, _id(demo_db, District, code="FHU"))
        cycles.set_phase(s, None, part, Phase.FINAL)
    at = _on_fhu(app_as, "coordinator@core.example")
    at.button(key="recon_reopen_FHU").click().run()
    assert [e.value for e in at.error] == [
        "Give the reason for reopening; it is kept in the audit log."
    ]
    at.text_input(key="recon_reopen_reason_FHU").input("Evidence for P2-PLAN arrived late.")
    at.button(key="recon_reopen_FHU").click().run()
    assert [s.value for s in at.success][0] == "Fairhaven Unified is reopened for reconciliation."
    assert _phase(demo_db, "FHU") == "reconciliation"


def test_a_decision_made_in_another_browser_shows_at_the_next_rerun(app_as, demo_db):
    _started(demo_db)
    reviewer = _on_fhu(app_as, "lead@cpu.example")
    assert reviewer.dataframe[0].value.iloc[0]["Final"] == "–"
    coordinator = _on_fhu(app_as, "coordinator@core.example")
    coordinator.radio(key=f"recon_adjudicate_level_FHU_{FLAGGED}").set_value("3 Implementing")
    coordinator.text_area(key=f"recon_adjudicate_rationale_FHU_{FLAGGED}").input("Agreed.")
    coordinator.button(key=f"recon_adjudicate_FHU_{FLAGGED}").click().run()
    reviewer.run()
    assert reviewer.dataframe[0].value.iloc[0]["Final"] == "3"


def test_the_queue_shows_a_dash_where_an_item_has_no_spread_flags_or_peers(app_as):
    # No peer rating of ALV is submitted in the demo, so no item of it has a spread.
    at = app_as("coordinator@core.example", "reconciliation")
    at.selectbox(key="recon_district").set_value("ALV").run()
    queue = next(d.value for d in at.dataframe if "Spread" in d.value.columns)
    assert queue.iloc[0].to_dict() == {
        "Item": "P2-INDEX-DATA",
        "Title": "Collection of School Quality Improvement Index data",
        "Flags": "–",
        "Self": "4",
        "Peers": "–",
        "Spread": "–",
        "Status": "waiting for ratings",
        "Final": "–",
    }
    assert set(queue["Spread"]) == {"–"}


@pytest.mark.parametrize(
    "email, first",
    [
        ("coordinator@core.example", "ECU"),  # the demo's one district in reconciliation
        ("lead@alv.example", "FHU"),  # CPU is final; FHU waits in peer review
        ("lead@ecu.example", "BHU"),  # neither BHU nor DCU has reached peer review
    ],
)
def test_the_district_first_shown_is_where_the_readers_work_is(app_as, email, first):
    at = app_as(email, "reconciliation")
    assert not at.exception and not at.error
    assert at.selectbox(key="recon_district").value == first


def test_calibration_districts_fit_beside_the_sidebar_at_1400_px(app_as):
    at = app_as("coordinator@core.example", "calibration")
    columns = {k: v for k, v in json.loads(at.dataframe[0].proto.columns).items() if k != "_index"}
    assert sum(c["width"] for c in columns.values()) <= MAIN_WIDTH_AT_1400
    assert [name for name, c in columns.items() if c.get("pinned")] == ["Code"]
    assert columns["Enrollment"]["label"] == "Students"
    assert at.caption[0].value == "Cycle 2015-16 · network median of peer levels: 3.0"
