import contextlib
import threading

import pytest
from sqlalchemy import select

from review import audit, comments, cycles, evidence, peer_sets, ratings, reconcile
from review.access import Phase
from review.agreement import Stat
from review.db import ConsensusProposal, DecisionRating, Rating
from review.errors import ConflictError, InvalidInput, NotFound, PermissionDenied
from review.flags import Flag
from review.ratings import RatingInput
from review.reconcile import DecisionRequest, Method
from review.reconcile import decisions as decisions_module
from review.rubrics import Catalogue

PDF = b"%PDF-1.4\n%synthetic\n"
NA = "n/a"


def _submit(world, code, levels, linked=("ENGAGE", "PDSA")):
    """The district's self-evaluation: levels by item (NA for "not applicable")."""
    with world.db.session() as s:
        for item, level in levels.items():
            data = (
                RatingInput(not_applicable=True)
                if level == NA
                else RatingInput(level=level, narrative=f"{code} did {item.lower()} work")
            )
            ratings.save_self_rating(
                s,
                world.leads[code],
                world.cycle(s),
                world.rubric,
                district_id=world.district_id(code),
                item_id=item,
                data=data,
                expected_version=None,
            )
        if linked:
            evidence.add_evidence(
                s,
                world.settings,
                world.leads[code],
                world.cycle(s),
                world.rubric,
                district_id=world.district_id(code),
                file_name=f"{code.lower()}-parent-forums.pdf",
                data=PDF + code.encode(),
                description=f"Sign-in sheets of {code}'s parent forums",
                items=linked,
            )
        ratings.submit_self_evaluation(
            s, world.leads[code], world.cycle(s), world.rubric, district_id=world.district_id(code)
        )


def _rate(world, reviewer, code, item, level, suggestions=""):
    data = (
        RatingInput(not_applicable=True)
        if level == NA
        else RatingInput(
            level=level, narrative=f"{reviewer} saw level {level}", suggestions=suggestions
        )
    )
    with world.db.session() as s:
        ratings.save_peer_rating(
            s,
            world.leads[reviewer],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id(code),
            item_id=item,
            data=data,
            expected_version=None,
        )


def _rate_all(world, code, peer_levels):
    """peer_levels: item -> {reviewer: level}. Each reviewer who rated every required item
    submits its set (the others' ratings stay drafts)."""
    for item, by_reviewer in peer_levels.items():
        for reviewer, level in by_reviewer.items():
            _rate(world, reviewer, code, item, level)
    required = {i.id for i in world.rubric.items if i.required}
    for reviewer in sorted({r for by_reviewer in peer_levels.values() for r in by_reviewer}):
        if required <= {i for i, by_reviewer in peer_levels.items() if reviewer in by_reviewer}:
            _submit_ratings(world, reviewer, code)


def _submit_ratings(world, reviewer, code):
    with world.db.session() as s:
        return peer_sets.submit_peer_ratings(
            s,
            world.leads[reviewer],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id(code),
        )


def _start(world, code="A", actor=None):
    _decide(world, reconcile.start_reconciliation, actor or world.coordinator, code)


def _district_a(world, *, start=True):
    """A: ENGAGE far apart (1 and 3), PDSA adjacent (2 and 3), EXTRA in agreement (2 and 2);
    both sets submitted and (with `start`) reconciliation started."""
    _submit(world, "A", {"ENGAGE": 3, "PDSA": 3})
    _rate_all(
        world,
        "A",
        {
            "ENGAGE": {"B": 1, "C": 3},
            "PDSA": {"B": 2, "C": 3},
            "EXTRA": {"B": 2, "C": 2},
        },
    )
    if start:
        _start(world)


def _act(world, action, actor, **kwargs):
    with world.db.session() as s:
        return action(s, actor, world.cycle(s), world.rubric, **kwargs)


def _decide(world, action, actor, code="A", **kwargs):
    return _act(world, action, actor, district_id=world.district_id(code), **kwargs)


def _request(method, district_id, item_id, **fields):
    return DecisionRequest(district_id=district_id, item_id=item_id, method=method, **fields)


def _agreement(s, actor, cycle, rubric, *, district_id, item_id):
    return reconcile.decide(
        s, actor, cycle, rubric, _request(Method.AGREEMENT, district_id, item_id)
    )


def _choice(s, actor, cycle, rubric, *, district_id, item_id, **fields):
    """A peer's proposal of one of the peers' levels (the other district confirms it)."""
    return reconcile.decide(
        s, actor, cycle, rubric, _request(Method.CHOICE, district_id, item_id, **fields)
    )


def _consensus(s, actor, cycle, rubric, *, district_id, item_id, **fields):
    """A peer's proposal of any level (the other district confirms it)."""
    return reconcile.decide(
        s, actor, cycle, rubric, _request(Method.CONSENSUS, district_id, item_id, **fields)
    )


def _adjudication(s, actor, cycle, rubric, *, district_id, item_id, **fields):
    return reconcile.decide(
        s, actor, cycle, rubric, _request(Method.ADJUDICATION, district_id, item_id, **fields)
    )


def _confirm(world, actor, proposal):
    with world.db.session() as s:
        return reconcile.confirm(
            s,
            actor,
            world.cycle(s),
            world.rubric,
            proposal_id=proposal.id,
            expected_version=proposal.row_version,
        )


def _agreed(world, action, proposer, confirmer, code="A", **kwargs):
    """A choice or consensus proposed by one reviewing district, confirmed by the other."""
    proposal = _decide(world, action, world.leads[proposer], code, **kwargs)
    assert isinstance(proposal, reconcile.Proposal)
    return _confirm(world, world.leads[confirmer], proposal)


def _phase(world, code):
    with world.db.session() as s:
        return cycles.participation(s, world.cycle(s), world.district_id(code)).phase


def _raw_ratings(world):
    with world.db.session() as s:
        return [
            (r.id, r.district_id, r.item_id, r.rater_district_id, r.level, r.not_applicable)
            + (r.narrative, r.suggestions, r.status, r.row_version)
            for r in s.scalars(select(Rating).order_by(Rating.id))
        ]


def _events(world, entity):
    with world.db.session() as s:
        return [(e.action, e.before, e.after) for e in audit.events(s, entity=entity)]


def _flags(world, function=reconcile.flags_for, code=None):
    with world.db.session() as s:
        district_id = world.district_id(code) if code else None
        return function(s, world.cycle(s), world.rubric, district_id)


def _queue(world, code="A"):
    with world.db.session() as s:
        return reconcile.queue(
            s, world.coordinator, world.cycle(s), world.rubric, world.district_id(code)
        )


def _blockers(world, code="A"):
    with world.db.session() as s:
        return reconcile.finalization_blockers(
            s, world.coordinator, world.cycle(s), world.rubric, world.district_id(code)
        )


def _decide_all_of_a(world):
    """Settle A's three items: consensus (B proposes, C confirms), choice (C proposes, B
    confirms) and agreement."""
    _agreed(
        world,
        _consensus,
        "B",
        "C",
        item_id="ENGAGE",
        level=2,
        rationale="Forums happen, but not every school",
    )
    _agreed(world, _choice, "C", "B", item_id="PDSA", level=3, rationale="Two cycles documented")
    _decide(world, _agreement, world.leads["B"], item_id="EXTRA")


# --- flags --------------------------------------------------------------------------------------


def test_flags_for_applies_every_rule_to_stored_ratings(world):
    _submit(world, "A", {"ENGAGE": 4, "PDSA": 4}, linked=("ENGAGE",))
    _rate_all(world, "A", {"ENGAGE": {"B": 2, "C": 4}, "PDSA": {"B": 1, "C": 1}})
    assert _flags(world) == [
        Flag(
            district="A",
            item="ENGAGE",
            rule="peer_disagreement",
            levels=(2, 4),
            detail="Peers rated 2 and 4 (spread 2)",
        ),
        Flag(
            district="A",
            item="PDSA",
            rule="self_above_peers",
            levels=(4, 1, 1),
            detail="Self-rating 4 is above every peer rating (1 and 1)",
        ),
        Flag(
            district="A",
            item="PDSA",
            rule="self_peer_gap",
            levels=(4, 1, 1),
            detail="Self-rating 4 vs peer median 1 (gap 3)",
        ),
        Flag(
            district="A",
            item="PDSA",
            rule="unsupported",
            levels=(4,),
            detail="No evidence linked for self-rating 4 (levels 3 and above need evidence)",
        ),
    ]


def test_network_outlier_compares_with_every_district_of_the_cycle(world):
    _submit(world, "A", {"ENGAGE": 1, "PDSA": 1})
    _submit(world, "B", {"ENGAGE": 3, "PDSA": 1})
    _submit(world, "D", {"ENGAGE": 3, "PDSA": 1})
    _rate_all(world, "A", {"ENGAGE": {"B": 1, "C": 1}, "PDSA": {"B": 1, "C": 1}})
    _rate_all(world, "B", {"ENGAGE": {"A": 3, "C": 3}, "PDSA": {"A": 1, "C": 1}})
    _rate_all(world, "D", {"ENGAGE": {"E": 3}, "PDSA": {"E": 1}})
    assert _flags(world) == [
        Flag(
            district="A",
            item="ENGAGE",
            rule="network_outlier",
            levels=(1, 1),
            detail="Peer median 1 vs network median 3 (difference 2)",
        )
    ]
    assert _flags(world, code="B") == []


def test_flags_follow_the_cycle_thresholds(world):
    _submit(world, "A", {"ENGAGE": 3, "PDSA": 2})
    _rate_all(world, "A", {"ENGAGE": {"B": 2, "C": 4}, "PDSA": {"B": 2, "C": 2}})
    assert [f.rule for f in _flags(world)] == ["peer_disagreement"]
    with world.db.session() as s:
        cycle = world.cycle(s)
        cycle.settings = {**cycle.settings, "peer_spread": 3, "unsupported_below_top": 0}
    assert _flags(world) == []


def test_draft_self_evaluations_are_never_flagged(world):
    with world.db.session() as s:
        ratings.save_self_rating(
            s,
            world.leads["D"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("D"),
            item_id="PDSA",
            data=RatingInput(level=4),
            expected_version=None,
        )
    assert _flags(world) == []


def test_open_flags_leave_out_decided_items(world):
    _submit(world, "A", {"ENGAGE": 4, "PDSA": 1})
    _rate_all(world, "A", {"ENGAGE": {"B": 2, "C": 4}, "PDSA": {"B": 1, "C": 3}})
    assert [(f.item, f.rule) for f in _flags(world, reconcile.open_flags)] == [
        ("ENGAGE", "peer_disagreement"),
        ("PDSA", "peer_disagreement"),
    ]
    _start(world)
    proposal = _decide(
        world,
        _consensus,
        world.leads["B"],
        item_id="PDSA",
        level=2,
        rationale="One cycle completed, a second begun",
    )
    assert len(_flags(world, reconcile.open_flags)) == 2  # a proposal settles nothing yet
    _confirm(world, world.leads["C"], proposal)
    assert [(f.item, f.rule) for f in _flags(world, reconcile.open_flags)] == [
        ("ENGAGE", "peer_disagreement")
    ]
    assert len(_flags(world)) == 2


# --- queue --------------------------------------------------------------------------------------


def test_queue_lists_flagged_items_first_then_by_spread(world):
    _district_a(world)
    assert [(e.item, e.needs, e.spread, e.flagged) for e in _queue(world)] == [
        ("ENGAGE", "consensus", 2, True),
        ("PDSA", "choose", 1, False),
        ("EXTRA", "confirm", 0, False),
    ]


def test_queue_entry_holds_descriptors_ratings_evidence_and_discussion(world):
    _district_a(world)
    _decide(world, reconcile.discuss, world.leads["C"], item_id="ENGAGE", body="B, which schools?")
    entry = _queue(world)[0]
    assert (entry.item, entry.title, entry.prompt) == (
        "ENGAGE",
        "Stakeholder engagement",
        "How did the district engage stakeholders?",
    )
    assert entry.descriptors == {
        1: "did not attempt",
        2: "occasional",
        3: "regular",
        4: "regular and meaningful",
    }
    assert (entry.self_level, entry.peer_levels) == (3, {"B": 1, "C": 3})
    assert entry.self_rating.rationale == "A did engage work"
    assert [(r.rater, r.source, r.level, r.rationale) for r in entry.peer_ratings] == [
        ("B", "peer", 1, "B saw level 1"),
        ("C", "peer", 3, "C saw level 3"),
    ]
    assert [(e.file_name, e.description, e.media_type) for e in entry.evidence] == [
        ("a-parent-forums.pdf", "Sign-in sheets of A's parent forums", "application/pdf")
    ]
    assert [(m.kind, m.author, m.body) for m in entry.discussion] == [
        ("discussion", "Lead C", "B, which schools?")
    ]
    assert [f.rule for f in entry.flags] == ["peer_disagreement"]
    assert (entry.decision, entry.calibration) == (None, None)


def test_queue_marks_missing_ratings_and_unrated_optional_items(world):
    _submit(world, "A", {"ENGAGE": 3, "PDSA": 3})
    _rate(world, "B", "A", "ENGAGE", 3)
    assert [(e.item, e.needs) for e in _queue(world)] == [
        ("ENGAGE", "incomplete"),
        ("PDSA", "incomplete"),
        ("EXTRA", "unrated"),
    ]


def test_queue_needs_consensus_when_not_applicable_meets_a_level(world):
    _submit(world, "A", {"ENGAGE": 3, "PDSA": NA})
    _rate_all(world, "A", {"ENGAGE": {"B": 3, "C": 3}, "PDSA": {"B": NA, "C": 2}})
    assert {e.item: e.needs for e in _queue(world)} == {
        "ENGAGE": "confirm",
        "PDSA": "consensus",
        "EXTRA": "unrated",
    }


def test_queue_of_district_outside_the_cycle_is_refused(world):
    with world.db.session() as s:
        district = cycles.save_district(
            s, world.coordinator, code="Z", name="District Z", enrollment=5
        )
        with pytest.raises(NotFound, match="not part of cycle 2015-16"):
            reconcile.queue(s, world.coordinator, world.cycle(s), world.rubric, district.id)


# --- decisions ----------------------------------------------------------------------------------


def test_confirm_agreement_writes_a_decision_and_never_touches_ratings(world):
    _district_a(world)
    before = _raw_ratings(world)
    decision = _decide(world, _agreement, world.leads["B"], item_id="EXTRA")
    assert _raw_ratings(world) == before
    extra_ids = tuple(r[0] for r in before if r[2] == "EXTRA")
    assert (
        decision.district,
        decision.item,
        decision.level,
        decision.not_applicable,
        decision.method,
        decision.rationale,
        decision.decided_by,
        decision.rating_ids,
        decision.flags,
        decision.row_version,
    ) == ("A", "EXTRA", 2, False, "agreement", "", "Lead B", extra_ids, (), 1)
    assert _events(world, "decision") == [
        (
            "confirm agreement",
            None,
            {
                "district_id": world.district_id("A"),
                "item": "EXTRA",
                "level": 2,
                "not_applicable": False,
                "method": "agreement",
                "rationale": "",
                "rating_ids": list(extra_ids),
                "row_version": 1,
            },
        )
    ]


@pytest.mark.parametrize("method", [_agreement, _choice, _consensus, _adjudication])
def test_deciding_in_peer_review_is_refused_until_reconciliation_starts(world, method):
    _district_a(world, start=False)
    who = world.coordinator if method is _adjudication else world.leads["B"]
    fields = {} if method is _agreement else {"level": 2, "rationale": "x"}
    with pytest.raises(InvalidInput) as err:
        _decide(world, method, who, item_id="PDSA", **fields)
    assert str(err.value) == (
        "District A is still in peer review: start reconciliation first (it locks the peer "
        "ratings and the self-evaluation), then decide or propose."
    )
    assert (_phase(world, "A"), _events(world, "decision")) == (Phase.PEER_REVIEW, [])


def test_a_reviewer_starts_reconciliation_and_it_locks_peer_ratings(world):
    _district_a(world, start=False)
    _start(world, actor=world.leads["B"])
    assert _phase(world, "A") == Phase.RECONCILIATION
    assert [a for a, _, _ in _events(world, "participation")][-2:] == [
        "change phase",
        "start reconciliation",
    ]
    with pytest.raises(InvalidInput, match="before reconciliation"):
        _rate(world, "B", "A", "ENGAGE", 4)
    with world.db.session() as s, pytest.raises(InvalidInput) as err:
        peer_sets.withdraw_peer_ratings(
            s, world.leads["C"], world.cycle(s), world.rubric, district_id=world.district_id("A")
        )
    assert str(err.value) == (
        "Your ratings of District A can no longer be withdrawn: its reconciliation has "
        "started, and the peer ratings are locked."
    )


def test_decisions_of_lists_every_decision_by_item(world):
    _district_a(world)
    _decide_all_of_a(world)
    with world.db.session() as s:
        decisions = reconcile.decisions_of(s, world.cycle(s), world.district_id("A"))
    assert [(d.item, d.level, d.method, d.rationale, d.decided_by) for d in decisions] == [
        ("ENGAGE", 2, "consensus", "Forums happen, but not every school", "Lead B"),
        ("EXTRA", 2, "agreement", "", "Lead B"),
        ("PDSA", 3, "choice", "Two cycles documented", "Lead C"),
    ]
    assert [f.rule for f in decisions[0].flags] == ["peer_disagreement"]


def test_confirm_all_not_applicable_decides_not_applicable(world):
    _submit(world, "A", {"ENGAGE": 3, "PDSA": NA})
    _rate_all(world, "A", {"ENGAGE": {"B": 3, "C": 3}, "PDSA": {"B": NA, "C": NA}})
    _start(world)
    decision = _decide(world, _agreement, world.leads["C"], item_id="PDSA")
    assert (decision.level, decision.not_applicable, decision.method) == (None, True, "agreement")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            "PDSA",
            "District A, item PDSA: the peers gave different levels (B: 2, C: 3); choose one "
            "with a rationale.",
        ),
        (
            "ENGAGE",
            "District A, item ENGAGE: open flags (peer disagreement); the peers must agree a "
            "consensus level with a written rationale, or a coordinator adjudicates.",
        ),
    ],
)
def test_confirm_is_refused_unless_peers_agree_without_flags(world, item, message):
    _district_a(world)
    with pytest.raises(InvalidInput) as err:
        _decide(world, _agreement, world.leads["B"], item_id=item)
    assert str(err.value) == message


def test_confirm_is_refused_when_exact_agreement_carries_a_flag(world):
    _submit(world, "A", {"ENGAGE": 4, "PDSA": 1})
    _rate_all(world, "A", {"ENGAGE": {"B": 2, "C": 2}, "PDSA": {"B": 1, "C": 1}})
    _start(world)
    with pytest.raises(InvalidInput) as err:
        _decide(world, _agreement, world.leads["B"], item_id="ENGAGE")
    assert str(err.value) == (
        "District A, item ENGAGE: open flags (self above every peer, self/peer gap); the peers "
        "must agree a consensus level with a written rationale, or a coordinator adjudicates."
    )


def test_a_choice_is_a_proposal_until_the_other_district_confirms_it(world):
    _district_a(world)
    proposal = _decide(
        world,
        _choice,
        world.leads["C"],
        item_id="PDSA",
        level=2,
        rationale="  Only one cycle has a study step  ",
    )
    assert (
        proposal.level,
        proposal.method,
        proposal.rationale,
        proposal.proposed_by,
        proposal.status,
        proposal.confirmed_by,
        proposal.waiting_for,
        proposal.row_version,
    ) == (2, "choice", "Only one cycle has a study step", "Lead C", "proposed", ("C",), ("B",), 1)
    assert _events(world, "decision") == []
    assert _queue(world)[1].proposal == proposal
    decision = _confirm(world, world.leads["B"], proposal)
    assert (decision.level, decision.method, decision.rationale, decision.decided_by) == (
        2,
        "choice",
        "Only one cycle has a study step",
        "Lead C",
    )
    assert [a for a, _, _ in _events(world, "decision")] == ["choose level"]
    assert [a for a, _, _ in _events(world, "consensus_proposal")] == [
        "propose",
        "confirm proposal",
    ]
    settled = _queue(world)[1].proposal
    assert (settled.status, settled.confirmed_by, settled.waiting_for) == (
        "confirmed",
        ("C", "B"),
        (),
    )


@pytest.mark.parametrize(
    ("item", "level", "rationale", "message"),
    [
        ("PDSA", 4, "Better", "District A, item PDSA: choose one of the peers' levels (2 or 3); "),
        ("PDSA", 3, "   ", "Write a rationale: why this level and not the other."),
        ("EXTRA", 2, "Same", "District A, item EXTRA: the peers agree (B: 2, C: 2); confirm it."),
        ("ENGAGE", 3, "Why not", "District A, item ENGAGE: open flags (peer disagreement); "),
    ],
)
def test_choose_level_refusals(world, item, level, rationale, message):
    _district_a(world)
    with pytest.raises(InvalidInput) as err:
        _decide(
            world,
            _choice,
            world.leads["B"],
            item_id=item,
            level=level,
            rationale=rationale,
        )
    assert str(err.value).startswith(message)


def test_agree_consensus_decides_a_flagged_item(world):
    _district_a(world)
    decision = _agreed(
        world,
        _consensus,
        "B",
        "C",
        item_id="ENGAGE",
        level=2,
        rationale="Forums happen, but not every school",
    )
    assert (decision.level, decision.method, [f.rule for f in decision.flags]) == (
        2,
        "consensus",
        ["peer_disagreement"],
    )
    assert [a for a, _, _ in _events(world, "decision")] == ["consensus"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": 2, "rationale": ""}, "Write a rationale: what the peers agreed and why."),
        ({"level": 5, "rationale": "x"}, "Item ENGAGE: level 5 is not on the scale [1, 2, 3, 4]."),
        ({"level": 0, "rationale": "x"}, "Item ENGAGE: level 0 is not on the scale [1, 2, 3, 4]."),
        (
            {"level": None, "not_applicable": True, "rationale": "x"},
            "Item ENGAGE: 'not applicable' is not allowed for this item.",
        ),
        (
            {"level": 2, "not_applicable": True, "rationale": "x"},
            "Item ENGAGE: choose a level or 'not applicable', not both.",
        ),
    ],
)
def test_agree_consensus_refuses_bad_input(world, kwargs, message):
    _district_a(world)
    with pytest.raises(InvalidInput) as err:
        _decide(world, _consensus, world.leads["B"], item_id="ENGAGE", **kwargs)
    assert str(err.value) == message


def test_a_decided_item_cannot_be_decided_again_by_peers(world):
    _district_a(world)
    _decide_all_of_a(world)
    with pytest.raises(ConflictError) as err:
        _decide(
            world,
            _consensus,
            world.leads["C"],
            item_id="ENGAGE",
            level=3,
            rationale="We changed our minds",
        )
    assert str(err.value) == (
        "District A, item ENGAGE is already decided (level 2, by consensus); only a coordinator "
        "can change it, by adjudication."
    )
    assert (err.value.current["level"], err.value.current["method"]) == (2, "consensus")
    with pytest.raises(ConflictError, match="already decided"):
        _decide(world, _agreement, world.leads["C"], item_id="EXTRA")


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("A", "Lead A may not decide items of District A: a district never reconciles its own "),
        ("D", "Lead D may not decide items of District A: only its peer reviewers and the "),
    ],
)
def test_confirm_by_own_district_or_outsider_is_refused(world, who, message):
    _district_a(world)
    with pytest.raises(PermissionDenied) as err:
        _decide(world, _agreement, world.leads[who], item_id="EXTRA")
    assert str(err.value).startswith(message)


@pytest.mark.parametrize("action", [_choice, _consensus], ids=["choose", "consensus"])
def test_only_peer_reviewers_choose_or_agree(world, action):
    _district_a(world)
    for actor in (world.leads["A"], world.coordinator, world.observer):
        with pytest.raises(PermissionDenied):
            _decide(world, action, actor, item_id="PDSA", level=2, rationale="Because")
    assert _events(world, "decision") == []


def test_adjudicate_by_coordinator_decides_with_rationale(world):
    _district_a(world)
    decision = _decide(
        world,
        _adjudication,
        world.coordinator,
        item_id="ENGAGE",
        level=2,
        rationale="Third reading: forums in half of the schools",
    )
    assert (decision.level, decision.method, decision.decided_by, decision.row_version) == (
        2,
        "adjudication",
        "Coordinator",
        1,
    )
    assert [a for a, _, _ in _events(world, "decision")] == ["adjudication"]


@pytest.mark.parametrize(
    ("who", "rationale", "error", "message"),
    [
        ("B", "Because", PermissionDenied, "Only a coordinator can adjudicate; Lead B is not one."),
        ("coordinator", " ", InvalidInput, "Write a rationale: why this level."),
    ],
)
def test_adjudicate_refusals(world, who, rationale, error, message):
    _district_a(world)
    actor = world.coordinator if who == "coordinator" else world.leads[who]
    with pytest.raises(error) as err:
        _decide(world, _adjudication, actor, item_id="ENGAGE", level=2, rationale=rationale)
    assert str(err.value) == message


def test_adjudicate_replaces_a_decision_only_from_its_current_version(world):
    _district_a(world)
    _decide_all_of_a(world)
    with pytest.raises(ConflictError) as err:
        _decide(
            world,
            _adjudication,
            world.coordinator,
            item_id="ENGAGE",
            level=3,
            rationale="Calibrated",
        )
    assert (err.value.current["level"], err.value.current["row_version"]) == (2, 1)
    decision = _decide(
        world,
        _adjudication,
        world.coordinator,
        item_id="ENGAGE",
        level=3,
        rationale="Calibrated against the network",
        expected_version=1,
    )
    assert (decision.level, decision.method, decision.row_version) == (3, "adjudication", 2)
    last = _events(world, "decision")[-1]
    assert (last[0], last[1]["level"], last[1]["method"], last[2]["level"]) == (
        "adjudication",
        2,
        "consensus",
        3,
    )


def test_starting_reconciliation_waits_for_every_submitted_set(world):
    _submit(world, "A", {"ENGAGE": 3, "PDSA": 3})
    _rate_all(world, "A", {"ENGAGE": {"B": 3, "C": 3}, "PDSA": {"B": 3}})  # C: a draft only
    with pytest.raises(InvalidInput) as err:
        _start(world, actor=world.leads["B"])
    assert str(err.value) == (
        "Reconciliation of District A needs every reviewing district's submitted ratings "
        "first: waiting for C to submit."
    )
    assert _phase(world, "A") == Phase.PEER_REVIEW


def test_deciding_an_optional_item_nobody_rated_is_refused(world):
    _submit(world, "A", {"ENGAGE": 3, "PDSA": 3})
    _rate_all(world, "A", {"ENGAGE": {"B": 3, "C": 3}, "PDSA": {"B": 3, "C": 3}})
    _start(world)
    with pytest.raises(InvalidInput) as err:
        _decide(world, _adjudication, world.coordinator, item_id="EXTRA", level=2, rationale="x")
    assert str(err.value) == (
        "District A, item EXTRA: no peer rated this optional item; there is nothing to decide."
    )


def test_deciding_before_peer_review_is_refused(world):
    _submit(world, "A", {"ENGAGE": 3, "PDSA": 3})
    with pytest.raises(InvalidInput) as err:
        _decide(world, _agreement, world.leads["B"], item_id="ENGAGE")
    assert str(err.value) == (
        "District A is not in peer review yet (Self-evaluation submitted); there is nothing to "
        "reconcile."
    )


def test_deciding_in_a_final_district_is_refused(world):
    _district_a(world)
    _decide_all_of_a(world)
    _decide(world, reconcile.finalize_district, world.coordinator)
    with pytest.raises(InvalidInput) as err:
        _decide(
            world,
            _adjudication,
            world.coordinator,
            item_id="ENGAGE",
            level=3,
            rationale="x",
            expected_version=1,
        )
    assert str(err.value) == (
        "District A is final; a coordinator must reopen it before a decision changes."
    )


def test_unknown_item_is_not_found(world):
    _district_a(world)
    with pytest.raises(NotFound, match="rubric tiny@v1 has no item NOPE"):
        _decide(world, _agreement, world.leads["B"], item_id="NOPE")


# --- discussion ---------------------------------------------------------------------------------


def test_discuss_refuses_the_district_itself_and_empty_messages(world):
    _district_a(world)
    with pytest.raises(PermissionDenied) as err:
        _decide(world, reconcile.discuss, world.leads["A"], item_id="ENGAGE", body="Ours is a 4")
    assert str(err.value) == (
        "Lead A may not join the reconciliation discussion of District A: a district never "
        "reconciles its own ratings."
    )
    with pytest.raises(InvalidInput, match="the message is empty"):
        _decide(world, reconcile.discuss, world.leads["B"], item_id="ENGAGE", body="  ")
    message = _decide(
        world, reconcile.discuss, world.coordinator, item_id="ENGAGE", body="Please settle"
    )
    assert (message.kind, message.author, message.body) == (
        "discussion",
        "Coordinator",
        "Please settle",
    )
    assert [a for a, _, _ in _events(world, "comment")] == ["add discussion"]


def test_no_message_is_added_to_a_final_district(world):
    _district_a(world)
    with world.db.session() as s:
        question = comments.ask_question(
            s,
            world.leads["B"],
            world.cycle(s),
            district_id=world.district_id("A"),
            item_id="ENGAGE",
            body="Which schools held forums?",
        )
    _decide_all_of_a(world)
    _decide(world, reconcile.finalize_district, world.coordinator)
    closed = (
        "the review of this district is final; a coordinator reopens it before anyone adds a "
        "message"
    )
    attempts = [
        lambda s: reconcile.discuss(
            s,
            world.coordinator,
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("A"),
            item_id="ENGAGE",
            body="After the fact",
        ),
        lambda s: comments.ask_question(
            s,
            world.leads["B"],
            world.cycle(s),
            district_id=world.district_id("A"),
            item_id="ENGAGE",
            body="One more?",
        ),
        lambda s: comments.answer_question(
            s, world.leads["A"], world.cycle(s), question_id=question.id, body="All of them."
        ),
    ]
    for attempt in attempts:
        with world.db.session() as s, pytest.raises(InvalidInput) as refused:
            attempt(s)
        assert str(refused.value) == closed
    assert [a for a, _, _ in _events(world, "comment")] == ["add question"]


# --- phases -------------------------------------------------------------------------------------


def test_start_reconciliation_by_coordinator(world):
    _district_a(world, start=False)
    _decide(world, reconcile.start_reconciliation, world.coordinator)
    assert _phase(world, "A") == Phase.RECONCILIATION


@pytest.mark.parametrize(
    ("who", "error", "message"),
    [
        ("A", PermissionDenied, "Lead A may not reconcile this district's ratings."),
        ("D", PermissionDenied, "Lead D may not reconcile this district's ratings."),
        (
            "coordinator",
            InvalidInput,
            "Reconciliation of District A needs every reviewing district's submitted ratings "
            "first: waiting for B, C to submit.",
        ),
    ],
)
def test_start_reconciliation_refusals(world, who, error, message):
    _submit(world, "A", {"ENGAGE": 3, "PDSA": 3})
    _rate(world, "B", "A", "ENGAGE", 3)
    actor = world.coordinator if who == "coordinator" else world.leads[who]
    with pytest.raises(error) as err:
        _decide(world, reconcile.start_reconciliation, actor)
    assert str(err.value) == message
    assert _phase(world, "A") == Phase.PEER_REVIEW


def test_start_reconciliation_outside_peer_review_is_refused(world):
    _submit(world, "A", {"ENGAGE": 3, "PDSA": 3})
    with pytest.raises(InvalidInput) as err:
        _decide(world, reconcile.start_reconciliation, world.coordinator)
    assert str(err.value) == (
        "District A is not in peer review (Self-evaluation submitted); reconciliation starts "
        "from peer review."
    )


def test_finalize_is_refused_while_a_flag_is_open(world):
    _district_a(world)
    with pytest.raises(reconcile.NotReady) as err:
        _decide(world, reconcile.finalize_district, world.coordinator)
    assert err.value.blockers == [
        "ENGAGE has open flags (peer disagreement)",
        "PDSA has no decision yet",
        "EXTRA has no decision yet",
    ]
    assert str(err.value) == (
        "District A cannot be finalized yet: ENGAGE has open flags (peer disagreement); "
        "PDSA has no decision yet; EXTRA has no decision yet."
    )
    assert _phase(world, "A") == Phase.RECONCILIATION


def test_finalize_is_allowed_after_adjudication(world):
    _district_a(world)
    _agreed(world, _choice, "B", "C", item_id="PDSA", level=2, rationale="x")
    _decide(world, _agreement, world.leads["C"], item_id="EXTRA")
    assert _blockers(world) == ["ENGAGE has open flags (peer disagreement)"]
    _decide(
        world,
        _adjudication,
        world.coordinator,
        item_id="ENGAGE",
        level=2,
        rationale="Peers could not agree; forums are occasional",
    )
    assert _blockers(world) == []
    _decide(world, reconcile.finalize_district, world.coordinator)
    assert _phase(world, "A") == Phase.FINAL
    assert [a for a, _, _ in _events(world, "participation")][-2:] == [
        "change phase",
        "finalize district",
    ]


def test_finalize_lists_missing_ratings(world):
    _submit(world, "A", {"ENGAGE": 3, "PDSA": 3})
    _rate(world, "B", "A", "ENGAGE", 3)  # a draft: it counts for no one but B
    assert _blockers(world) == [
        "ENGAGE is not rated by every reviewer (waiting for B, C)",
        "PDSA is not rated by every reviewer (waiting for B, C)",
    ]


@pytest.mark.parametrize(
    ("who", "error", "message"),
    [
        ("B", PermissionDenied, "Lead B may not finalize a district: only a coordinator may."),
        (
            "coordinator",
            InvalidInput,
            "District A is not in reconciliation (Peer review); only a district in "
            "reconciliation can be finalized.",
        ),
    ],
)
def test_finalize_refusals(world, who, error, message):
    _district_a(world, start=False)
    actor = world.coordinator if who == "coordinator" else world.leads[who]
    with pytest.raises(error) as err:
        _decide(world, reconcile.finalize_district, actor)
    assert str(err.value) == message


def _reopen(world, actor, reason, code="A"):
    with world.db.session() as s:
        reconcile.reopen_district(
            s, actor, world.cycle(s), district_id=world.district_id(code), reason=reason
        )


def test_reopen_requires_a_coordinator_a_reason_and_a_final_district(world):
    _district_a(world)
    _decide_all_of_a(world)
    with pytest.raises(InvalidInput) as err:
        _reopen(world, world.coordinator, "Need to look again")
    assert str(err.value) == "District A is not final (Reconciliation); nothing to reopen."
    _decide(world, reconcile.finalize_district, world.coordinator)
    with pytest.raises(InvalidInput) as err:
        _reopen(world, world.coordinator, "   ")
    assert str(err.value) == "Give the reason for reopening; it is kept in the audit log."
    with pytest.raises(PermissionDenied):
        _reopen(world, world.leads["B"], "I changed my mind")
    assert _phase(world, "A") == Phase.FINAL


def test_reopen_returns_to_reconciliation_and_records_who_and_why(world):
    _district_a(world)
    _decide_all_of_a(world)
    _decide(world, reconcile.finalize_district, world.coordinator)
    _reopen(world, world.coordinator, "  Calibration found ENGAGE too lenient ")
    assert _phase(world, "A") == Phase.RECONCILIATION
    with world.db.session() as s:
        event = audit.events(s, entity="participation")[-1]
        assert (event.action, event.user_id, event.before, event.after) == (
            "reopen district",
            world.coordinator.user_id,
            {"phase": "final"},
            {"phase": "reconciliation", "reason": "Calibration found ENGAGE too lenient"},
        )


# --- calibration --------------------------------------------------------------------------------


def _send(world, actor, item="ENGAGE", reason="Triads read level 3 differently"):
    with world.db.session() as s:
        return reconcile.send_for_calibration(
            s, actor, world.cycle(s), world.rubric, item_id=item, reason=reason
        )


def _resolve(world, actor, item="ENGAGE", resolution="Anchored on the exemplars"):
    with world.db.session() as s:
        return reconcile.resolve_calibration(
            s, actor, world.cycle(s), item_id=item, resolution=resolution
        )


def test_calibration_review_blocks_finalization_until_resolved(world):
    _district_a(world)
    _decide_all_of_a(world)
    request = _send(world, world.coordinator)
    assert (request.item, request.reason, request.requested_by, request.open) == (
        "ENGAGE",
        "Triads read level 3 differently",
        "Coordinator",
        True,
    )
    assert _blockers(world) == [
        "ENGAGE is under calibration review (Triads read level 3 differently)"
    ]
    with pytest.raises(reconcile.NotReady):
        _decide(world, reconcile.finalize_district, world.coordinator)
    calibration = _queue(world)[0].calibration
    assert (calibration.id, calibration.item, calibration.open) == (request.id, "ENGAGE", True)
    resolved = _resolve(world, world.coordinator)
    assert (resolved.open, resolved.resolution, resolved.resolved_by) == (
        False,
        "Anchored on the exemplars",
        "Coordinator",
    )
    _decide(world, reconcile.finalize_district, world.coordinator)
    assert _phase(world, "A") == Phase.FINAL
    assert [(a, after) for a, _, after in _events(world, "calibration_review")] == [
        ("send for calibration", {"item": "ENGAGE", "reason": "Triads read level 3 differently"}),
        ("resolve calibration", {"item": "ENGAGE", "resolution": "Anchored on the exemplars"}),
    ]


def test_calibration_refusals(world):
    with pytest.raises(PermissionDenied):
        _send(world, world.leads["B"])
    with pytest.raises(InvalidInput, match="Give the reason for the calibration review."):
        _send(world, world.coordinator, reason=" ")
    with pytest.raises(NotFound):
        _send(world, world.coordinator, item="NOPE")
    with pytest.raises(NotFound, match="item ENGAGE is not under calibration review"):
        _resolve(world, world.coordinator)
    _send(world, world.coordinator)
    with pytest.raises(InvalidInput, match="Item ENGAGE is already under calibration review."):
        _send(world, world.coordinator)
    with pytest.raises(InvalidInput, match="Write what the calibration review concluded."):
        _resolve(world, world.coordinator, resolution="")
    with pytest.raises(PermissionDenied):
        _resolve(world, world.leads["B"])


def test_calibration_view_shows_every_district_and_agreement(world):
    _submit(world, "A", {"ENGAGE": 3, "PDSA": 3})
    _submit(world, "B", {"ENGAGE": 4, "PDSA": 2})
    _submit(world, "D", {"ENGAGE": 2, "PDSA": 2}, linked=("ENGAGE",))
    _rate_all(world, "A", {"ENGAGE": {"B": 2, "C": 3}, "PDSA": {"B": 2, "C": 2}})
    _rate_all(world, "B", {"ENGAGE": {"A": 4, "C": 4}, "PDSA": {"A": 2, "C": 2}})
    _rate_all(world, "D", {"ENGAGE": {"E": 2}, "PDSA": {"E": 2}})
    with world.db.session() as s:
        ratings.save_self_rating(  # C's draft: not shown until submitted
            s,
            world.leads["C"],
            world.cycle(s),
            world.rubric,
            district_id=world.district_id("C"),
            item_id="ENGAGE",
            data=RatingInput(level=4),
            expected_version=None,
        )
        view = reconcile.calibration_view(
            s, world.coordinator, world.cycle(s), world.rubric, "ENGAGE"
        )
    assert (view.item, view.title, view.network_median, view.exemplars) == (
        "ENGAGE",
        "Stakeholder engagement",
        2.5,
        {},
    )
    rows = [
        (r.code, r.enrollment, r.size_band, r.triad, r.phase, r.self_level, r.peer_levels)
        + (r.final_level, [e.file_name for e in r.evidence], [f.rule for f in r.flags])
        for r in view.districts
    ]
    assert rows == [
        (
            "A",
            11_000,
            "small",
            "North",
            "peer_review",
            3,
            {"B": 2, "C": 3},
            None,
            ["a-parent-forums.pdf"],
            [],
        ),
        (
            "B",
            50_000,
            "medium",
            "North",
            "peer_review",
            4,
            {"A": 4, "C": 4},
            None,
            ["b-parent-forums.pdf"],
            [],
        ),
        ("C", 600_000, "large", "North", "draft", None, {}, None, [], []),
        (
            "D",
            70_000,
            "medium",
            "South",
            "peer_review",
            2,
            {"E": 2},
            None,
            ["d-parent-forums.pdf"],
            [],
        ),
        ("E", 1, "small", "South", "draft", None, {}, None, [], []),
    ]
    agreement = view.agreement
    assert (agreement.exact, agreement.adjacent) == (
        Stat(name="Exact agreement", value=50.0, n=2, few=True),
        Stat(name="Adjacent agreement", value=100.0, n=2, few=True),
    )
    assert agreement.leniency == {
        "A": Stat(name="Leniency", value=0.0, n=1, few=True),
        "B": Stat(name="Leniency", value=-1.0, n=1, few=True),
        "C": Stat(name="Leniency", value=0.5, n=2, few=True),
        "E": Stat(name="Leniency", value=None, n=0, few=True),
    }
    assert [(a, b, k.n) for a, b, k in agreement.pair_kappas] == [("A", "C", 1), ("B", "C", 1)]


def test_calibration_view_shows_final_levels(world):
    _district_a(world)
    _decide_all_of_a(world)
    with world.db.session() as s:
        view = reconcile.calibration_view(
            s, world.coordinator, world.cycle(s), world.rubric, "PDSA"
        )
    assert [(r.code, r.final_level, r.decision_method) for r in view.districts] == [
        ("A", 3, "choice"),
        ("B", None, None),
        ("C", None, None),
        ("D", None, None),
        ("E", None, None),
    ]
    assert view.network_median is None


def test_agreement_overview_covers_all_items_and_each_item(world):
    _district_a(world)
    with world.db.session() as s:
        overview = reconcile.agreement_overview(s, world.coordinator, world.cycle(s), world.rubric)
    assert (overview.overall.exact.value, overview.overall.exact.n) == (100 / 3, 3)
    assert [(i.item, i.exact.value, i.adjacent.value, i.exact.n) for i in overview.items] == [
        ("ENGAGE", 0.0, 0.0, 1),
        ("PDSA", 0.0, 100.0, 1),
        ("EXTRA", 100.0, 100.0, 1),
    ]


# --- practice library ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("enrollment", "band"),
    [(0, "small"), (24_999, "small"), (25_000, "medium"), (100_000, "medium"), (100_001, "large")],
)
def test_size_band_boundaries(enrollment, band):
    assert reconcile.size_band(enrollment) == band


def _practices(world, **filters):
    with world.db.session() as s:
        return reconcile.practice_library(
            s, world.coordinator, Catalogue(world.settings.rubrics_dir), world.cycle(s), **filters
        )


def _practice_network(world):
    """A: ENGAGE decided at 4 by consensus. B: ENGAGE rated 4 by both peers but undecided (not
    in the library). D (South): PDSA rated 4 by its one peer and confirmed. C: a draft peer
    rating of B's PDSA at 4 that C never submitted."""
    _submit(world, "A", {"ENGAGE": 4, "PDSA": 2})
    _submit(world, "B", {"ENGAGE": 4, "PDSA": 4})
    _submit(world, "D", {"ENGAGE": 2, "PDSA": 4})
    _rate_all(world, "A", {"ENGAGE": {"B": 3, "C": 4}, "PDSA": {"B": 2, "C": 2}})
    _rate(world, "A", "B", "ENGAGE", 4, suggestions="Publish the forum minutes")
    _rate(world, "C", "B", "ENGAGE", 4)
    _rate_all(world, "B", {"PDSA": {"A": 4, "C": 4}})
    _rate(world, "E", "D", "PDSA", 4, suggestions="Share the PDSA templates")
    _rate(world, "E", "D", "ENGAGE", 2)
    _submit_ratings(world, "E", "D")
    _start(world, "A")
    _agreed(
        world,
        _consensus,
        "B",
        "C",
        item_id="ENGAGE",
        level=4,
        rationale="Bilingual town halls in every region",
    )
    _start(world, "D")
    _decide(world, _agreement, world.leads["E"], "D", item_id="PDSA")


def _release(world, released=True):
    with world.db.session() as s:
        cycle = world.cycle(s)
        cycles.update_cycle(
            s, world.coordinator, cycle, expected_version=cycle.row_version, released=released
        )


def test_practice_library_lists_only_items_decided_at_the_top_level(world):
    _practice_network(world)
    assert [
        (p.cycle, p.district, p.size_band, p.item, p.level, p.decision_rationale)
        for p in _practices(world)
    ] == [
        ("2015-16", "A", "small", "ENGAGE", 4, "Bilingual town halls in every region"),
        ("2015-16", "D", "medium", "PDSA", 4, ""),
    ]
    practice = _practices(world, item_id="PDSA")[0]
    assert (practice.narrative, practice.peer_notes, [e.file_name for e in practice.evidence]) == (
        "D did pdsa work",
        (),  # peer ratings are not released yet
        ["d-parent-forums.pdf"],
    )


def test_practice_library_shows_peer_notes_once_the_cycle_releases_them(world):
    _practice_network(world)
    assert _practices(world, keyword="pdsa templates") == []
    _release(world)
    [practice] = _practices(world, keyword="pdsa templates")
    assert (practice.district, practice.item, practice.peer_notes) == (
        "D",
        "PDSA",
        (
            reconcile.PeerNote(
                rater="E",
                level=4,
                rationale="E saw level 4",
                suggestions="Share the PDSA templates",
            ),
        ),
    )
    assert [n.rater for n in _practices(world, item_id="ENGAGE")[0].peer_notes] == ["B", "C"]
    # B's ENGAGE (4 from both peers) is undecided, and C's draft of B's PDSA is never shown.
    assert _practices(world, keyword="forum minutes") == []
    assert [(p.district, p.item) for p in _practices(world)] == [("A", "ENGAGE"), ("D", "PDSA")]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"item_id": "ENGAGE"}, [("A", "ENGAGE")]),
        ({"size_band": "medium"}, [("D", "PDSA")]),
        ({"size_band": "large"}, []),
        ({"keyword": "TOWN HALL"}, [("A", "ENGAGE")]),
        ({"keyword": "did pdsa work"}, [("D", "PDSA")]),
        ({"keyword": "d-parent-forums"}, [("D", "PDSA")]),
        ({"keyword": "b-parent-forums"}, []),
        ({"keyword": "sign-in sheets", "size_band": "small"}, [("A", "ENGAGE")]),
        ({"keyword": "  "}, [("A", "ENGAGE"), ("D", "PDSA")]),
    ],
)
def test_practice_library_filters(world, filters, expected):
    _practice_network(world)
    assert [(p.district, p.item) for p in _practices(world, **filters)] == expected


def test_practice_library_over_all_cycles_and_unknown_band(world):
    _practice_network(world)
    with world.db.session() as s:
        catalogue = Catalogue(world.settings.rubrics_dir)
        everything = reconcile.practice_library(s, world.coordinator, catalogue)
        with pytest.raises(InvalidInput) as err:
            reconcile.practice_library(s, world.coordinator, catalogue, size_band="huge")
    assert len(everything) == 2
    assert str(err.value) == "unknown size band 'huge' (choose from small, medium, large)"


def test_every_kind_of_decision_leaves_raw_ratings_unchanged(world):
    _district_a(world)
    before = _raw_ratings(world)
    _decide_all_of_a(world)
    _decide(
        world,
        _adjudication,
        world.coordinator,
        item_id="PDSA",
        level=2,
        rationale="Second cycle lacks a study step",
        expected_version=1,
    )
    assert _raw_ratings(world) == before
    assert [a for a, _, _ in _events(world, "decision")] == [
        "consensus",
        "choose level",
        "confirm agreement",
        "adjudication",
    ]


def test_queue_shows_decisions_once_made(world):
    _district_a(world)
    _decide_all_of_a(world)
    entries = {e.item: e for e in _queue(world)}
    assert {item: e.needs for item, e in entries.items()} == {
        "ENGAGE": "decided",
        "PDSA": "decided",
        "EXTRA": "decided",
    }
    decision = entries["ENGAGE"].decision
    assert (decision.level, decision.method, decision.decided_by) == (2, "consensus", "Lead B")


def test_reopened_district_is_adjudicated_and_finalized_again(world):
    _district_a(world)
    _decide_all_of_a(world)
    _decide(world, reconcile.finalize_district, world.coordinator)
    _reopen(world, world.coordinator, "ENGAGE was read too strictly")
    _decide(
        world,
        _adjudication,
        world.coordinator,
        item_id="ENGAGE",
        level=3,
        rationale="Forums in every school, documented",
        expected_version=1,
    )
    _decide(world, reconcile.finalize_district, world.coordinator)
    with world.db.session() as s:
        decisions = reconcile.decisions_of(s, world.cycle(s), world.district_id("A"))
    assert (_phase(world, "A"), [(d.item, d.level, d.method) for d in decisions]) == (
        Phase.FINAL,
        [("ENGAGE", 3, "adjudication"), ("EXTRA", 2, "agreement"), ("PDSA", 3, "choice")],
    )
    assert [a for a, _, _ in _events(world, "participation")][-6:] == [
        "change phase",
        "finalize district",
        "change phase",
        "reopen district",
        "change phase",
        "finalize district",
    ]


# --- proposals and concurrency ------------------------------------------------------------------


def test_decide_with_each_method_writes_that_method(world):
    _district_a(world)
    _decide_all_of_a(world)
    adjudicated = _decide(
        world,
        _adjudication,
        world.coordinator,
        item_id="EXTRA",
        level=3,
        rationale="Third reading",
        expected_version=1,
    )
    with world.db.session() as s:
        decisions = reconcile.decisions_of(s, world.cycle(s), world.district_id("A"))
    assert [(d.item, d.method) for d in decisions] == [
        ("ENGAGE", Method.CONSENSUS),
        ("EXTRA", Method.ADJUDICATION),
        ("PDSA", Method.CHOICE),
    ]
    assert (adjudicated.level, adjudicated.row_version) == (3, 2)


def test_the_proposer_alone_cannot_make_a_decision(world):
    _district_a(world)
    proposal = _decide(
        world, _consensus, world.leads["B"], item_id="ENGAGE", level=2, rationale="Occasional"
    )
    with pytest.raises(ConflictError) as err:
        _confirm(world, world.leads["B"], proposal)
    assert str(err.value) == (
        "District A, item ENGAGE: District B has already confirmed this proposal (Lead B); "
        "each district confirms once."
    )
    assert (err.value.current["level"], err.value.current["status"]) == (2, "proposed")
    entry = _queue(world)[0]
    assert (entry.needs, entry.decision, entry.proposal.waiting_for) == ("consensus", None, ("C",))
    assert _events(world, "decision") == []


def test_a_new_proposal_replaces_an_unconfirmed_one_and_its_confirmations(world):
    _district_a(world)
    first = _decide(
        world, _consensus, world.leads["B"], item_id="ENGAGE", level=2, rationale="Occasional"
    )
    with pytest.raises(ConflictError) as err:  # C did not see B's proposal
        _decide(world, _consensus, world.leads["C"], item_id="ENGAGE", level=3, rationale="Often")
    assert err.value.current["level"] == 2
    second = _decide(
        world,
        _consensus,
        world.leads["C"],
        item_id="ENGAGE",
        level=3,
        rationale="Regular forums",
        expected_version=first.row_version,
    )
    assert (second.id, second.level, second.confirmed_by, second.waiting_for) == (
        first.id,
        3,
        ("C",),
        ("B",),
    )
    with pytest.raises(ConflictError, match="the proposal changed after you opened it"):
        _confirm(world, world.leads["C"], first)  # B's old version is gone
    decision = _confirm(world, world.leads["B"], second)
    assert (decision.level, decision.method, decision.decided_by) == (3, "consensus", "Lead C")
    events = _events(world, "consensus_proposal")
    assert [a for a, _, _ in events] == ["propose", "replace proposal", "confirm proposal"]
    assert (events[1][1]["level"], events[1][2]["level"]) == (2, 3)


def _add_reviewer(world, reviewer, code):
    """A third reviewing district beside the triad (e.g. a cross-triad visit)."""
    from review.db import Assignment

    with world.db.session() as s:
        s.add(
            Assignment(
                cycle_id=world.cycle(s).id,
                reviewer_district_id=world.district_id(reviewer),
                reviewed_district_id=world.district_id(code),
                kind="calibration",
            )
        )


def test_every_reviewing_district_confirms_before_a_proposal_takes_effect(world):
    _add_reviewer(world, "D", "A")
    _district_a(world, start=False)
    _rate_all(world, "A", {"ENGAGE": {"D": 2}, "PDSA": {"D": 2}, "EXTRA": {"D": 2}})
    _start(world)
    proposal = _decide(
        world, _consensus, world.leads["B"], item_id="ENGAGE", level=2, rationale="Occasional"
    )
    assert proposal.waiting_for == ("C", "D")
    halfway = _confirm(world, world.leads["C"], proposal)
    assert (halfway.confirmed_by, halfway.waiting_for, halfway.status, halfway.row_version) == (
        ("B", "C"),
        ("D",),
        "proposed",
        2,
    )
    with pytest.raises(ConflictError, match="District C has already confirmed"):
        _confirm(world, world.leads["C"], halfway)
    decision = _confirm(world, world.leads["D"], halfway)
    assert (decision.level, decision.method) == (2, "consensus")


def _set_deadline(world, due):
    with world.db.session() as s:
        cycle = world.cycle(s)
        cycles.update_cycle(
            s,
            world.coordinator,
            cycle,
            expected_version=cycle.row_version,
            deadlines={"reconciliation": due},
        )


def test_unconfirmed_at_the_deadline_goes_to_a_coordinator_who_adjudicates(world):
    _district_a(world)
    _set_deadline(world, "2999-12-31")
    proposal = _decide(
        world, _consensus, world.leads["B"], item_id="ENGAGE", level=2, rationale="Occasional"
    )
    assert proposal.status == "proposed"
    _set_deadline(world, "2000-01-31")
    entry = _queue(world)[0]
    assert (entry.proposal.status, reconcile.STATUS_LABELS[entry.proposal.status]) == (
        "sent_to_coordinator",
        "sent to a coordinator",
    )
    with pytest.raises(InvalidInput) as err:
        _confirm(world, world.leads["C"], proposal)
    assert str(err.value) == (
        "District A, item ENGAGE: the proposal was sent to a coordinator (the reconciliation "
        "deadline (2000-01-31) passed before every reviewing district confirmed it); a "
        "coordinator adjudicates this item."
    )
    with pytest.raises(InvalidInput, match=r"deadline \(2000-01-31\) has passed"):
        _decide(world, _choice, world.leads["C"], item_id="PDSA", level=2, rationale="One cycle")
    decision = _decide(
        world,
        _adjudication,
        world.coordinator,
        item_id="ENGAGE",
        level=2,
        rationale="The peers did not settle it in time",
    )
    assert (decision.level, decision.method, decision.decided_by) == (
        2,
        "adjudication",
        "Coordinator",
    )
    with world.db.session() as s:
        stored = s.get(ConsensusProposal, proposal.id)
        assert (stored.status, stored.row_version) == ("sent_to_coordinator", 2)
    assert [a for a, _, _ in _events(world, "consensus_proposal")] == [
        "propose",
        "send to coordinator",
    ]


def test_decision_ratings_are_rows_the_decision_points_at(world):
    _district_a(world)
    decision = _decide(world, _agreement, world.leads["B"], item_id="EXTRA")
    with world.db.session() as s:
        rows = s.execute(
            select(DecisionRating.rating_id)
            .where(DecisionRating.decision_id == decision.id)
            .order_by(DecisionRating.rating_id)
        )
        assert tuple(rows.scalars()) == decision.rating_ids
    assert len(decision.rating_ids) == 2


def _race(world, actors, request_for):
    """Each actor decides in its own thread and session, all released at once."""
    barrier = threading.Barrier(len(actors))
    results: list[object] = [None] * len(actors)

    def run(index, actor):
        barrier.wait()
        try:
            with world.db.session() as s:
                results[index] = reconcile.decide(
                    s, actor, world.cycle(s), world.rubric, request_for(world)
                )
        except Exception as exc:  # the outcome is asserted below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
def test_two_first_decisions_of_one_item_one_wins_the_other_sees_it(world, monkeypatch):
    _district_a(world)
    levels = iter([2, 3])

    def request(world):
        return DecisionRequest(
            district_id=world.district_id("A"),
            item_id="ENGAGE",
            method=Method.ADJUDICATION,
            level=next(levels),
            rationale="Third reading",
        )

    # Each thread waits before it writes until the other has read too, if it can: under the
    # district's row lock the other cannot read until this one commits, and then sees it.
    both_read = threading.Barrier(2)
    original = decisions_module._write

    def write_after_both_read(*args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):  # the other waits for the lock
            both_read.wait(timeout=0.5)
        return original(*args, **kwargs)

    monkeypatch.setattr(decisions_module, "_write", write_after_both_read)
    results = _race(world, [world.coordinator, world.coordinator], request)
    won = [r for r in results if isinstance(r, reconcile.Decision)]
    lost = [r for r in results if isinstance(r, ConflictError)]
    assert (len(won), len(lost)) == (1, 1), results
    assert lost[0].current["level"] == won[0].level
    assert lost[0].current["row_version"] == 1
    with world.db.session() as s:
        decisions = reconcile.decisions_of(s, world.cycle(s), world.district_id("A"))
    assert [(d.item, d.level) for d in decisions] == [("ENGAGE", won[0].level)]
    assert [a for a, _, _ in _events(world, "decision")] == ["adjudication"]
