"""Two browsers of one district save the same item: the later save is refused, nothing is lost."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from review.db import District, Rating
from tests.e2e.conftest import DemoServer, Shot
from tests.e2e.test_main_flows import _open, _sign_in

EDITOR = "lead@alv.example"  # Alder Valley's self-evaluation is still a draft in the demo
NARRATIVE = "Narrative: what the district did, and what the evidence shows"


def _on_self_evaluation(page: Page, server: DemoServer) -> None:
    _sign_in(page, server.url, EDITOR)
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    _open(page, "Self-evaluation")
    expect(
        page.get_by_role("heading", name=re.compile("Self-evaluation · Alder Valley"))
    ).to_be_visible()


def test_the_second_of_two_editors_is_refused_and_shown_the_first_text(
    browser: Browser, demo_server: DemoServer, shot: Shot, page: Page
) -> None:
    first, second = browser.new_context().new_page(), page  # `shot` shows the second
    for tab in (first, second):
        _on_self_evaluation(tab, demo_server)
    first.get_by_label(NARRATIVE).fill("Forums in every school, minutes attached.")
    first.get_by_label(NARRATIVE).press("Tab")
    saved = first.get_by_text(re.compile(r"Saved P2-[A-Z-]+ \(version \d+\)"))
    expect(saved).to_be_visible()
    item = saved.inner_text().split()[1]

    second.get_by_label(NARRATIVE).fill("A survey of every family in May.")
    second.get_by_label(NARRATIVE).press("Tab")
    expect(second.get_by_text("saved this rating after you opened it")).to_be_visible()
    expect(second.get_by_text("Forums in every school, minutes attached.")).to_be_visible()
    expect(second.get_by_label(NARRATIVE)).to_have_value("A survey of every family in May.")
    shot("refused-with-their-text")

    with demo_server.db.reading() as s:
        alv = s.scalar(select(District.id).where(District.code == "ALV"))
        row = s.scalar(
            select(Rating).where(
                Rating.district_id == alv, Rating.rater_district_id == alv, Rating.item_id == item
            )
        )
    assert row is not None
    assert row.narrative == "Forums in every school, minutes attached."
    first.context.close()
