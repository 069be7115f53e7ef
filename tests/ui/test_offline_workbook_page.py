"""Self-evaluation > Work offline: download, upload filled in, preview, apply."""

import io

import openpyxl
from sqlalchemy import select

from review.db import AuditEvent, District, Rating
from ui.components.offline_workbook import PREPARED
from ui.guard import inert

LEAD = "lead@alv.example"


def _fill(data, narrative):
    """The workbook with its first item set to the lowest level and a new narrative."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book["Items"]
    header = [c.value for c in sheet[1]]
    lowest = book["About"]["D2"].value
    sheet.cell(row=2, column=header.index("Level") + 1, value=lowest)
    sheet.cell(row=2, column=header.index("Narrative") + 1, value=narrative)
    out = io.BytesIO()
    book.save(out)
    return sheet.cell(row=2, column=1).value, out.getvalue()


def _own(db, item_id):
    with db.reading() as s:
        district = s.scalar(select(District).where(District.code == "ALV"))
        return s.scalar(
            select(Rating).where(
                Rating.district_id == district.id,
                Rating.rater_district_id == district.id,
                Rating.item_id == item_id,
            )
        )


def _version(row):
    return row.row_version if row else None


def test_download_fill_preview_and_apply_saves_the_edited_item(app_as, demo_db):
    at = app_as(LEAD, "self_evaluation")
    at.button(key="offline_prepare").click().run()
    assert not at.exception and not at.error
    name, data = at.session_state[PREPARED]
    assert name.startswith("self-evaluation-ALV-") and name.endswith(".xlsx")
    item_id, filled = _fill(data, "Written on the plane.")
    before = _own(demo_db, item_id)

    at.file_uploader(key="offline_file").set_value(
        ("filled.xlsx", filled, "application/octet-stream")
    )
    at.run()
    at.button(key="offline_preview").click().run()

    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "What happens" in d.value.columns)
    rows = table.to_dict("records")
    assert rows[0]["Item"] == item_id
    assert rows[0]["What happens"] == "will change"
    assert rows[0]["Narrative in the workbook"] == "Written on the plane."
    assert [r["What happens"] for r in rows[1:]] == ["not edited"] * (len(rows) - 1)
    assert _version(_own(demo_db, item_id)) == _version(before)  # a preview saves nothing

    at.button(key="offline_apply").click().run()

    assert not at.exception and not at.error
    saved = _own(demo_db, item_id)
    assert saved.narrative == "Written on the plane."
    assert saved.row_version == (_version(before) or 0) + 1
    assert at.success[0].value.startswith("Imported filled.xlsx: district ALV")
    with demo_db.reading() as s:
        imported = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "import offline self-evaluation")
        ).all()
    assert [e.after["saved"] for e in imported] == [[item_id]]


def test_item_saved_on_the_page_since_the_download_is_shown_with_their_text(app_as, demo_db):
    from review import ratings
    from review.access import Action
    from review.accounts import command_line_actor
    from review.cycles import cycle_rubric, participation
    from review.db import Cycle
    from review.rubrics import Catalogue
    from review.settings import Settings

    at = app_as(LEAD, "self_evaluation")
    at.button(key="offline_prepare").click().run()
    item_id, filled = _fill(at.session_state[PREPARED][1], "My offline text.")
    before = _own(demo_db, item_id)
    with demo_db.session() as s:
        actor = command_line_actor(s, LEAD, Action.READ_PRACTICE)
        cycle = next(
            c
            for c in s.scalars(select(Cycle))
            if participation(s, c, actor.district_id).phase == "draft"
        )
        ratings.save_self_rating(
            s,
            actor,
            cycle,
            cycle_rubric(Catalogue(Settings.from_env({}).rubrics_dir), cycle),
            district_id=actor.district_id,
            item_id=item_id,
            data=ratings.RatingInput(narrative="Their text, saved on the page."),
            expected_version=_version(before),
        )

    at.file_uploader(key="offline_file").set_value(("filled.xlsx", filled, "application/x"))
    at.run()
    at.button(key="offline_preview").click().run()
    at.button(key="offline_apply").click().run()

    assert not at.exception and not at.error
    assert _own(demo_db, item_id).narrative == "Their text, saved on the page."
    assert at.warning[0].value.startswith(
        f"{inert(item_id)}: saved by someone else since your download"
    )
    assert "Their text, saved on the page." in [t.value for t in at.text]
