"""Work lands on the item (and district) the person chose, however often its status changes.

The pickers used to carry the status mark in each option's label; after a save changed the mark,
the browser's choice matched no option and Streamlit fell back to the first item, so the next
click, narrative or upload went to P2-INDEX-DATA. Only a real browser shows it (AppTest sends
the current label back).

Accounts not used by the other tests on the shared server: ALV's self-evaluation (a draft) and
ECU's rating of DCU (self-evaluation submitted, not yet rated by ECU).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import FilePayload, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from review.db import Evidence, EvidenceLink
from tests.e2e.conftest import DemoServer, Shot
from tests.e2e.test_main_flows import _district_id, _open, _rating, _sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]

ITEM = "P2-COLLABORATION"  # not rated by ALV in the demo: its status changes on the first click
FIRST = "P2-INDEX-DATA"  # where a lost selection used to land
UPLOAD = "collaboration_log.txt"
NARRATIVE = "Narrative: what the district did, and what the evidence shows"


def _idle(page: Page) -> None:
    """Wait until the app's script is not running (a rerun redraws an open option list)."""
    expect(page.get_by_test_id("stApp")).to_have_attribute(
        "data-test-script-state", re.compile("^(notRunning|initial)$")
    )


def _choose(page: Page, picker: str, option: str) -> None:
    for _ in range(3):  # a rerun that starts while the list is open closes it: try again
        _idle(page)
        page.get_by_role("combobox", name=picker).click()
        try:
            page.get_by_role("option", name=re.compile(f"^{re.escape(option)} · ")).click(
                timeout=5_000
            )
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    _expect_chosen(page, picker, option)


def _expect_chosen(page: Page, picker: str, option: str) -> None:
    """The picker shows `option` (an id) as chosen."""
    chosen = page.get_by_role("combobox", name=picker)
    expect(chosen).to_have_value(re.compile(f"^{re.escape(option)} · "))


def test_levels_narrative_and_upload_land_on_the_chosen_item(
    page: Page, demo_server: DemoServer, shot: Shot
) -> None:
    before = _rating(demo_server, "ALV", FIRST, "ALV")
    assert before is not None
    _sign_in(page, demo_server.url, "lead@alv.example")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    _open(page, "Self-evaluation")
    expect(page.get_by_role("heading", name=re.compile("Self-evaluation · Alder"))).to_be_visible()
    _choose(page, "Item", ITEM)
    expect(page.get_by_text("Status: Needs a level")).to_be_visible()

    _idle(page)
    radio = page.get_by_test_id("stRadio")
    radio.get_by_text("2 Beginning", exact=True).click()
    expect(page.get_by_text(f"Saved {ITEM} (version 1)")).to_be_visible()
    radio.get_by_text("3 Implementing", exact=True).click()
    expect(page.get_by_text(f"Saved {ITEM} (version 2)")).to_be_visible()
    _expect_chosen(page, "Item", ITEM)

    page.get_by_label(NARRATIVE).fill("Paired with Cedar Plains; monthly visits, log attached.")
    page.get_by_label(NARRATIVE).press("Tab")
    expect(page.get_by_text(f"Saved {ITEM} (version 3)")).to_be_visible()
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploader").get_by_role(
            "button", name="Upload", exact=True
        ).click()
    chooser.value.set_files(
        FilePayload(name=UPLOAD, mimeType="text/plain", buffer=b"Visits with Cedar Plains.\n")
    )
    expect(page.get_by_role("button", name=f"Remove {UPLOAD}")).to_be_visible()
    page.get_by_role("button", name="Upload and link").click()
    expect(page.get_by_text(f"Uploaded {UPLOAD} and linked it to {ITEM}.")).to_be_visible()
    _expect_chosen(page, "Item", ITEM)
    shot("1-landed")

    row = _rating(demo_server, "ALV", ITEM, "ALV")
    assert row is not None
    assert (row.level, row.narrative, row.row_version) == (
        3,
        "Paired with Cedar Plains; monthly visits, log attached.",
        3,
    )
    first = _rating(demo_server, "ALV", FIRST, "ALV")
    assert first is not None and first.row_version == before.row_version  # untouched
    with demo_server.db.reading() as s:
        linked = s.scalars(
            select(EvidenceLink.item_id)
            .join(Evidence, Evidence.id == EvidenceLink.evidence_id)
            .where(
                Evidence.district_id == _district_id(demo_server, "ALV"),
                Evidence.file_name == UPLOAD,
            )
        ).all()
    assert linked == [ITEM]


def test_peer_ratings_land_on_the_item_opened_from_the_overview(
    page: Page, demo_server: DemoServer, shot: Shot
) -> None:
    item = "P2-PLAN"
    _sign_in(page, demo_server.url, "lead@ecu.example")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    _open(page, "Rate a district")
    _choose(page, "District", "DCU")
    expect(page.get_by_text("you have rated 0 of 16 items")).to_be_visible()
    page.get_by_role("button", name=item, exact=True).click()  # its row of the overview
    _expect_chosen(page, "Item", item)
    expect(page.get_by_text("Status: Not rated")).to_be_visible()

    _idle(page)
    form = page.get_by_test_id("stForm")
    form.get_by_test_id("stRadio").get_by_text("2 Beginning", exact=True).click()
    form.get_by_label("Rationale: why this level, citing the evidence").fill("Plan, no owners.")
    form.get_by_role("button", name="Save rating").click()
    expect(page.get_by_text(f"Saved your rating of {item} (version 1).")).to_be_visible()
    expect(page.get_by_text("Status: Rated")).to_be_visible()
    form.get_by_test_id("stRadio").get_by_text("3 Implementing", exact=True).click()
    form.get_by_label("Rationale: why this level, citing the evidence").fill("Owners named.")
    form.get_by_role("button", name="Save rating").click()
    expect(page.get_by_text(f"Saved your rating of {item} (version 2).")).to_be_visible()
    _expect_chosen(page, "District", "DCU")
    _expect_chosen(page, "Item", item)
    shot("1-rated-twice")

    row = _rating(demo_server, "DCU", item, "ECU")
    assert row is not None
    assert (row.level, row.narrative, row.row_version) == (3, "Owners named.", 2)
    assert _rating(demo_server, "DCU", FIRST, "ECU") is None
