import pytest
from sqlalchemy import select

from review import audit, cycles
from review.db import Assignment, District
from review.errors import ConflictError, InvalidInput, PermissionDenied
from review.rubrics import Catalogue


def _pairs(session, cycle):
    codes = {d.id: d.code for d in session.scalars(select(District))}
    rows = session.scalars(select(Assignment).where(Assignment.cycle_id == cycle.id))
    return sorted((codes[a.reviewer_district_id], codes[a.reviewed_district_id]) for a in rows)


def test_define_triads_each_rated_by_every_other_member_never_itself(world):
    with world.db.session() as s:
        assert _pairs(s, world.cycle(s)) == [
            ("A", "B"),
            ("A", "C"),
            ("B", "A"),
            ("B", "C"),
            ("C", "A"),
            ("C", "B"),
            ("D", "E"),
            ("E", "D"),
        ]


@pytest.mark.parametrize(
    ("triads", "message"),
    [
        ({"X": ["A"]}, "triad X: has 1 districts; a triad needs 2 to 4 (normally 3)"),
        (
            {"X": ["A", "B", "C", "D", "E"]},
            "triad X: has 5 districts; a triad needs 2 to 4 (normally 3)",
        ),
        ({"X": ["A", "B"], "Y": ["B", "C"]}, "district B is in triads X and Y"),
        ({"X": ["A", "A", "B"]}, "triad X: a district is listed twice"),
        ({}, "at least one triad is needed"),
        ({"X": ["A", "ZZ"]}, "no district with code 'ZZ'"),
    ],
)
def test_define_triads_refuses_bad_groupings(world, triads, message):
    with world.db.session() as s, pytest.raises(Exception) as err:
        cycles.define_triads(s, world.coordinator, world.cycle(s), triads)
    assert str(err.value) == message
    with world.db.session() as s:
        assert len(_pairs(s, world.cycle(s))) == 8


def test_define_triads_needs_a_coordinator(world):
    with world.db.session() as s, pytest.raises(PermissionDenied):
        cycles.define_triads(s, world.leads["A"], world.cycle(s), {"X": ["A", "B"]})


def test_create_cycle_pins_rubric_hash_and_refuses_duplicate_name(world, rubrics_dir):
    catalogue = Catalogue(rubrics_dir)
    with world.db.session() as s:
        cycle = world.cycle(s)
        assert (cycle.rubric_id, cycle.rubric_version) == ("tiny", "v1")
        assert cycles.cycle_rubric(catalogue, cycle).key == "tiny@v1"
        with pytest.raises(InvalidInput, match="a cycle named 2015-16 already exists"):
            cycles.create_cycle(
                s, world.coordinator, catalogue, name="2015-16", rubric_key="tiny@v1"
            )


def test_cycle_rubric_refuses_a_changed_file(world, rubrics_dir):
    path = rubrics_dir / "tiny" / "v1.yaml"
    path.write_text(path.read_text().replace("did not attempt", "did not try"))
    with world.db.session() as s, pytest.raises(InvalidInput, match="the file has changed"):
        cycles.cycle_rubric(Catalogue(rubrics_dir), world.cycle(s))


def test_save_district_refuses_negative_counts(world):
    with (
        world.db.session() as s,
        pytest.raises(InvalidInput, match="district Z: enrollment must not be negative"),
    ):
        cycles.save_district(s, world.coordinator, code="Z", name="Z", enrollment=-1)


def test_cycle_settings_are_saved_from_the_version_shown_and_audited(world):
    with world.db.session() as s:
        shown = world.cycle(s)
    with world.db.session() as s:
        saved = cycles.update_cycle(
            s,
            world.coordinator,
            shown,
            expected_version=1,
            deadlines={"draft": "2016-02-15"},
            released=True,
        )
        assert saved.row_version == 2
    assert (shown.released, shown.deadlines) == (False, {})  # the caller's copy is not changed
    with world.db.session() as s:
        cycle = world.cycle(s)
        assert (cycle.released, cycle.deadlines, cycle.row_version) == (
            True,
            {"draft": "2016-02-15"},
            2,
        )
        [event] = [
            e for e in audit.events(s, entity="cycle") if e.action == "change cycle settings"
        ]
        assert event.before == {"deadlines": {}, "released": False}
        assert event.after == {"deadlines": {"draft": "2016-02-15"}, "released": True}


def test_a_cycle_change_from_an_old_version_is_refused_with_the_settings_now(world):
    with world.db.session() as s:
        cycles.update_cycle(
            s,
            world.coordinator,
            world.cycle(s),
            expected_version=1,
            deadlines={"draft": "2099-01-01"},
        )
    with world.db.session() as s, pytest.raises(ConflictError) as refused:
        cycles.update_cycle(s, world.coordinator, world.cycle(s), expected_version=1, released=True)
    assert refused.value.current == {"deadlines": {"draft": "2099-01-01"}, "released": False}
    with world.db.session() as s:
        assert (world.cycle(s).released, world.cycle(s).row_version) == (False, 2)


def test_a_deadline_that_is_no_date_or_no_phase_is_refused(world):
    for deadlines in ({"draft": "15/02/2016"}, {"holiday": "2016-02-15"}):
        with (
            world.db.session() as s,
            pytest.raises(InvalidInput, match="is not a phase with a date"),
        ):
            cycles.update_cycle(
                s, world.coordinator, world.cycle(s), expected_version=1, deadlines=deadlines
            )
