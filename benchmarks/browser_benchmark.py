"""Click-to-settled times in a real browser: the app served by Streamlit on the demo network.

Run: .venv/bin/python benchmarks/browser_benchmark.py [--clicks N] [--chromium PATH]

Loads the demo network into a temporary SQLite database (`python -m review demo` with
REVIEW_DATABASE_URL), serves app.py with `streamlit run`, and drives Debian's Chromium with
Playwright (never `playwright install`). For each user, in a browser of its own:
- lead@bhu.example signs in, opens every page of its navigation once (the first open of each),
  then clicks a level on the Self-evaluation page N times (each click autosaves and reruns);
- coordinator@core.example signs in and opens every page of its navigation once.
A click is settled when what it asked for is on screen (the page's title, or the save's toast)
and Streamlit reports the script run finished (`stApp`'s data-test-script-state).
Targets: every level click within 0.5 s, every page's first open within 1.5 s. Prints figures
only; nothing is asserted. The server runs the code of the checkout this file is in.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Locator, Page, sync_playwright  # noqa: E402

from benchmarks._serve import CHROMIUM_ARGS, served_app  # noqa: E402
from review.cycles import cycle_rubric, get_cycle  # noqa: E402
from review.db import Database  # noqa: E402
from review.demo import CYCLE, PASSWORD  # noqa: E402
from review.rubrics import Catalogue  # noqa: E402

LEAD, COORDINATOR = "lead@bhu.example", "coordinator@core.example"
# Each user's navigation, in the sidebar's order, with the title each page opens with.
PAGES = {
    LEAD: [
        "Self-evaluation",
        "Rate a district",
        "Practice library",
        "Index summary",
        "Review packets",
        "Reconcile ratings",
    ],
    COORDINATOR: [
        "Progress",
        "Practice library",
        "Index summary",
        "Review packets",
        "Reconcile ratings",
        "Calibration",
        "Cycle setup",
        "Rubrics",
    ],
}
TITLES = {"Progress": "Progress", "Cycle setup": "Cycle setup"}  # link text -> title, if other
CLICK_TARGET, OPEN_TARGET = 0.5, 1.5
TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Timing:
    who: str
    what: str
    seconds: float
    target: float

    def line(self) -> str:
        verdict = "ok" if self.seconds <= self.target else "SLOW"
        return (
            f"  {self.who:<26} {self.what:<34} {self.seconds:6.2f} s"
            f"   (target {self.target:.1f} s: {verdict})"
        )


@contextmanager
def served_demo(folder: Path) -> Iterator[tuple[str, str]]:
    """(app address, database URL) of `streamlit run app.py` on a fresh demo database."""
    url = f"sqlite:///{folder / 'demo.db'}"
    env = {"REVIEW_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "review", "demo"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    with served_app(folder / "streamlit.log", env) as address:
        yield address, url


def settled(page: Page, shown: Locator) -> None:
    """Wait until `shown` is visible and the script run that showed it has finished.

    `shown` appears only once the new run has started, so the "notRunning" seen after it is
    the end of that run, not the state before the click reached the server.
    """
    shown.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=TIMEOUT_MS
    )


def timed(page: Page, click: Locator, shown: Locator) -> float:
    start = time.perf_counter()
    click.click()
    settled(page, shown)
    return time.perf_counter() - start


def title(page: Page, text: str) -> Locator:
    return page.get_by_role("heading", name=text).first


def sign_in(browser: Browser, address: str, email: str) -> tuple[Page, Timing]:
    """A new browser context signed in as `email`; the time from "Sign in" to My work."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(address)
    settled(page, title(page, "District Peer Review"))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    seconds = timed(
        page, page.get_by_role("button", name="Sign in", exact=True), title(page, "My work")
    )
    return page, Timing(email, "My work (after signing in)", seconds, OPEN_TARGET)


def open_every_page(page: Page, email: str) -> list[Timing]:
    found = []
    for link in PAGES[email]:
        seconds = timed(
            page,
            page.get_by_test_id("stSidebarNav").get_by_role("link", name=link, exact=True),
            title(page, TITLES.get(link, link)),
        )
        found.append(Timing(email, f"{link} (first open)", seconds, OPEN_TARGET))
    return found


def level_labels(database_url: str) -> tuple[str, list[str]]:
    """The first item of the demo cycle's rubric and its level choices ("3 Implementing")."""
    db = Database(database_url)
    try:
        with db.session() as s:
            rubric = cycle_rubric(Catalogue(ROOT / "rubrics"), get_cycle(s, CYCLE))
    finally:
        db.dispose()
    return rubric.items[0].id, [rubric.label(level) for level in rubric.levels]


def click_levels(page: Page, item: str, labels: list[str], clicks: int) -> list[float]:
    """Click a level of the first item `clicks` times (a different one each time)."""
    settled(page, title(page, "Self-evaluation"))
    radio = page.get_by_test_id("stRadio").first
    times = []
    for n in range(clicks):
        label = labels[n % len(labels)]
        toast = page.get_by_text(f"Saved {item} (version {n + 1})", exact=True)
        times.append(timed(page, radio.get_by_text(label, exact=True), toast))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=10, help="level clicks to time")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="browser-bench-") as tmp:
        start = time.perf_counter()
        with served_demo(Path(tmp)) as (address, database_url), sync_playwright() as p:
            print(f"demo loaded and app serving in {time.perf_counter() - start:.1f} s")
            item, labels = level_labels(database_url)
            browser = p.chromium.launch(
                executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS
            )
            try:
                opens: list[Timing] = []
                lead, signed = sign_in(browser, address, LEAD)
                opens += [signed, *open_every_page(lead, LEAD)]
                lead.get_by_test_id("stSidebarNav").get_by_role(
                    "link", name="Self-evaluation", exact=True
                ).click()
                clicks = click_levels(lead, item, labels, args.clicks)
                coordinator, signed = sign_in(browser, address, COORDINATOR)
                opens += [signed, *open_every_page(coordinator, COORDINATOR)]
            finally:
                browser.close()

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nfirst open of every page, click to settled page (load average {load})")
    for timing in opens:
        print(timing.line())
    slowest = max(opens, key=lambda t: t.seconds)
    print(
        f"  slowest first open: {slowest.what} as {slowest.who}, {slowest.seconds:.2f} s"
        f"  -> {'met' if slowest.seconds <= OPEN_TARGET else 'MISSED'} ({OPEN_TARGET:.1f} s)"
    )
    print(f"\nlevel clicks on Self-evaluation ({LEAD}, item {item}), click to settled page")
    print("  each: " + ", ".join(f"{t:.2f}" for t in clicks) + " s")
    worst = max(clicks)
    print(
        f"  median {statistics.median(clicks):.2f} s, max {worst:.2f} s over {len(clicks)} clicks"
        f"  -> {'met' if worst <= CLICK_TARGET else 'MISSED'} ({CLICK_TARGET:.1f} s each)"
    )
    met = slowest.seconds <= OPEN_TARGET and worst <= CLICK_TARGET
    print(f"\nboth targets {'met' if met else 'NOT met'} on this run")


if __name__ == "__main__":
    main()
