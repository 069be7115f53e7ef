"""The review workflow on the pages: peer ratings submitted as a set, reconciliation started
explicitly, and a proposal that waits for the other reviewing district (demo network)."""

from sqlalchemy import select

from review import cycles
from review.db import Decision, District, Rating

FLAGGED = "P2-INDEX-DATA"  # FHU's item rated 4 by ALV and 2 by CPU in the demo
COORDINATOR = "coordinator@core.example"
LOCKS = (
    "the peer ratings of Fairhaven Unified (no reviewer can change or withdraw them any more) "
    "and Fairhaven Unified's self-evaluation"
)


def _district_id(db, code):
    with db.reading() as s:
        return s.scalar(select(District.id).where(District.code == code))


def _cycle_id(db):
    with db.reading() as s:
        return cycles.get_cycle(s, "2015-16").id


def _phase(db, code):
    with db.reading() as s:
        cycle = cycles.get_cycle(s, "2015-16")
        return cycles.participation(s, cycle, _district_id(db, code)).phase


def _on(app_as, email, code="FHU"):
    at = app_as(email, "reconciliation")
    at.selectbox(key="recon_district").set_value(code).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _start(at, code="FHU"):
    at.checkbox(key=f"recon_start_sure_{code}").check().run()
    at.button(key=f"recon_start_{code}").click().run()
    assert not at.error, [e.value for e in at.error]


def test_start_reconciliation_is_confirmed_naming_what_it_locks(app_as, demo_db):
    at = _on(app_as, "lead@cpu.example")
    assert at.dataframe[0].value.to_dict("records") == [
        {"Reviewer": "ALV", "Ratings": "submitted", "Items rated": "–"},
        {"Reviewer": "CPU", "Ratings": "submitted", "Items rated": "16"},
    ]
    assert f"Starting reconciliation locks {LOCKS}. Items are then decided one by one." in [
        t.value for t in at.text
    ]
    assert at.checkbox(key="recon_start_sure_FHU").label == f"I understand: this locks {LOCKS}."
    assert at.button(key="recon_start_FHU").disabled
    assert [i.value for i in at.info][-1] == (
        "The district is still in peer review: start reconciliation (above) before any item is "
        "decided or proposed."
    )
    assert not [r for r in at.radio if r.key.startswith("recon_consensus_level_")]
    assert _phase(demo_db, "FHU") == "peer_review"

    _start(at)
    assert [s.value for s in at.success][0] == (
        "Fairhaven Unified is now in reconciliation; its peer ratings are locked."
    )
    assert _phase(demo_db, "FHU") == "reconciliation"
    assert not [c for c in at.checkbox if c.key == "recon_start_sure_FHU"]


def test_start_waits_for_every_reviewer_to_submit(app_as, demo_db):
    reviewer = app_as("lead@cpu.example", "peer_review")
    reviewer.selectbox(key="peer_district").set_value("FHU").run()
    reviewer.button(key="peer_set_FHU_withdraw").click().run()
    at = _on(app_as, COORDINATOR, "FHU")
    assert at.dataframe[0].value.to_dict("records") == [
        {"Reviewer": "ALV", "Ratings": "submitted", "Items rated": "16"},
        {"Reviewer": "CPU", "Ratings": "withdrawn (not submitted)", "Items rated": "16"},
    ]
    assert [i.value for i in at.info][0] == (
        "Waiting for CPU to submit their ratings; reconciliation starts once every reviewing "
        "district has submitted."
    )
    assert not [b for b in at.button if b.key == "recon_start_ECU"]


def test_reviewer_submits_withdraws_and_resubmits_a_set(app_as, demo_db):
    at = app_as("lead@cpu.example", "peer_review")
    at.selectbox(key="peer_district").set_value("FHU").run()
    assert at.subheader[-1].value == "Submit my ratings of Fairhaven Unified"
    assert "Your ratings: submitted · 16 of 16 items rated" in [t.value for t in at.text]
    at.button(key="peer_set_FHU_withdraw").click().run()
    assert [s.value for s in at.success] == [
        "Withdrew your ratings of Fairhaven Unified: they are drafts again."
    ]
    with demo_db.reading() as s:
        statuses = set(
            s.scalars(
                select(Rating.status).where(
                    Rating.cycle_id == _cycle_id(demo_db),
                    Rating.district_id == _district_id(demo_db, "FHU"),
                    Rating.rater_district_id == _district_id(demo_db, "CPU"),
                )
            )
        )
    assert statuses == {"withdrawn"}
    at.button(key="peer_set_FHU_submit").click().run()
    assert [s.value for s in at.success] == ["Submitted your ratings of Fairhaven Unified."]


def test_submitting_an_incomplete_set_lists_what_is_unrated(app_as):
    at = app_as("lead@ecu.example", "peer_review")
    at.selectbox(key="peer_district").set_value("DCU").run()
    item = at.selectbox(key="peer_item_DCU").value
    at.radio(key=f"peer_level_DCU_{item}").set_value("3 Implementing")
    at.button(key=f"peer_save_DCU_{item}").click().run()
    assert "Your ratings: draft (not submitted) · 1 of 16 items rated" in [t.value for t in at.text]
    at.button(key="peer_set_DCU_submit").click().run()
    [error] = [e.value for e in at.error]
    assert error.startswith(
        "Your ratings of Dunmore City Unified cannot be submitted yet: rate every required item "
        "first. Not rated: P2-STAKEHOLDER (Stakeholder engagement on Principle 2); "
    )
    assert item not in error.split("Not rated: ")[1]


def test_a_consensus_waits_for_the_other_reviewing_district(app_as, demo_db):
    _start(_on(app_as, COORDINATOR))
    cpu = _on(app_as, "lead@cpu.example")
    cpu.radio(key=f"recon_consensus_level_FHU_{FLAGGED}").set_value("3 Implementing")
    cpu.text_area(key=f"recon_consensus_rationale_FHU_{FLAGGED}").input("Half the schools.")
    cpu.button(key=f"recon_consensus_FHU_{FLAGGED}").click().run()
    assert [s.value for s in cpu.success][0] == (
        f"FHU {FLAGGED}: level 3 proposed; waiting for ALV to confirm."
    )
    assert cpu.dataframe[0].value.iloc[0]["Status"] == "waiting for ALV to confirm"
    assert not [b for b in cpu.button if b.key == f"recon_confirm_proposal_FHU_{FLAGGED}"]
    fhu, cycle_id = _district_id(demo_db, "FHU"), _cycle_id(demo_db)
    of_fhu = (Decision.cycle_id == cycle_id, Decision.district_id == fhu)
    with demo_db.reading() as s:
        assert s.scalars(select(Decision).where(*of_fhu)).all() == []

    alv = _on(app_as, "lead@alv.example")
    waiting = (
        "FHU review lead (demo) (CPU) proposed level 3 (consensus); confirmed by CPU. "
        "Waiting for ALV to confirm; until then it is not a decision."
    )
    assert waiting.split(" (CPU)")[1] in [i.value for i in alv.info][0]
    alv.button(key=f"recon_confirm_proposal_FHU_{FLAGGED}").click().run()
    assert [s.value for s in alv.success][0] == (f"FHU {FLAGGED}: final level 3 (peer consensus).")
    with demo_db.reading() as s:
        decision = s.scalar(select(Decision).where(*of_fhu, Decision.item_id == FLAGGED))
    assert (decision.level, decision.method, decision.rationale) == (
        3,
        "consensus",
        "Half the schools.",
    )
