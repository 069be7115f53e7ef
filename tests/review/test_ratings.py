import pytest

from review import audit, cycles, evidence, ratings
from review.access import Phase
from review.errors import ConflictError, IncompleteSubmission, InvalidInput, PermissionDenied
from review.ratings import RatingInput

PDF = b"%PDF-1.4\n%synthetic\n"


def _self(world, s, code, item, data, expected=None):
    return ratings.save_self_rating(
        s,
        world.leads[code],
        world.cycle(s),
        world.rubric,
        district_id=world.district_id(code),
        item_id=item,
        data=data,
        expected_version=expected,
    )


def _complete(world, code="A"):
    with world.db.session() as s:
        _self(world, s, code, "ENGAGE", RatingInput(level=3, narrative="Regular meetings"))
        _self(world, s, code, "PDSA", RatingInput(not_applicable=True))
        evidence.add_evidence(
            s,
            world.settings,
            world.leads[code],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id(code),
            file_name="agenda.pdf",
            data=PDF,
            items=("ENGAGE",),
        )
        ratings.submit_self_evaluation(
            s, world.leads[code], world.cycle(s), world.rubric, district_id=world.district_id(code)
        )


def test_save_self_rating_increments_row_version_and_audits(world):
    with world.db.session() as s:
        first = _self(world, s, "A", "ENGAGE", RatingInput(level=2, narrative="Draft"))
        second = _self(world, s, "A", "ENGAGE", RatingInput(level=3, narrative="Better"), 1)
        assert (second.id, second.row_version, second.level) == (first.id, 2, 3)
        events = list(audit.events(s, entity="rating"))
        assert [(e.action, e.before and e.before["level"], e.after["level"]) for e in events] == [
            ("save self rating", None, 2),
            ("save self rating", 2, 3),
        ]
        assert events[1].user_id == world.leads["A"].user_id


def test_save_over_newer_version_is_refused_and_loses_nothing(world):
    with world.db.session() as s:
        _self(world, s, "A", "ENGAGE", RatingInput(level=2, narrative="First person's text"))
    with world.db.session() as s, pytest.raises(ConflictError) as err:
        _self(world, s, "A", "ENGAGE", RatingInput(level=4, narrative="Second person's text"))
    assert err.value.current["narrative"] == "First person's text"
    assert "Your text was not saved" in str(err.value)
    with world.db.session() as s:
        row = ratings.find_rating(
            s, world.cycle(s), world.district_id("A"), "ENGAGE", world.district_id("A")
        )
        assert (row.level, row.narrative, row.row_version) == (2, "First person's text", 1)


def test_submit_refused_lists_exactly_what_is_missing(world):
    with world.db.session() as s:
        _self(world, s, "A", "PDSA", RatingInput(level=None, narrative="not yet"))
    with world.db.session() as s, pytest.raises(IncompleteSubmission) as err:
        ratings.submit_self_evaluation(
            s, world.leads["A"], world.cycle(s), world.rubric, district_id=world.district_id("A")
        )
    assert err.value.missing == [
        "ENGAGE (Stakeholder engagement) has no level",
        "ENGAGE (Stakeholder engagement) needs evidence",
        "PDSA (PDSA cycles) has no level",
    ]
    with world.db.session() as s:
        assert cycles.participation(s, world.cycle(s), world.district_id("A")).phase == "draft"


def test_submit_complete_self_evaluation_moves_phase_and_locks_edits(world):
    _complete(world)
    with world.db.session() as s:
        part = cycles.participation(s, world.cycle(s), world.district_id("A"))
        assert part.phase == Phase.SELF_SUBMITTED
        with pytest.raises(InvalidInput, match="submitted and can no longer change"):
            _self(world, s, "A", "ENGAGE", RatingInput(level=4), 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (RatingInput(level=5), "item ENGAGE: level 5 is not on the scale [1, 2, 3, 4]"),
        (RatingInput(not_applicable=True), "item ENGAGE: 'not applicable' is not allowed"),
        (RatingInput(context_values={"buses": 3}), "item ENGAGE: unknown context measure 'buses'"),
        (
            RatingInput(context_values={"parents_reached": -1}),
            "item ENGAGE: parents_reached must not be negative",
        ),
    ],
)
def test_save_self_rating_refuses_invalid_input(world, data, message):
    with world.db.session() as s, pytest.raises(InvalidInput) as err:
        _self(world, s, "A", "ENGAGE", data)
    assert str(err.value).startswith(message)


def test_peer_rating_before_submission_is_refused(world):
    with world.db.session() as s, pytest.raises(InvalidInput, match="only after"):
        ratings.save_peer_rating(
            s,
            world.leads["B"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            item_id="ENGAGE",
            data=RatingInput(level=3),
            expected_version=None,
        )


def test_peer_rating_saved_by_assigned_reviewer_moves_to_peer_review(world):
    _complete(world)
    with world.db.session() as s:
        row = ratings.save_peer_rating(
            s,
            world.leads["B"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            item_id="ENGAGE",
            expected_version=None,
            data=RatingInput(level=2, narrative="Agendas only", suggestions="Add sign-ins"),
        )
        assert (row.source, row.rater_district_id, row.level) == ("peer", world.district_id("B"), 2)
        assert (
            cycles.participation(s, world.cycle(s), world.district_id("A")).phase == "peer_review"
        )


def test_peer_rating_by_unassigned_reviewer_is_refused(world):
    _complete(world)
    with (
        world.db.session() as s,
        pytest.raises(PermissionDenied, match="Lead D may not rate this district"),
    ):
        ratings.save_peer_rating(
            s,
            world.leads["D"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            item_id="ENGAGE",
            data=RatingInput(level=3),
            expected_version=None,
        )


def test_rating_input_from_a_form_names_the_field_and_its_length():
    with pytest.raises(InvalidInput) as refused:
        ratings.RatingInput.checked(narrative="ok", suggestions="y" * 20_500)
    assert str(refused.value) == (
        "the suggestions has 20,500 characters; at most 20,000 fit. Nothing was saved."
    )
    assert ratings.RatingInput.checked(level=2).level == 2
