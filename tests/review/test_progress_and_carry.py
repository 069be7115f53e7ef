from datetime import date

import pytest

from review import carry, cycles, evidence, peer_sets, ratings
from review.access import Phase
from review.errors import NotFound
from review.progress import cycle_progress, overdue
from review.ratings import RatingInput
from review.rubrics import Catalogue
from review.settings import PROJECT_ROOT

PDF = b"%PDF-1.4\n%synthetic\n"


def test_overdue_lists_passed_deadlines_of_phases_not_yet_left():
    deadlines = {"draft": "2016-02-15", "peer_review": "2016-04-15", "bogus": "2016-01-01"}
    assert overdue(deadlines, Phase.DRAFT, date(2016, 3, 1)) == (
        "Self-evaluation in draft was due 2016-02-15",
    )
    assert overdue(deadlines, Phase.PEER_REVIEW, date(2016, 3, 1)) == ()
    assert overdue(deadlines, Phase.PEER_REVIEW, date(2016, 5, 1)) == (
        "Peer review was due 2016-04-15",
    )


def test_cycle_progress_counts_self_and_reviewer_completion(world):
    a = world.district_id("A")
    with world.db.session() as s:
        cycle = world.cycle(s)
        ratings.save_self_rating(
            s,
            world.leads["A"],
            cycle,
            world.rubric,
            district_id=a,
            item_id="ENGAGE",
            data=RatingInput(level=3),
            expected_version=None,
        )
        rows = {
            r.code: r
            for r in cycle_progress(s, world.coordinator, cycle, world.rubric, date(2016, 1, 1))
        }
    assert (rows["A"].self_percent, rows["A"].evidence_missing) == (33, 1)
    assert rows["A"].reviewer_percent == {"B": 0, "C": 0}
    assert rows["A"].open_flags == 0
    assert rows["A"].phase == "Self-evaluation in draft"


def _next_cycle(world, rubrics_dir):
    with world.db.session() as s:
        cycle = cycles.create_cycle(
            s, world.coordinator, Catalogue(rubrics_dir), name="2016-17", rubric_key="tiny@v1"
        )
        cycles.define_triads(s, world.coordinator, cycle, {"North": ["A", "B", "C"]})


def test_carry_forward_copies_narrative_and_evidence_not_level(world, rubrics_dir):
    a = world.district_id("A")
    with world.db.session() as s:
        cycle = world.cycle(s)
        ratings.save_self_rating(
            s,
            world.leads["A"],
            cycle,
            world.rubric,
            district_id=a,
            item_id="ENGAGE",
            expected_version=None,
            data=RatingInput(level=4, narrative="Forums in every school"),
        )
        evidence.add_evidence(
            s,
            world.settings,
            world.leads["A"],
            cycle,
            world.rubric,
            district_id=a,
            file_name="agenda.pdf",
            data=PDF,
            description="Forum agenda",
            items=("ENGAGE",),
        )
    _next_cycle(world, rubrics_dir)
    with world.db.session() as s:
        new = cycles.get_cycle(s, "2016-17")
        assert carry.previous_cycle(s, new).name == "2015-16"
        result = carry.carry_forward(
            s,
            world.settings,
            world.leads["A"],
            Catalogue(rubrics_dir),
            new,
            world.rubric,
            district_id=a,
            item_id="ENGAGE",
        )
        assert result == ("Forums in every school", 1)
        row = ratings.find_rating(s, new, a, "ENGAGE", a)
        assert (row.level, row.narrative) == (None, "Forums in every school")
        files = evidence.evidence_for(s, world.leads["A"], new, a)
        assert [(f.file_name, f.description, f.items) for f in files] == [
            ("agenda.pdf", "Forum agenda", ("ENGAGE",))
        ]


def test_carry_forward_with_nothing_earlier_is_refused(world, rubrics_dir):
    _next_cycle(world, rubrics_dir)
    with world.db.session() as s, pytest.raises(NotFound, match="has no narrative or evidence"):
        carry.carry_forward(
            s,
            world.settings,
            world.leads["A"],
            Catalogue(rubrics_dir),
            cycles.get_cycle(s, "2016-17"),
            world.rubric,
            district_id=world.district_id("A"),
            item_id="PDSA",
        )


def test_previous_item_ids_follow_the_crosswalk():
    rubric = Catalogue(PROJECT_ROOT / "rubrics").get("core-p2", "2015-16")
    assert carry.previous_item_ids(rubric, "P2-INDEX-DATA") == ["P2-MS-DATA"]
    assert carry.previous_item_ids(rubric, "P2-STAKEHOLDER") == ["P2-STAKEHOLDER"]


def test_cycle_progress_counts_a_reviewer_only_once_its_set_is_submitted(world):
    a = world.district_id("A")
    with world.db.session() as s:
        cycle = world.cycle(s)
        for item, level in (("ENGAGE", 4), ("PDSA", 2)):
            ratings.save_self_rating(
                s,
                world.leads["A"],
                cycle,
                world.rubric,
                district_id=a,
                item_id=item,
                data=RatingInput(level=level),
                expected_version=None,
            )
        evidence.add_evidence(
            s,
            world.settings,
            world.leads["A"],
            cycle,
            world.rubric,
            district_id=a,
            file_name="agenda.pdf",
            data=PDF,
            items=("ENGAGE",),
        )
        ratings.submit_self_evaluation(s, world.leads["A"], cycle, world.rubric, district_id=a)

    def rate(reviewer, item, level):
        with world.db.session() as s:
            ratings.save_peer_rating(
                s,
                world.leads[reviewer],
                world.cycle(s),
                world.rubric,
                district_id=a,
                item_id=item,
                data=RatingInput(level=level),
                expected_version=None,
            )

    def progress_of_a():
        with world.db.session() as s:
            rows = cycle_progress(
                s, world.coordinator, world.cycle(s), world.rubric, date(2016, 1, 1)
            )
        row = next(r for r in rows if r.code == "A")
        return row.self_percent, row.reviewer_percent

    rate("B", "ENGAGE", 3)
    rate("B", "PDSA", 3)
    rate("C", "ENGAGE", 2)
    assert progress_of_a() == (67, {"B": 0, "C": 0})  # three drafts: none counts
    with world.db.session() as s:
        peer_sets.submit_peer_ratings(
            s, world.leads["B"], world.cycle(s), world.rubric, district_id=a
        )
    assert progress_of_a() == (67, {"B": 67, "C": 0})  # B's two of three items, C still drafts
