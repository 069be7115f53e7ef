"""Reconciliation in a real browser: a flagged disagreement is discussed, adjudicated, finalized;
and a consensus one peer proposes waits for the other reviewing district to confirm it.

This module runs its own server on its own demo database, because it finalizes FHU and the
other e2e modules share the session server. The demo's reviewers have submitted their peer
ratings; the coordinator starts FHU's reconciliation and every FHU item but the flagged one is
decided through the domain API first, so the browser handles only the disagreement:
CPU (peer reviewer of FHU) posts to the discussion; the coordinator adjudicates and finalizes.
ECU is in reconciliation in the demo (half its items decided): DCU proposes a consensus in the
browser and BHU confirms it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from review import accounts, cycles, packets, reconcile
from review.db import Comment, Database, Decision, District, User
from review.demo import CYCLE, PASSWORD
from review.rubrics import Catalogue
from review.settings import Settings
from tests.e2e.conftest import DemoServer, Shot, serve_demo

pytestmark = [
    pytest.mark.e2e,
    # pytest-playwright 0.10's base_url fixture trips a pytest 9 deprecation; harmless.
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]

CODE, FLAGGED = "FHU", "P2-INDEX-DATA"  # the demo's FHU item rated 4 by ALV and 2 by CPU
REVIEWER, COORDINATOR = "lead@cpu.example", "coordinator@core.example"
OTHER_REVIEWER = "lead@alv.example"  # FHU's other reviewing district confirms proposals


def _actor(session, email: str):
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None, email
    return accounts.actor_for(user)


def _decide_all_but_flagged(db: Database, settings: Settings) -> None:
    """Each other item the way its queue entry asks: confirm, or a choice or consensus that
    CPU proposes and ALV confirms."""
    with db.session() as s:
        cycle = cycles.get_cycle(s, CYCLE)
        rubric = cycles.cycle_rubric(Catalogue(settings.rubrics_dir), cycle)
        reviewer, other = _actor(s, REVIEWER), _actor(s, OTHER_REVIEWER)
        district_id = cycles.get_district(s, CODE).id
        assert "reconciliation" not in cycle.deadlines  # these peers still have time
        coordinator = _actor(s, COORDINATOR)
        reconcile.start_reconciliation(s, coordinator, cycle, rubric, district_id=district_id)
        for entry in reconcile.queue(s, reviewer, cycle, rubric, district_id):
            if entry.item == FLAGGED:
                continue
            where = {"district_id": district_id, "item_id": entry.item}
            lowest = min(r.level for r in entry.peer_ratings if r.level is not None)
            if entry.needs == reconcile.NEEDS_CONFIRM:
                request = reconcile.DecisionRequest(**where, method=reconcile.Method.AGREEMENT)
                reconcile.decide(s, reviewer, cycle, rubric, request)
                continue
            method = (
                reconcile.Method.CHOICE
                if entry.needs == reconcile.NEEDS_CHOICE
                else reconcile.Method.CONSENSUS
            )
            request = reconcile.DecisionRequest(
                **where, method=method, level=lowest, rationale="e2e setup"
            )
            proposal = reconcile.decide(s, reviewer, cycle, rubric, request)
            assert isinstance(proposal, reconcile.Proposal)
            reconcile.confirm(
                s,
                other,
                cycle,
                rubric,
                proposal_id=proposal.id,
                expected_version=proposal.row_version,
            )


@pytest.fixture(scope="module")
def recon_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with serve_demo(tmp_path_factory.mktemp("e2e-reconcile"), _decide_all_but_flagged) as server:
        yield server


def _sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url)
    expect(page.get_by_role("heading", name="District Peer Review")).to_be_visible()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="My work")).to_be_visible()


def _open_fhu(page: Page) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Reconcile ratings").click()
    expect(page.get_by_role("heading", name="Reconcile ratings")).to_be_visible()
    page.get_by_role("combobox", name="District").click()
    page.get_by_role("option", name="FHU · Fairhaven Unified").click()
    expect(page.get_by_text("Cycle 2015-16 · Fairhaven Unified")).to_be_visible()


def test_flagged_disagreement_is_discussed_adjudicated_and_finalized(
    page: Page, recon_server: DemoServer, shot: Shot
) -> None:
    db = recon_server.db
    with db.reading() as s:
        cycle = cycles.get_cycle(s, CYCLE)
        rubric = cycles.cycle_rubric(Catalogue(recon_server.settings.rubrics_dir), cycle)
        district_id = s.scalar(select(District.id).where(District.code == CODE))
        queue = reconcile.queue(s, _actor(s, COORDINATOR), cycle, rubric, district_id)
    assert [(e.item, e.needs) for e in queue if e.needs != reconcile.DECIDED] == [
        (FLAGGED, reconcile.NEEDS_CONSENSUS)
    ]
    assert {r.rater: r.level for r in queue[0].peer_ratings} == {"ALV": 4, "CPU": 2}
    message = "CPU: the survey reached only half the schools; is that a 4?"
    rationale = "Index data were complete; survey participation fell short in half the schools."

    _sign_in(page, recon_server.url, REVIEWER)
    _open_fhu(page)
    expect(page.get_by_text("peer disagreement: Peers rated 2 and 4 (spread 2)")).to_be_visible()
    shot("1-flagged")
    page.get_by_label("Message").fill(message)
    page.get_by_role("button", name="Post").click()
    expect(page.get_by_text("Posted to the discussion.")).to_be_visible()
    expect(page.get_by_text(message)).to_be_visible()
    shot("2-posted")

    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    # Signed out only once the server has ended the session (a reload would resume it before).
    expect(page.get_by_label("E-mail")).to_be_visible()
    _sign_in(page, recon_server.url, COORDINATOR)
    _open_fhu(page)
    expect(page.get_by_text(message)).to_be_visible()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Adjudicate"))
    form.get_by_test_id("stRadio").get_by_text("3 Implementing", exact=True).click()
    form.get_by_label("Rationale: why this level").fill(rationale)
    form.get_by_role("button", name="Adjudicate").click()
    expect(
        page.get_by_text(f"{CODE} {FLAGGED}: final level 3 (coordinator adjudication).")
    ).to_be_visible()
    shot("3-adjudicated")

    page.get_by_role("button", name="Finalize district").click()
    expect(
        page.get_by_text("Finalized Fairhaven Unified. Its packet is kept as version 1")
    ).to_be_visible()
    shot("4-final")

    # The packet was built once at finalization; the download is those bytes.
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Review packets").click()
    page.get_by_label("District").click()
    page.get_by_role("option", name=f"{CODE} · Fairhaven Unified (Final)").click()
    with page.expect_download() as download:
        page.get_by_role("button", name=f"Download {CODE}-{CYCLE}-packet-v1.zip").click()
    downloaded = Path(download.value.path()).read_bytes()
    with db.reading() as s:
        [kept] = packets.kept(s, cycles.get_cycle(s, CYCLE), district_id)
    assert (kept.version, kept.sha256) == (1, hashlib.sha256(downloaded).hexdigest())

    with db.reading() as s:
        coordinator_id = _actor(s, COORDINATOR).user_id
        part = cycles.participation(s, cycles.get_cycle(s, CYCLE), district_id)
        decision = s.scalar(
            select(Decision).where(Decision.district_id == district_id, Decision.item_id == FLAGGED)
        )
        bodies = s.scalars(select(Comment.body).where(Comment.district_id == district_id)).all()
        assert part.phase == "final"
        assert decision is not None
        assert (decision.level, decision.method, decision.rationale, decision.decided_by) == (
            3,
            "adjudication",
            rationale,
            coordinator_id,
        )
    assert message in bodies


def _open(page: Page, code: str, name: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Reconcile ratings").click()
    expect(page.get_by_role("heading", name="Reconcile ratings")).to_be_visible()
    page.get_by_role("combobox", name="District").click()
    page.get_by_role("option", name=f"{code} · {name}").click()
    expect(page.get_by_text(f"Cycle 2015-16 · {name}")).to_be_visible()


def _choose_item(page: Page, item: str, title: str) -> None:
    page.get_by_role("combobox", name="Item").click()
    page.keyboard.type(item)  # the list shows only the first options until filtered
    page.get_by_role("option", name=f"{item} · {title}").click()


def test_a_consensus_waits_for_the_second_peer(
    page: Page, recon_server: DemoServer, shot: Shot
) -> None:
    code, name = "ECU", "Elm Creek Unified"
    # BHU 2, DCU 2, ECU itself 3 ("self above every peer"); undecided in the demo.
    item, title = "P2-FUNDS", "Use of intervention funds"
    rationale = "Funds reached every paired school, but the records stop in March."

    _sign_in(page, recon_server.url, "lead@dcu.example")
    _open(page, code, name)
    # The demo started ECU's reconciliation; starting it again is not offered.
    expect(page.get_by_role("button", name="Start reconciliation")).to_have_count(0)
    shot("1-in-reconciliation")

    _choose_item(page, item, title)
    # The item's form is drawn by a rerun: a click before it ends would be lost.
    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", re.compile("^(notRunning|initial)$")
    )
    form = page.get_by_test_id("stForm").filter(
        has=page.get_by_role("button", name="Propose consensus")
    )
    form.get_by_test_id("stRadio").get_by_text("2 Beginning", exact=True).click()
    form.get_by_label("Rationale: what the peers agreed and why").fill(rationale)
    form.get_by_role("button", name="Propose consensus").click()
    expect(
        page.get_by_text(f"{code} {item}: level 2 proposed; waiting for BHU to confirm.")
    ).to_be_visible()
    expect(
        page.get_by_text("Waiting for BHU to confirm; until then it is not a decision.")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Confirm this proposal")).to_have_count(0)
    shot("2-waiting")
    with recon_server.db.reading() as s:
        district_id = s.scalar(select(District.id).where(District.code == code))
        cycle_id = cycles.get_cycle(s, CYCLE).id  # the demo's 2014-15 decided every item
        this_item = (
            Decision.cycle_id == cycle_id,
            Decision.district_id == district_id,
            Decision.item_id == item,
        )
        decided = s.scalars(select(Decision).where(*this_item)).all()
    assert decided == []

    page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("E-mail")).to_be_visible()
    _sign_in(page, recon_server.url, "lead@bhu.example")
    _open(page, code, name)
    _choose_item(page, item, title)
    expect(
        page.get_by_text("Waiting for BHU to confirm; until then it is not a decision.")
    ).to_be_visible()
    page.get_by_role("button", name="Confirm this proposal").click()
    expect(page.get_by_text(f"{code} {item}: final level 2 (peer consensus).")).to_be_visible()
    shot("3-confirmed")

    with recon_server.db.reading() as s:
        dcu = _actor(s, "lead@dcu.example").user_id
        decision = s.scalar(select(Decision).where(*this_item))
        assert decision is not None
        assert (decision.level, decision.method, decision.rationale, decision.decided_by) == (
            2,
            "consensus",
            rationale,
            dcu,
        )
