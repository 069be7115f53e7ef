"""A coordinator authors next year's rubric in Excel, in a real browser: download the workbook,
edit one descriptor, upload it, read the diff, publish it as a new version."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import select

from review.db import RubricVersion
from review.rubric_import import read_workbook
from review.rubrics import Catalogue
from review.settings import PROJECT_ROOT
from tests.e2e.conftest import DemoServer, Shot
from tests.e2e.test_main_flows import _open, _sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]

NEW_TEXT = "LEA told some stakeholders about the index once, in one format."


def test_coordinator_downloads_edits_uploads_and_publishes_a_rubric_version(
    page: Page, demo_server: DemoServer, shot: Shot, tmp_path
) -> None:
    _sign_in(page, demo_server.url, "coordinator@core.example")
    _open(page, "Rubrics")
    expect(page.get_by_role("heading", name="Rubrics")).to_be_visible()
    page.get_by_role("tab", name="Excel").click()

    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download core-p2@2015-16.1 as a workbook").click()
    download = downloading.value
    assert download.suggested_filename == "core-p2_2015-16.1.xlsx"
    workbook = tmp_path / download.suggested_filename
    download.save_as(workbook)
    shipped = Catalogue(PROJECT_ROOT / "rubrics").get_key("core-p2@2015-16.1")
    assert read_workbook(workbook.read_bytes(), rubric_id="core-p2", version="2015-16.1") == (
        shipped,
        "2015-16.1",
    )

    book = load_workbook(workbook)
    book["Descriptors"]["C3"] = NEW_TEXT
    book.save(workbook)
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploader").get_by_role(
            "button", name="Upload", exact=True
        ).click()
    chooser.value.set_files(workbook)
    expect(page.get_by_role("button", name=f"Remove {workbook.name}")).to_be_visible()
    version = page.get_by_label("Publish as version")
    version.fill("core-p2@2016-17")
    version.press("Enter")
    expect(
        page.get_by_text("1 change(s) from core-p2@2015-16.1 to core-p2@2016-17")
    ).to_be_visible()
    shot("1-diff")

    page.get_by_role("button", name="Publish as core-p2@2016-17").click()
    expect(page.get_by_text("Published core-p2@2016-17.")).to_be_visible()
    shot("2-published")

    with demo_server.db.reading() as s:
        row = s.scalars(select(RubricVersion)).one()
    assert (row.rubric_id, row.version, row.based_on) == ("core-p2", "2016-17", "core-p2@2015-16.1")
