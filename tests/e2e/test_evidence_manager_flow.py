"""An editor replaces and unlinks a file in a real browser; its description shows as written.

Runs on a server of its own, so the file it changes is nobody else's fixture.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy import select

from review import accounts, cycles, evidence
from review.db import Database, Evidence, EvidenceLink, User
from review.demo import CYCLE
from review.rubrics import Catalogue
from review.settings import Settings
from tests.e2e.conftest import DemoServer, Shot, serve_demo
from tests.e2e.test_main_flows import _open, _sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]

EDITOR = "lead@alv.example"  # Alder Valley's self-evaluation is still a draft in the demo
OLD = b"%PDF-1.4\n%minutes as drafted\n"
NEW = b"%PDF-1.4\n%minutes as approved\n"
HOSTILE = "Minutes ![x](http://example.invalid/a.png) <img src=http://example.invalid/b.png>"


def _prepare(db: Database, settings: Settings) -> None:
    """ALV's first item gets one file, described with Markdown and HTML."""
    with db.session() as s:
        user = s.scalar(select(User).where(User.email == EDITOR))
        assert user is not None
        lead = accounts.actor_for(user)
        assert lead.district_id is not None
        cycle = cycles.get_cycle(s, CYCLE)
        rubric = cycles.cycle_rubric(Catalogue(settings.rubrics_dir), cycle)
        evidence.add_evidence(
            s,
            settings,
            lead,
            cycle,
            rubric,
            district_id=lead.district_id,
            file_name="minutes.pdf",
            data=OLD,
            description=HOSTILE,
            items=(rubric.items[0].id,),
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with serve_demo(tmp_path_factory.mktemp("e2e-evidence"), _prepare) as served:
        yield served


def _file(server: DemoServer) -> tuple[str, str, list[str]]:
    with server.db.reading() as s:
        row = s.scalar(select(Evidence).where(Evidence.description == HOSTILE))
        assert row is not None
        links = s.scalars(
            select(EvidenceLink.item_id).where(EvidenceLink.evidence_id == row.id)
        ).all()
        return row.file_name, row.sha256, list(links)


def _file_id(server: DemoServer) -> int:
    with server.db.reading() as s:
        found = s.scalar(select(Evidence.id).where(Evidence.description == HOSTILE))
    assert found is not None
    return found


def test_editor_replaces_then_unlinks_a_file(page: Page, server: DemoServer, shot: Shot) -> None:
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url) if "example.invalid" in r.url else None)
    name, _, (item,) = _file(server)
    assert name == "minutes.pdf"
    ours = page.locator(f".st-key-ev_file_{item}_{_file_id(server)}")
    _sign_in(page, server.url, EDITOR)
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    _open(page, "Self-evaluation")
    expect(page.get_by_text("minutes.pdf is linked to " + item + ".")).to_be_visible()

    label = f"minutes.pdf · {len(OLD)} B"
    box = ours.get_by_test_id("stExpander")
    box.get_by_text(label, exact=True).click()
    expect(box.get_by_text(HOSTILE, exact=True)).to_be_visible()
    expect(page.locator("img[src*='example.invalid'], a[href*='example.invalid']")).to_have_count(0)
    shot("1-description-as-written")

    ours.get_by_role("button", name="Replace file").click()
    body = page.get_by_test_id("stPopoverBody")
    body.locator("input[type=file]").set_input_files(
        FilePayload(name="minutes-approved.pdf", mimeType="application/pdf", buffer=NEW)
    )
    replace = body.get_by_role("button", name="Replace", exact=True)
    expect(replace).to_be_enabled()
    replace.click()
    expect(page.get_by_text("Replaced minutes.pdf with minutes-approved.pdf.")).to_be_visible()
    expect(page.get_by_text(f"minutes-approved.pdf is linked to {item}.")).to_be_visible()
    assert _file(server) == ("minutes-approved.pdf", hashlib.sha256(NEW).hexdigest(), [item])
    shot("2-replaced")

    ours.get_by_role("button", name=f"Unlink from {item}").click()
    expect(page.get_by_text(f"Unlinked minutes-approved.pdf from {item}.")).to_be_visible()
    expect(ours).to_have_count(0)
    everything = page.locator(".st-key-ev_all_files")
    everything.get_by_text("All files of the district").click()
    expect(everything.get_by_text("minutes-approved.pdf · linked to no item")).to_be_visible()
    assert _file(server) == ("minutes-approved.pdf", hashlib.sha256(NEW).hexdigest(), [])
    shot("3-unlinked")
    assert fetched == []
