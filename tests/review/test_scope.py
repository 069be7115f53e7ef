"""The role x action matrix walked through the domain functions themselves, reads included.

`test_access.py` checks `access.may`; this checks that every function a page calls applies it:
the allowed call returns, the refused one raises PermissionDenied, whatever the page does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from review import (
    accounts,
    comments,
    cycles,
    evidence,
    overview,
    peer_sets,
    ratings,
    reconcile,
    scope,
)
from review.access import Action, Role
from review.errors import PermissionDenied, ReviewError
from review.progress import cycle_progress
from review.ratings import RatingInput
from review.rubrics import Catalogue

PDF = b"%PDF-1.4\n%synthetic test\n"
# A is the actor's own district, B one it reviews, D one outside its triad.
TARGETS = ("A", "B", "D")
WHO = ("editor", "reviewer", "lead", "coordinator", "observer")


@pytest.fixture
def people(world):
    """Everyone of the matrix, with B and D submitted so that peer ratings can be given."""
    with world.db.session() as s:
        made = {
            name: accounts.actor_for(
                accounts.create_user(
                    s,
                    world.settings,
                    email=f"{name}@a.example",
                    name=name.title(),
                    roles=roles,
                    district_code="A",
                    password="password1",
                    by=world.coordinator,
                )
            )
            for name, roles in (
                ("editor", [Role.DISTRICT_EDITOR]),
                ("reviewer", [Role.PEER_REVIEWER]),
            )
        }
    for code in ("B", "D"):
        _submit(world, code)
    return {
        **made,
        "lead": world.leads["A"],
        "coordinator": world.coordinator,
        "observer": world.observer,
    }


def _submit(world, code):
    lead, district_id = world.leads[code], world.district_id(code)
    with world.db.session() as s:
        cycle = world.cycle(s)
        for item in world.rubric.items:
            ratings.save_self_rating(
                s,
                lead,
                cycle,
                world.rubric,
                district_id=district_id,
                item_id=item.id,
                data=RatingInput(level=2),
                expected_version=None,
            )
        evidence.add_evidence(
            s,
            world.settings,
            lead,
            cycle,
            world.rubric,
            district_id=district_id,
            file_name="plan.pdf",
            data=PDF,
            items=tuple(i.id for i in world.rubric.items if i.evidence_required),
        )
        ratings.submit_self_evaluation(s, lead, cycle, world.rubric, district_id=district_id)


class _Undo(Exception):
    """Raised at the end of an allowed call so that its unit of work rolls back."""


def _outcome(world, call: Callable[..., object], actor, district_id: int) -> str:
    """'allowed' when the domain let the actor through (even if the phase then refused the
    change), 'refused' on PermissionDenied; nothing is kept either way."""
    try:
        with world.db.session() as s:
            call(s, actor, world.cycle(s), district_id)
            raise _Undo
    except _Undo:
        return "allowed"
    except PermissionDenied:
        return "refused"
    except ReviewError:
        return "allowed"


def _reach(world, people, call: Callable[..., object]) -> dict[str, str]:
    """Who `call` lets through, and on which of A, B, D."""
    return {
        who: "".join(
            code
            for code in TARGETS
            if _outcome(world, call, people[who], world.district_id(code)) == "allowed"
        )
        for who in WHO
    }


def _reads(rubric) -> dict[str, Callable[..., object]]:
    return {
        "ratings": lambda s, a, c, d: ratings.read_ratings(s, a, c, d),
        "evidence": lambda s, a, c, d: evidence.evidence_for(s, a, c, d),
        "thread": lambda s, a, c, d: comments.thread(s, a, c, d),
        "missing": lambda s, a, c, d: ratings.missing_for_submission(s, a, c, rubric, d),
        "rated items": lambda s, a, c, d: ratings.rated_items(s, a, c, d),
        "self overview": lambda s, a, c, d: overview.self_overview(s, a, c, rubric, d),
        "peer overview": lambda s, a, c, d: overview.peer_overview(s, a, c, rubric, d),
        "district": lambda s, a, c, d: scope.district(s, a, c, Action.READ_DISTRICT, d),
        "queue": lambda s, a, c, d: reconcile.queue(s, a, c, rubric, d),
        "blockers": lambda s, a, c, d: reconcile.finalization_blockers(s, a, c, rubric, d),
    }


_SEEN = {"editor": "A", "reviewer": "B", "lead": "AB", "coordinator": "ABD"}
_PEER = {"reviewer": "B", "lead": "B", "coordinator": "ABD"}
# Which of A, B, D each read lets each person through.
EXPECTED_READS = {
    "ratings": _SEEN,
    "evidence": _SEEN,
    "thread": _SEEN,
    "missing": _SEEN,
    "rated items": {"reviewer": "B", "lead": "B"},  # what one's own district has rated
    "self overview": _SEEN,
    "peer overview": {"reviewer": "B", "lead": "B"},
    "district": _SEEN,
    "queue": _PEER,
    "blockers": _PEER,
}


@pytest.mark.parametrize("read", list(EXPECTED_READS))
def test_each_district_read_lets_through_exactly_whom_the_rules_allow(world, people, read):
    assert _reach(world, people, _reads(world.rubric)[read]) == {
        who: EXPECTED_READS[read].get(who, "") for who in WHO
    }


_ITEM = "ENGAGE"


def _writes(rubric) -> dict[str, Callable[..., object]]:
    def rating(save):
        return lambda s, a, c, d: save(
            s,
            a,
            c,
            rubric,
            district_id=d,
            item_id=_ITEM,
            data=RatingInput(level=3),
            expected_version=None,
        )

    return {
        "save self-rating": rating(ratings.save_self_rating),
        "save peer rating": rating(ratings.save_peer_rating),
        "submit": lambda s, a, c, d: ratings.submit_self_evaluation(s, a, c, rubric, district_id=d),
        "ask": lambda s, a, c, d: comments.ask_question(
            s, a, c, district_id=d, item_id=_ITEM, body="Which schools?"
        ),
    }


EXPECTED_WRITES = {
    "save self-rating": {"editor": "A", "lead": "A"},
    "save peer rating": {"reviewer": "B", "lead": "B"},
    "submit": {"editor": "A", "lead": "A"},
    "ask": {"reviewer": "B", "lead": "B"},
}


@pytest.mark.parametrize("write", list(EXPECTED_WRITES))
def test_each_write_lets_through_exactly_whom_the_rules_allow(world, people, write):
    assert _reach(world, people, _writes(world.rubric)[write]) == {
        who: EXPECTED_WRITES[write].get(who, "") for who in WHO
    }


def test_allowed_writes_really_happen(world, people):
    """The matrix above counts a phase refusal as 'allowed'; these succeed outright."""
    with world.db.session() as s:
        cycle = world.cycle(s)
        writes = _writes(world.rubric)
        saved = writes["save self-rating"](s, people["editor"], cycle, world.district_id("A"))
        peer = writes["save peer rating"](s, people["reviewer"], cycle, world.district_id("B"))
    assert (saved.level, peer.level) == (3, 3)


def test_network_reads_are_for_coordinators_only(world, people):
    def overview(s, a, c, d):
        return reconcile.agreement_overview(s, a, c, world.rubric)

    def view(s, a, c, d):
        return reconcile.calibration_view(s, a, c, world.rubric, _ITEM)

    def requests(s, a, c, d):
        return reconcile.calibration_requests(s, a, c)

    def accounts_list(s, a, c, d):
        return accounts.list_accounts(s, a)

    def districts(s, a, c, d):
        return cycles.list_districts(s, a)

    for call in (overview, view, requests, accounts_list, districts):
        found = [who for who in WHO if _outcome(world, call, people[who], 0) == "allowed"]
        assert found == ["coordinator"], call.__name__


def test_practice_library_is_open_to_every_role(world, people):
    def library(s, a, c, d):
        return reconcile.practice_library(s, a, Catalogue(world.settings.rubrics_dir), c)

    assert [who for who in WHO if _outcome(world, library, people[who], 0) == "allowed"] == list(
        WHO
    )


def test_progress_shows_each_person_only_the_districts_they_may_read(world, people):
    with world.db.reading() as s:
        cycle = world.cycle(s)
        rows = {
            who: [
                (r.code, r.open_flags is not None)
                for r in cycle_progress(s, people[who], cycle, world.rubric, date(2016, 1, 1))
            ]
            for who in WHO
        }
    assert rows == {
        "editor": [("A", False)],
        "reviewer": [("B", True), ("C", True)],
        "lead": [("A", False), ("B", True), ("C", True)],
        "coordinator": [(c, True) for c in "ABCDE"],
        "observer": [],
    }


def test_an_editor_sees_peer_ratings_of_its_district_only_once_released(world, people):
    a = world.district_id("A")
    _submit(world, "A")
    with world.db.session() as s:
        cycle = world.cycle(s)
        ratings.save_peer_rating(
            s,
            world.leads["B"],
            cycle,
            world.rubric,
            district_id=a,
            item_id=_ITEM,
            data=RatingInput(level=4),
            expected_version=None,
        )

    def sources(s):
        rows = ratings.read_ratings(s, people["editor"], world.cycle(s), a, item_id=_ITEM)
        return [(r.source, r.level) for r in rows]

    with world.db.reading() as s:
        assert sources(s) == [(ratings.SELF, 2)]
    with world.db.session() as s:
        cycle = world.cycle(s)
        cycles.update_cycle(
            s, world.coordinator, cycle, expected_version=cycle.row_version, released=True
        )
    with world.db.reading() as s:
        assert sources(s) == [(ratings.SELF, 2)]  # released, but B's rating is still a draft
    with world.db.session() as s:
        cycle = world.cycle(s)
        for item in (i.id for i in world.rubric.items if i.required and i.id != _ITEM):
            ratings.save_peer_rating(
                s,
                world.leads["B"],
                cycle,
                world.rubric,
                district_id=a,
                item_id=item,
                data=RatingInput(level=3),
                expected_version=None,
            )
        peer_sets.submit_peer_ratings(s, world.leads["B"], cycle, world.rubric, district_id=a)
    with world.db.reading() as s:
        assert sources(s) == [(ratings.SELF, 2), (ratings.PEER, 4)]


def test_scope_lists_the_districts_an_action_reaches(world, people):
    with world.db.reading() as s:
        cycle = world.cycle(s)
        reach = {
            (who, action): [d.code for d, _ in scope.districts(s, people[who], cycle, action)]
            for who in ("editor", "lead", "observer")
            for action in (Action.RATE_PEER, Action.RECONCILE, Action.READ_INDEX, Action.READ_FINAL)
        }
    assert reach == {
        ("editor", Action.RATE_PEER): [],
        ("editor", Action.RECONCILE): [],
        ("editor", Action.READ_INDEX): ["A"],
        ("editor", Action.READ_FINAL): [],
        ("lead", Action.RATE_PEER): ["B", "C"],
        ("lead", Action.RECONCILE): ["B", "C"],
        ("lead", Action.READ_INDEX): ["A"],
        ("lead", Action.READ_FINAL): [],
        ("observer", Action.RATE_PEER): [],
        ("observer", Action.RECONCILE): [],
        ("observer", Action.READ_INDEX): [],
        ("observer", Action.READ_FINAL): [],
    }
