import io

from openpyxl import load_workbook
from sqlalchemy import select

from review.db import AuditEvent, RubricVersion, User
from review.rubric_workbook import write_workbook
from review.rubrics import Catalogue
from review.settings import PROJECT_ROOT

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook(edit):
    source = Catalogue(PROJECT_ROOT / "rubrics").get_key("core-p2@2015-16.1")
    book = load_workbook(io.BytesIO(write_workbook(source)))
    edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(at, data, version):
    at.file_uploader(key="rubric_workbook_upload").set_value(("next.xlsx", data, XLSX))
    at.text_input(key="rubric_workbook_version").input(version)
    return at.run()


def test_coordinator_uploads_sees_the_diff_and_publishes_a_new_version(app_as, demo_db):
    at = app_as("coordinator@core.example", "rubrics")
    assert at.get("download_button")[0].proto.label == "Download core-p2@2015-16.1 as a workbook"

    def edit(book):
        book["Descriptors"]["C3"] = "LEA told some stakeholders about the index once."

    _upload(at, _workbook(edit), "core-p2@2016-17")

    assert not at.exception and not at.error
    assert at.markdown[-1].value == "1 change(s) from core-p2@2015-16.1 to core-p2@2016-17"
    changes = at.dataframe[-1].value
    assert changes.to_dict("records") == [
        {"Change": "descriptor", "Item": "P2-STAKEHOLDER", "Detail": "level 2 descriptor changed"}
    ]
    publish = at.button(key="rubric_workbook_publish")
    assert publish.label == "Publish as core-p2@2016-17"

    publish.click().run()

    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["Published core-p2@2016-17."]
    assert at.text_input(key="rubric_workbook_version").value == ""
    assert at.selectbox(key="rubric_version").options[-1] == "core-p2@2016-17"
    with demo_db.reading() as s:
        row = s.scalars(select(RubricVersion)).one()
        coordinator = s.scalar(select(User.id).where(User.email == "coordinator@core.example"))
        event = s.scalars(select(AuditEvent).where(AuditEvent.entity == "rubric")).one()
    assert (row.rubric_id, row.version, row.based_on, row.published_by) == (
        "core-p2",
        "2016-17",
        "core-p2@2015-16.1",
        coordinator,
    )
    assert (event.user_id, event.action, event.entity_id) == (
        coordinator,
        "publish rubric",
        "core-p2@2016-17",
    )


def test_a_workbook_with_a_formula_shows_the_problem_and_no_publish_button(app_as, demo_db):
    at = app_as("coordinator@core.example", "rubrics")

    def edit(book):
        book["Items"]["C2"] = "=1+1"

    _upload(at, _workbook(edit), "core-p2@2016-17")

    assert not at.exception
    assert [e.value for e in at.error] == [
        "next.xlsx: 1 problem(s) in the workbook; the first: Items, row 2, column C (Title): "
        "a formula is not allowed; type the value itself"
    ]
    assert at.dataframe[-1].value.to_dict("records") == [
        {
            "Sheet": "Items",
            "Row": 2,
            "Column": "C",
            "Problem": "a formula is not allowed; type the value itself",
        }
    ]
    assert [b.key for b in at.button] == ["sign_out"]  # no "Publish as …"
    with demo_db.reading() as s:
        assert list(s.scalars(select(RubricVersion))) == []
