"""Cycle setup > Triads: typed or uploaded triads are previewed, then applied exactly."""

from sqlalchemy import select

from review.access import Action
from review.accounts import command_line_actor
from review.cycles import create_cycle
from review.db import AuditEvent, Cycle
from review.rubrics import Catalogue
from review.settings import Settings

COORDINATOR = "coordinator@core.example"


def _new_cycle(app_as, demo_db):
    """Setup, on a new cycle 2016-17 that has no triads yet."""
    with demo_db.session() as s:
        coordinator = command_line_actor(s, COORDINATOR, Action.MANAGE_CYCLE)
        catalogue = Catalogue(Settings.from_env({}).rubrics_dir)
        rubric = s.scalars(select(Cycle.rubric_id + "@" + Cycle.rubric_version)).first()
        create_cycle(s, coordinator, catalogue, name="2016-17", rubric_key=rubric)
    at = app_as(COORDINATOR, "setup")
    at.selectbox(key="cycle_picker").set_value("2016-17").run()
    assert not at.exception and not at.error
    return at


def test_typed_triads_are_previewed_then_applied_and_audited(app_as, demo_db):
    at = _new_cycle(app_as, demo_db)
    at.text_area(key="triads_text").input("North: ALV, CPU\nSouth: BHU, DCU, ECU")
    at.button(key="preview_triads").click().run()
    assert not at.exception and not at.error
    assert [i.value for i in at.info if i.value.startswith("Preview")] == [
        "Preview, nothing saved yet: typed triads: cycle 2016-17: triads 2 to add, "
        "0 to change, 0 to remove, 0 unchanged"
    ]
    table = next(d.value for d in at.dataframe if "Becomes" in d.value.columns)
    assert table.to_dict("records") == [
        {"Triad": "North", "Now": "–", "Becomes": "ALV, CPU"},
        {"Triad": "South", "Now": "–", "Becomes": "BHU, DCU, ECU"},
    ]
    with demo_db.reading() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "import triads")).all() == []

    at.button(key="import_triads").click().run()

    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [
        "Imported typed triads: cycle 2016-17: triads 2 added, 0 changed, 0 removed, 0 unchanged."
    ]
    members = next(d.value for d in at.dataframe if "Reviewed by" in d.value.columns)
    assert members.values.tolist() == [
        ["North", "ALV · Alder Valley Unified", "CPU"],
        ["North", "CPU · Cedar Plains Unified", "ALV"],
        ["South", "BHU · Birch Harbor Unified", "DCU, ECU"],
        ["South", "DCU · Dunmore City Unified", "BHU, ECU"],
        ["South", "ECU · Elm Creek Unified", "BHU, DCU"],
    ]
    with demo_db.reading() as s:
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "import triads"))
    assert (event.entity_id, event.after["file"], event.after["added"]) == (
        "2016-17",
        "typed triads",
        2,
    )


def test_a_preview_stands_only_for_the_input_it_was_made_from(app_as, demo_db):
    at = _new_cycle(app_as, demo_db)
    at.text_area(key="triads_text").input("North: ALV, CPU")
    at.button(key="preview_triads").click().run()
    assert [b for b in at.button if b.key == "import_triads"]
    at.text_area(key="triads_text").input("North: ALV, FHU").run()
    assert not [b for b in at.button if b.key == "import_triads"]


def test_triads_of_a_cycle_under_way_are_refused_at_the_preview(app_as):
    at = app_as(COORDINATOR, "setup")
    at.file_uploader(key="triads_file").set_value(
        ("triads.csv", b"triad,district_code\nNorth,ALV\nNorth,CPU\n", "text/csv")
    )
    at.run()
    at.button(key="preview_triads").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "cycle 2015-16: triads cannot change once a district has submitted"
    ]
    assert not [b for b in at.button if b.key == "import_triads"]
