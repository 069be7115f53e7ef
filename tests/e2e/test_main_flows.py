"""The main flows in a real browser: sign in, self-evaluate with an upload and submit, peer-rate.

Each test signs in with its own demo account, so the tests share one server and one database
without touching each other's data:
- BHU (district editor) completes and submits its self-evaluation with an upload;
- DCU (peer reviewer, Triad South) opens that upload's preview and rates the item;
- FHU is used for a refused sign-in.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from review import cycles
from review.db import District, Evidence, EvidenceLink, Rating
from review.demo import CYCLE, PASSWORD, SAMPLE_EVIDENCE
from tests.e2e.conftest import EDITOR_CODE, DemoServer, Shot

pytestmark = [
    pytest.mark.e2e,
    # pytest-playwright 0.10's base_url fixture trips a pytest 9 deprecation; harmless.
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]

UPLOAD = "climate_survey_summary.xlsx"
SUBMITTED_FLASH = "Submitted. Your peer reviewers can now rate your district."


def _sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base_url)
    expect(page.get_by_role("heading", name="District Peer Review")).to_be_visible()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _open(page: Page, title: str) -> None:
    """Follow a link of the sidebar navigation (keeps the session, unlike page.goto)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()


def _district_id(server: DemoServer, code: str) -> int:
    with server.db.reading() as s:
        district_id = s.scalar(select(District.id).where(District.code == code))
    assert district_id is not None, code
    return district_id


def _rating(server: DemoServer, code: str, item: str, rater: str) -> Rating | None:
    """The 2015-16 rating (the demo's 2014-15 has one of every item too)."""
    with server.db.reading() as s:
        row = s.scalar(
            select(Rating).where(
                Rating.cycle_id == cycles.get_cycle(s, CYCLE).id,
                Rating.district_id == _district_id(server, code),
                Rating.rater_district_id == _district_id(server, rater),
                Rating.item_id == item,
            )
        )
        if row is not None:
            s.expunge(row)
        return row


def _phase(server: DemoServer, code: str) -> str:
    with server.db.reading() as s:
        cycle = cycles.get_cycle(s, CYCLE)
        return cycles.participation(s, cycle, _district_id(server, code)).phase


def test_editor_rates_an_item_with_an_upload_and_submits(
    page: Page, demo_server: DemoServer, shot: Shot
) -> None:
    _editor_submits_with_an_upload(page, demo_server, shot)


def _editor_submits_with_an_upload(page: Page, demo_server: DemoServer, shot: Shot) -> None:
    item = "P2-INDEX-DATA"  # the first item, left unrated by the fixture
    narrative = "Survey sent to every family in May; 41% answered. Summary attached."
    _sign_in(page, demo_server.url, f"lead@{EDITOR_CODE.lower()}.example")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    _open(page, "Self-evaluation")
    expect(
        page.get_by_role("heading", name="Self-evaluation · Birch Harbor Unified")
    ).to_be_visible()
    expect(page.get_by_text("15 of 16 items rated")).to_be_visible()
    shot("1-self-evaluation")

    # The page saves on every change (radio, then narrative on blur) and on "Save draft",
    # one toast per save; waiting for each keeps the reruns from overlapping.
    page.get_by_test_id("stRadio").get_by_text("3 Implementing", exact=True).click()
    expect(page.get_by_text(f"Saved {item} (version 1)")).to_be_visible()
    narrative_box = page.get_by_label(
        "Narrative: what the district did, and what the evidence shows"
    )
    narrative_box.fill(narrative)
    narrative_box.press("Tab")
    expect(page.get_by_text(f"Saved {item} (version 2)")).to_be_visible()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text(f"Saved {item} (version 3)")).to_be_visible()

    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploader").get_by_role(
            "button", name="Upload", exact=True
        ).click()
    chooser.value.set_files(SAMPLE_EVIDENCE / UPLOAD)
    expect(page.get_by_role("button", name=f"Remove {UPLOAD}")).to_be_visible()
    page.get_by_label("What the file shows").fill("Climate survey summary, spring 2016")
    upload = page.get_by_role("button", name="Upload and link")
    expect(upload).to_be_enabled()
    upload.click()
    expect(page.get_by_text(f"Uploaded {UPLOAD} and linked it to {item}.")).to_be_visible()
    shot("2-uploaded")

    page.get_by_role("button", name="Submit self-evaluation").click()
    expect(page.get_by_text(SUBMITTED_FLASH)).to_be_visible()
    shot("3-submitted")

    row = _rating(demo_server, EDITOR_CODE, item, EDITOR_CODE)
    assert row is not None
    assert (row.level, row.narrative) == (3, narrative)
    with demo_server.db.reading() as s:
        linked = s.scalars(
            select(EvidenceLink.item_id)
            .join(Evidence, Evidence.id == EvidenceLink.evidence_id)
            .where(
                Evidence.district_id == _district_id(demo_server, EDITOR_CODE),
                Evidence.file_name == UPLOAD,
            )
        ).all()
    assert linked == [item]
    assert _phase(demo_server, EDITOR_CODE) == "self_submitted"
    assert row.status == "submitted"
    expect(
        page.get_by_text("The self-evaluation is submitted; it can no longer change.")
    ).to_be_visible()


def test_peer_reviewer_opens_the_upload_and_rates_the_item(
    page: Page, demo_server: DemoServer, shot: Shot
) -> None:
    """The second half of the flow: a peer of BHU (DCU, Triad South) rates what BHU uploaded.

    Runs after the editor's test in this module; on its own it submits BHU first.
    """
    item = "P2-INDEX-DATA"
    rationale = "The survey reached every school, but results were not shared with parents."
    suggestions = "Publish the survey results by school and discuss them at a parent evening."
    if _phase(demo_server, EDITOR_CODE) == "draft":
        _editor_submits_with_an_upload(page, demo_server, shot)
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_label("E-mail")).to_be_visible()
    _sign_in(page, demo_server.url, "lead@dcu.example")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    _open(page, "Rate a district")
    expect(page.get_by_role("heading", name="Rate a district")).to_be_visible()

    page.get_by_role("combobox", name="District").click()
    page.get_by_role("option", name="BHU · Birch Harbor Unified").click()
    expect(
        page.get_by_role("heading", name="Birch Harbor Unified's self-evaluation")
    ).to_be_visible()
    expect(page.get_by_text("Survey sent to every family in May; 41% answered.")).to_be_visible()

    # The file's preview is rendered only once its expander is opened.
    preview = page.get_by_test_id("stExpander").filter(has_text=UPLOAD)
    expect(preview.get_by_test_id("stDataFrame")).to_have_count(0)
    preview.get_by_text(UPLOAD).click()
    expect(preview.get_by_text("Climate survey summary, spring 2016")).to_be_visible()
    expect(preview.get_by_test_id("stDataFrame")).to_be_visible()
    expect(preview.get_by_role("button", name="Download", exact=True)).to_be_visible()
    shot("1-evidence")

    form = page.get_by_test_id("stForm")
    form.get_by_test_id("stRadio").get_by_text("2 Beginning", exact=True).click()
    form.get_by_label("Rationale: why this level, citing the evidence").fill(rationale)
    form.get_by_label("Suggestions for improvement").fill(suggestions)
    form.get_by_role("button", name="Save rating").click()
    expect(page.get_by_text(f"Saved your rating of {item} (version 1).")).to_be_visible()
    shot("2-saved")

    row = _rating(demo_server, EDITOR_CODE, item, "DCU")
    assert row is not None
    assert (row.level, row.narrative, row.suggestions) == (2, rationale, suggestions)
    assert _phase(demo_server, EDITOR_CODE) == "peer_review"


def test_sign_in_with_a_wrong_password_is_refused(
    page: Page, demo_server: DemoServer, shot: Shot
) -> None:
    _sign_in(page, demo_server.url, "lead@fhu.example", "not-the-password")
    expect(page.get_by_text("The e-mail or password is not right.")).to_be_visible()
    expect(page.get_by_role("heading", name="District Peer Review")).to_be_visible()
    expect(page.get_by_role("heading", name="My work")).to_have_count(0)
    shot("1-refused")


def test_a_reload_keeps_the_user_signed_in_until_sign_out(
    page: Page, demo_server: DemoServer, shot: Shot
) -> None:
    _sign_in(page, demo_server.url, "board@core.example")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    # The page sets the cookie by script just after sign-in; a reload within those
    # milliseconds would come too early, as it would for a person.
    page.wait_for_function("document.cookie.includes('review_session=')")
    page.reload()
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    expect(page.get_by_test_id("stSidebar").get_by_text("board@core.example")).to_be_visible()
    shot("1-reloaded")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="District Peer Review")).to_be_visible()
    page.wait_for_function("!document.cookie.includes('review_session=')")
    page.reload()
    expect(page.get_by_label("E-mail")).to_be_visible()
    expect(page.get_by_role("heading", name="My work")).to_have_count(0)
