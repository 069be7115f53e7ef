import pytest
from sqlalchemy import select

from review import cycles
from review.db import Assignment, District
from review.errors import InvalidInput, PermissionDenied
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
        cycles.save_district(
            s, world.coordinator, code="Z", name="Z", enrollment=-1, school_count=1
        )


def test_a_change_to_a_shared_copy_of_the_cycle_is_saved_on_the_cycle_only(world):
    # The sidebar hands pages the cycle it read in its own session; a change must not alter
    # that copy, only the saved row.
    with world.db.session() as s:
        shared = world.cycle(s)
    with world.db.session() as s:
        cycles.release_peer_ratings(s, world.coordinator, shared, True)
        cycles.set_deadlines(s, world.coordinator, shared, {"draft": "2016-02-15"})
    assert (shared.released, shared.deadlines) == (False, {})
    with world.db.session() as s:
        saved = world.cycle(s)
        assert (saved.released, saved.deadlines) == (True, {"draft": "2016-02-15"})
