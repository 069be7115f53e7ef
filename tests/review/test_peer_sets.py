import pytest

from review import audit, cycles, evidence, peer_sets, ratings, reconcile
from review.errors import ConflictError, InvalidInput, PermissionDenied
from review.peer_sets import RatingSet
from review.ratings import RatingInput

PDF = b"%PDF-1.4\n%synthetic\n"


def _self_evaluation(world, code="A"):
    with world.db.session() as s:
        for item, level in (("ENGAGE", 4), ("PDSA", 2)):
            ratings.save_self_rating(
                s,
                world.leads[code],
                world.cycle(s),
                world.rubric,
                district_id=world.district_id(code),
                item_id=item,
                data=RatingInput(level=level, narrative=f"{code} {item}"),
                expected_version=None,
            )
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


def _rate(world, reviewer, item, level, code="A", expected=None):
    with world.db.session() as s:
        return ratings.save_peer_rating(
            s,
            world.leads[reviewer],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id(code),
            item_id=item,
            data=RatingInput(level=level, narrative=f"{reviewer}'s secret draft {item}"),
            expected_version=expected,
        ).row_version


def _act(world, function, reviewer, code="A", **kwargs):
    with world.db.session() as s:
        return function(
            s,
            world.leads[reviewer],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id(code),
            **kwargs,
        )


def _read(world, actor, code="A"):
    with world.db.session() as s:
        rows = ratings.read_ratings(s, actor, world.cycle(s), world.district_id(code))
        return sorted((r.item_id, r.rater_district_id, r.level, r.status) for r in rows)


def _sets(world, actor, code="A"):
    with world.db.session() as s:
        return peer_sets.rating_sets(
            s, actor, world.cycle(s), world.rubric, world.district_id(code)
        )


def _release(world):
    with world.db.session() as s:
        cycle = world.cycle(s)
        cycles.update_cycle(
            s, world.coordinator, cycle, expected_version=cycle.row_version, released=True
        )


def test_submit_is_refused_with_every_unrated_required_item(world):
    _self_evaluation(world)
    _rate(world, "B", "EXTRA", 2)
    with pytest.raises(peer_sets.IncompleteRatings) as err:
        _act(world, peer_sets.submit_peer_ratings, "B")
    assert err.value.missing == ["ENGAGE (Stakeholder engagement)", "PDSA (PDSA cycles)"]
    assert str(err.value) == (
        "Your ratings of District A cannot be submitted yet: rate every required item first. "
        "Not rated: ENGAGE (Stakeholder engagement); PDSA (PDSA cycles)."
    )


def test_drafts_are_seen_and_counted_by_no_one_but_their_rater(world):
    _self_evaluation(world)
    _release(world)
    _rate(world, "B", "ENGAGE", 1)
    _rate(world, "B", "PDSA", 1)
    a, b = world.district_id("A"), world.district_id("B")
    own = [("ENGAGE", a, 4, "submitted"), ("PDSA", a, 2, "submitted")]
    assert _read(world, world.leads["B"]) == [
        ("ENGAGE", a, 4, "submitted"),
        ("ENGAGE", b, 1, "draft"),
        ("PDSA", a, 2, "submitted"),
        ("PDSA", b, 1, "draft"),
    ]
    for other in (world.leads["C"], world.leads["A"], world.coordinator):
        assert _read(world, other) == own
    with world.db.session() as s:
        cycle = world.cycle(s)
        assert reconcile.flags_for(s, cycle, world.rubric) == []
        assert [r.rater_district_id for r in ratings.ratings_of(s, cycle, a)] == [a, a]
        queue = reconcile.queue(s, world.coordinator, cycle, world.rubric, a)
    assert {e.item: (e.peer_levels, e.needs) for e in queue} == {
        "ENGAGE": ({}, "incomplete"),
        "PDSA": ({}, "incomplete"),
        "EXTRA": ({}, "unrated"),
    }

    _act(world, peer_sets.submit_peer_ratings, "B")
    assert _read(world, world.leads["C"]) == [
        ("ENGAGE", a, 4, "submitted"),
        ("ENGAGE", b, 1, "submitted"),
        ("PDSA", a, 2, "submitted"),
        ("PDSA", b, 1, "submitted"),
    ]
    with world.db.session() as s:
        flags = reconcile.flags_for(s, world.cycle(s), world.rubric)
    assert [(f.item, f.rule) for f in flags] == [
        ("ENGAGE", "self_above_peers"),
        ("ENGAGE", "self_peer_gap"),
        ("PDSA", "self_above_peers"),
    ]


def test_rating_sets_tell_coordinators_how_many_drafts_and_reviewers_only_the_status(world):
    _self_evaluation(world)
    _rate(world, "B", "ENGAGE", 3)
    _rate(world, "B", "PDSA", 3)
    _act(world, peer_sets.submit_peer_ratings, "B")
    _rate(world, "C", "ENGAGE", 2)
    assert _sets(world, world.coordinator) == [
        RatingSet(
            district="A",
            rater="B",
            status="submitted",
            rated=2,
            missing=(),
            versions={"ENGAGE": 1, "PDSA": 1},
        ),
        RatingSet(
            district="A",
            rater="C",
            status="draft",
            rated=1,
            missing=("PDSA",),
            versions={"ENGAGE": 1},
        ),
    ]
    assert [(r.rater, r.status, r.rated, r.missing) for r in _sets(world, world.leads["B"])] == [
        ("B", "submitted", 2, ()),
        ("C", "draft", None, ()),
    ]
    with pytest.raises(PermissionDenied):
        _sets(world, world.leads["A"])


def test_a_submitted_set_is_locked_until_withdrawn_and_submitted_again(world):
    _self_evaluation(world)
    _rate(world, "B", "ENGAGE", 3)
    _rate(world, "B", "PDSA", 3)
    done = _act(world, peer_sets.submit_peer_ratings, "B", expected={"ENGAGE": 1, "PDSA": 1})
    assert (done.status, done.versions) == ("submitted", {"ENGAGE": 1, "PDSA": 1})
    with pytest.raises(InvalidInput) as err:
        _rate(world, "B", "PDSA", 2, expected=1)
    assert str(err.value) == (
        "item PDSA: your district's ratings of this district are submitted; withdraw them to "
        "change a rating (possible until reconciliation starts)."
    )
    with pytest.raises(InvalidInput, match="already submitted"):
        _act(world, peer_sets.submit_peer_ratings, "B")

    back = _act(world, peer_sets.withdraw_peer_ratings, "B")
    assert (back.status, back.versions) == ("withdrawn", {"ENGAGE": 1, "PDSA": 1})
    assert [r[1] for r in _read(world, world.leads["C"])] == [world.district_id("A")] * 2
    assert _rate(world, "B", "PDSA", 2, expected=1) == 2  # the version the open form shows
    again = _act(world, peer_sets.submit_peer_ratings, "B")
    assert (again.status, again.versions) == ("submitted", {"ENGAGE": 1, "PDSA": 2})
    with world.db.session() as s:
        events = [(e.action, e.before, e.after) for e in audit.events(s, entity="participation")][
            -3:
        ]
    b = world.district_id("B")
    assert events == [
        (
            "submit peer ratings",
            None,
            {"rater_district_id": b, "ratings": {"ENGAGE": 1, "PDSA": 1}},
        ),
        (
            "withdraw peer ratings",
            {"rater_district_id": b, "ratings": {"ENGAGE": 1, "PDSA": 1}},
            None,
        ),
        (
            "submit peer ratings",
            None,
            {"rater_district_id": b, "ratings": {"ENGAGE": 1, "PDSA": 2}},
        ),
    ]


def test_submit_refuses_a_set_that_changed_since_the_reviewer_looked(world):
    _self_evaluation(world)
    _rate(world, "B", "ENGAGE", 3)
    _rate(world, "B", "PDSA", 3)
    _rate(world, "B", "PDSA", 2, expected=1)  # another user of B, after the first looked
    with pytest.raises(ConflictError) as err:
        _act(world, peer_sets.submit_peer_ratings, "B", expected={"ENGAGE": 1, "PDSA": 1})
    assert str(err.value) == (
        "Your district's ratings of District A changed after you looked (PDSA); read them "
        "again, then submit."
    )
    assert err.value.current == {"versions": {"ENGAGE": 1, "PDSA": 2}}
    assert [s.status for s in _sets(world, world.coordinator)] == ["draft", "not started"]


@pytest.mark.parametrize(
    ("who", "error", "message"),
    [
        ("A", PermissionDenied, "Lead A may not rate this district."),
        ("D", PermissionDenied, "Lead D may not rate this district."),
        ("B", InvalidInput, "Your ratings of District A are not submitted; nothing to withdraw."),
    ],
)
def test_withdraw_refusals(world, who, error, message):
    _self_evaluation(world)
    _rate(world, "B", "ENGAGE", 3)
    with pytest.raises(error) as err:
        _act(world, peer_sets.withdraw_peer_ratings, who)
    assert str(err.value) == message
