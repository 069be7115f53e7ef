"""Cycle setup in a real browser: a coordinator opens next year's cycle and gives it triads.

What AppTest cannot see: which tab the browser shows after a rerun. Creating a cycle shows a
message above the tabs once; the next rerun removes it, and unkeyed tabs then fell back to the
first one, hiding the triads preview the coordinator had just asked for.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from review.db import Assignment, Cycle
from review.demo import PASSWORD
from tests.e2e.conftest import DemoServer, Shot, serve_demo

COORDINATOR = "coordinator@core.example"


@pytest.fixture(scope="module")
def setup_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    # Its own server: a new cycle becomes every reader's default, which other tests must not see.
    with serve_demo(tmp_path_factory.mktemp("e2e-setup"), lambda db, settings: None) as server:
        yield server


def test_a_coordinator_opens_a_cycle_and_previews_then_applies_its_triads(
    page: Page, setup_server: DemoServer, shot: Shot
) -> None:
    page.goto(setup_server.url)
    page.get_by_label("E-mail").fill(COORDINATOR)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Cycle setup").click()

    page.get_by_label("Name (school year)").fill("2016-17")
    page.get_by_role("button", name="Create cycle").click()
    expect(page.get_by_text("Cycle 2016-17 created; now define its triads.")).to_be_visible()
    # The new cycle's own settings, not the dates of the cycle shown before it.
    for label in ("self-evaluation submitted", "peer ratings given", "reconciliation decided"):
        expect(page.get_by_label(f"Deadline: {label}")).to_have_value("")

    page.get_by_role("tab", name="Triads").click()
    # Switching tabs reruns the page, which drops the one-time message: wait for that rerun.
    expect(page.get_by_text("Cycle 2016-17 created; now define its triads.")).to_have_count(0)
    triads = page.get_by_role("tabpanel", name="Triads")
    triads.get_by_role("textbox", name="Triads").fill("North: ALV, CPU, FHU\nSouth: BHU, DCU, ECU")
    triads.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("tab", name="Triads", selected=True)).to_be_visible()
    expect(triads.get_by_text("triads 2 to add")).to_be_visible()
    shot("preview")
    triads.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("tab", name="Triads", selected=True)).to_be_visible()
    expect(page.get_by_text("Imported typed triads: cycle 2016-17: triads 2 added")).to_be_visible()

    with setup_server.db.reading() as s:
        cycle_id = s.scalar(select(Cycle.id).where(Cycle.name == "2016-17"))
        assignments = s.scalars(select(Assignment).where(Assignment.cycle_id == cycle_id)).all()
    assert len(assignments) == 12  # six districts, each rated by the two others of its triad
