"""Text typed but not yet sent survives a reload: the browser offers it back; one save follows."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from review import audit
from review.db import District, Rating
from review.demo import PASSWORD
from tests.e2e.conftest import DemoServer, serve_demo

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]

NARRATIVE = "Narrative: what the district did, and what the evidence shows"
TYPED = "Family forums in all nine schools; minutes attached (typed, never sent)."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with serve_demo(tmp_path_factory.mktemp("drafts"), lambda db, settings: None) as served:
        yield served


def _narratives(server: DemoServer) -> dict[str, str]:
    with server.db.reading() as s:
        alv = s.scalar(select(District.id).where(District.code == "ALV"))
        rows = s.scalars(
            select(Rating).where(Rating.district_id == alv, Rating.rater_district_id == alv)
        )
        return {r.item_id: r.narrative for r in rows}


def _open(page: Page, server: DemoServer, email: str, title: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(server.url)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()


def _rating_events(server: DemoServer) -> int:
    with server.db.reading() as s:
        return len(audit.events(s, entity="rating"))


def test_text_typed_before_a_reload_is_offered_back_and_saved_once(
    page: Page, server: DemoServer, tmp_path: Path
) -> None:
    _open(page, server, "lead@alv.example", "Self-evaluation")
    field = page.get_by_label(NARRATIVE)
    expect(field).to_have_attribute("data-draft-kept", "yes")  # the browser keeps drafts now
    before, events = _narratives(server), _rating_events(server)

    field.click()
    field.press("Control+End")
    field.press_sequentially(" " + TYPED, delay=5)
    page.reload()  # before the field lost focus: Streamlit never received the text

    offer = page.get_by_text("was not saved yet; this browser kept it")
    expect(offer).to_be_visible(timeout=15_000)
    assert _narratives(server) == before  # nothing reached the server
    page.get_by_role("button", name="Put it back and save").click()

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _narratives(server) == before:
        time.sleep(0.2)
    after = _narratives(server)
    [changed] = [item for item in after if after[item] != before.get(item)]
    assert after[changed].endswith(" " + TYPED)
    assert _rating_events(server) == events + 1  # one save, not one per keystroke
    expect(offer).to_have_count(0)

    page.reload()  # saved now: nothing is offered again
    expect(page.get_by_label(NARRATIVE)).to_have_value(after[changed], timeout=15_000)
    expect(page.get_by_text("was not saved yet; this browser kept it")).to_have_count(0)


def test_a_rationale_typed_in_the_rating_form_is_offered_back_after_a_reload(
    page: Page, server: DemoServer
) -> None:
    _open(page, server, "lead@bhu.example", "Rate a district")
    field = page.get_by_label("Rationale: why this level, citing the evidence")
    expect(field).to_have_attribute("data-draft-kept", "yes")
    field.fill("")
    field.press_sequentially("The minutes show forums in two schools only.", delay=5)
    page.reload()

    expect(page.get_by_text("was not saved yet; this browser kept it")).to_be_visible(
        timeout=15_000
    )
    page.get_by_role("button", name="Put it back", exact=True).click()
    expect(page.get_by_label("Rationale: why this level, citing the evidence")).to_have_value(
        "The minutes show forums in two schools only."
    )
