"""The item overview: every item of a district with its level, needs, files and open questions."""

from __future__ import annotations

from review import comments, evidence, overview, ratings, scope
from review.access import Action
from review.overview import ItemLine
from review.ratings import RatingInput

PDF = b"%PDF-1.4\n%synthetic test\n"


def _save(world, s, code, item, data, *, rater=None):
    save = ratings.save_self_rating if rater is None else ratings.save_peer_rating
    return save(
        s,
        world.leads[rater or code],
        world.cycle(s),
        world.rubric,
        district_id=world.district_id(code),
        item_id=item,
        data=data,
        expected_version=None,
    )


def test_the_self_overview_says_what_each_item_still_needs(world):
    with world.db.session() as s:
        _save(world, s, "A", "PDSA", RatingInput(not_applicable=True))
        _save(world, s, "A", "EXTRA", RatingInput(level=3))
    with world.db.reading() as s:
        lines = overview.self_overview(
            s, world.leads["A"], world.cycle(s), world.rubric, world.district_id("A")
        )
    assert lines == [
        ItemLine("ENGAGE", None, False, 0, 0, ("has no level", "needs evidence")),
        ItemLine("PDSA", None, True, 0, 0, ()),
        ItemLine("EXTRA", 3, False, 0, 0, ()),
    ]
    assert [line.rated for line in lines] == [False, True, True]


def test_the_overview_counts_files_and_unanswered_questions(world):
    cycle_of = world.cycle
    with world.db.session() as s:
        _save(world, s, "A", "ENGAGE", RatingInput(level=2))
        evidence.add_evidence(
            s,
            world.settings,
            world.leads["A"],
            cycle_of(s),
            world.rubric,
            district_id=world.district_id("A"),
            file_name="plan.pdf",
            data=PDF,
            items=("ENGAGE", "EXTRA"),
        )
        for body in ("Who came?", "How often?"):
            asked = comments.ask_question(
                s,
                world.leads["B"],
                cycle_of(s),
                district_id=world.district_id("A"),
                item_id="ENGAGE",
                body=body,
            )
        comments.answer_question(
            s, world.leads["A"], cycle_of(s), question_id=asked.id, body="Monthly."
        )
    with world.db.reading() as s:
        lines = overview.self_overview(
            s, world.leads["A"], cycle_of(s), world.rubric, world.district_id("A")
        )
        district, part = scope.district(
            s, world.leads["A"], cycle_of(s), Action.READ_DISTRICT, world.district_id("A")
        )
    assert lines[0] == ItemLine("ENGAGE", 2, False, 1, 1, ())
    assert (lines[1].needs, lines[2].evidence) == (("has no level",), 1)
    assert (district.code, part.phase) == ("A", "draft")


def test_the_peer_overview_holds_the_reviewers_own_levels(world):
    with world.db.session() as s:
        for item in world.rubric.items:
            _save(world, s, "B", item.id, RatingInput(level=2))
        evidence.add_evidence(
            s,
            world.settings,
            world.leads["B"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("B"),
            file_name="plan.pdf",
            data=PDF,
            items=("ENGAGE",),
        )
        ratings.submit_self_evaluation(
            s, world.leads["B"], world.cycle(s), world.rubric, district_id=world.district_id("B")
        )
        _save(world, s, "B", "PDSA", RatingInput(level=4), rater="A")
    with world.db.reading() as s:
        lines = overview.peer_overview(
            s, world.leads["A"], world.cycle(s), world.rubric, world.district_id("B")
        )
    assert lines == [
        ItemLine("ENGAGE", None, False, 1, 0, ()),
        ItemLine("PDSA", 4, False, 0, 0, ()),
        ItemLine("EXTRA", None, False, 0, 0, ()),
    ]
