"""Rate a district > Work offline: a reviewer's ratings downloaded, filled in, applied."""

import io

import openpyxl
from sqlalchemy import select

from review.db import AuditEvent, District, Rating
from ui.guard import inert

REVIEWER = "lead@ecu.example"  # Elm Creek rates Dunmore City; its set is not started


def _fill(data, rationale):
    """The workbook with its first item set to the lowest level and a new rationale."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Items"]
    header = [c.value for c in sheet[1]]
    lowest = book["About"]["D2"].value
    sheet.cell(row=2, column=header.index("Level") + 1, value=lowest)
    sheet.cell(row=2, column=header.index("Rationale") + 1, value=rationale)
    sheet.cell(row=2, column=header.index("Suggestions") + 1, value="Write it down.")
    out = io.BytesIO()
    book.save(out)
    return sheet.cell(row=2, column=1).value, lowest, out.getvalue()


def _rating(db, item_id):
    with db.reading() as s:
        ids = dict(s.execute(select(District.code, District.id)).all())
        return s.scalar(
            select(Rating).where(
                Rating.district_id == ids["DCU"],
                Rating.rater_district_id == ids["ECU"],
                Rating.item_id == item_id,
            )
        )


def _on_dcu(app_as):
    at = app_as(REVIEWER, "peer_review")
    at.selectbox(key="peer_district").set_value("DCU").run()
    at.button(key="peer_offline_DCU_prepare").click().run()
    assert not at.exception and not at.error
    return at


def test_download_fill_preview_and_apply_saves_a_draft_peer_rating(app_as, demo_db):
    at = _on_dcu(app_as)
    name, data = at.session_state["offline_peer_DCU_prepared"]
    assert name.startswith("peer-ratings-DCU-by-ECU-") and name.endswith(".xlsx")
    item_id, lowest, filled = _fill(data, "Rated on the train.")
    assert _rating(demo_db, item_id) is None

    at.file_uploader(key="peer_offline_DCU_file").set_value(
        ("filled.xlsx", filled, "application/octet-stream")
    )
    at.run()
    at.button(key="peer_offline_DCU_preview").click().run()

    assert not at.exception and not at.error
    assert [i.value for i in at.info if i.value.startswith("Preview")] == [
        "Preview, nothing saved yet: filled.xlsx: district DCU rated by ECU, cycle 2015-16: "
        f"1 item to save, 0 refused (saved by someone else since the download), "
        f"{len(at.session_state['offline_peer_DCU_preview'][1].items) - 1} unchanged"
    ]
    table = next(d.value for d in at.dataframe if "What happens" in d.value.columns)
    rows = table.to_dict("records")
    assert rows[0] == {
        "Item": item_id,
        "What happens": "will change",
        "Level now": "Not rated",
        "Level in the workbook": lowest,
        "Rationale now": "",
        "Rationale in the workbook": "Rated on the train.",
        "Suggestions now": "",
        "Suggestions in the workbook": "Write it down.",
    }
    assert {r["What happens"] for r in rows[1:]} == {"not edited"}
    assert _rating(demo_db, item_id) is None  # a preview saves nothing

    at.button(key="peer_offline_DCU_apply").click().run()

    assert not at.exception and not at.error
    saved = _rating(demo_db, item_id)
    assert (saved.level, saved.narrative, saved.suggestions, saved.status, saved.row_version) == (
        1,
        "Rated on the train.",
        "Write it down.",
        "draft",
        1,
    )
    assert at.success[0].value.startswith("Imported filled.xlsx: district DCU rated by ECU")
    # The page's form reads the imported rating afresh.
    assert at.text_area(key=f"peer_rationale_DCU_{item_id}").value == "Rated on the train."
    with demo_db.reading() as s:
        imported = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "import offline peer ratings")
        ).all()
    assert [(e.after["rater"], e.after["saved"]) for e in imported] == [("ECU", [item_id])]


def test_item_saved_on_the_page_since_the_download_is_shown_with_their_text(app_as, demo_db):
    at = _on_dcu(app_as)
    item_id, _, filled = _fill(at.session_state["offline_peer_DCU_prepared"][1], "Mine.")
    at.selectbox(key="peer_item_DCU").set_value(item_id).run()
    at.radio(key=f"peer_level_DCU_{item_id}").set_value("3 Implementing")
    at.text_area(key=f"peer_rationale_DCU_{item_id}").input("Theirs, saved on the page.")
    at.button(key=f"peer_save_DCU_{item_id}").click().run()
    assert not at.exception and not at.error

    at.file_uploader(key="peer_offline_DCU_file").set_value(("filled.xlsx", filled, "x/y"))
    at.run()
    at.button(key="peer_offline_DCU_preview").click().run()
    at.button(key="peer_offline_DCU_apply").click().run()

    assert not at.exception and not at.error
    saved = _rating(demo_db, item_id)
    assert (saved.level, saved.narrative, saved.row_version) == (
        3,
        "Theirs, saved on the page.",
        1,
    )
    assert [w.value for w in at.warning if w.value.startswith(inert(item_id))] == [
        f"{inert(item_id)}: saved by someone else since your download (their level 3); your "
        "workbook's text for it is not saved. Theirs:"
    ]
    assert "Theirs, saved on the page." in [t.value for t in at.text]


def test_workbook_of_another_reviewer_is_refused_with_a_message(app_as, demo_db):
    at = _on_dcu(app_as)
    _, _, filled = _fill(at.session_state["offline_peer_DCU_prepared"][1], "Mine.")
    other = app_as("lead@bhu.example", "peer_review")
    other.selectbox(key="peer_district").set_value("DCU").run()
    other.file_uploader(key="peer_offline_DCU_file").set_value(("ecu.xlsx", filled, "x/y"))
    other.run()
    other.button(key="peer_offline_DCU_preview").click().run()
    assert not other.exception
    assert [e.value for e in other.error] == [
        "ecu.xlsx holds the ratings of DCU by ECU, not by BHU; download your own workbook. "
        "Nothing was saved."
    ]
    assert "offline_peer_DCU_preview" not in other.session_state
