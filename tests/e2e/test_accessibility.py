"""axe-core on every page of every role: no serious or critical violation in what we render.

The few that come from Streamlit's own widgets are listed in KNOWN by rule and element, so
that any new one fails the test. Pages are visited at 1400 x 900 through the sidebar, as a
person would, signed in as each role of the demo network.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from review.access import Role
from review.demo import PASSWORD
from tests.e2e.conftest import DemoServer, serve_demo
from ui.shell import specs_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]

WHO = {
    "lead@alv.example": frozenset({Role.DISTRICT_EDITOR, Role.PEER_REVIEWER}),
    "coordinator@core.example": frozenset({Role.COORDINATOR}),
    "board@core.example": frozenset({Role.OBSERVER}),
}
SERIOUS = {"serious", "critical"}
ALWAYS = {"heading-order"}  # moderate for axe, but a page's outline is ours to get right
# (rule id, element) in Streamlit's own markup, not in anything the project renders: the
# sidebar navigation's <ul> holds section headers and <div>s beside its <li>s.
KNOWN = {
    ("list", "ul in stSidebarNavItems"),
    ("listitem", "li in stSidebarNavItems"),
}
# (page, rule id, element) on pages being rewritten on other branches (issue #13 items 1, 2,
# 6 and 10): a subheader (h3) straight after the title (h1). Remove once they are merged.
OWED = {
    (page, "heading-order", "h3 in stHeadingWithActionElements")
    for page in ("peer_review", "reconciliation", "self_evaluation")
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with serve_demo(tmp_path_factory.mktemp("axe"), lambda db, settings: None) as served:
        yield served


# The element a finding is on, named by its nearest Streamlit test id (axe's own selectors
# carry Streamlit's generated class names, which change with every Streamlit build).
_ELEMENT = """(selector) => {
    const found = document.querySelector(selector);
    if (!found) return "?";
    const named = found.closest("[data-testid]");
    return found.tagName.toLowerCase() + " in " + (named ? named.dataset.testid : "page");
}"""


def _findings(page: Page) -> set[tuple[str, str]]:
    results = Axe().run(page)
    return {
        (v["id"], page.evaluate(_ELEMENT, node["target"][0]))
        for v in results.response["violations"]
        if v["impact"] in SERIOUS or v["id"] in ALWAYS
        for node in v["nodes"]
    }


def _sign_in(page: Page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()


def _settled(page: Page, title: str) -> None:
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    page.wait_for_timeout(300)


@pytest.mark.parametrize("email", sorted(WHO))
def test_no_serious_violation_on_any_page(browser: Browser, server: DemoServer, email: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    new: set[tuple[str, str, str]] = set()
    try:
        _sign_in(page, server.url, email)
        for spec in specs_for(WHO[email]):
            page.get_by_test_id("stSidebarNav").get_by_role("link", name=spec.title).click()
            _settled(page, spec.title)
            new |= {
                (spec.name, rule, element)
                for rule, element in _findings(page)
                if (rule, element) not in KNOWN and (spec.name, rule, element) not in OWED
            }
    finally:
        context.close()
    assert sorted(new) == []
