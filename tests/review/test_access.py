"""The whole role x action matrix of design.md section 1."""

import pytest

from review.access import Action, Actor, Role, may

OWN, ASSIGNED, OTHER = 1, 2, 3


def _actor(*roles):
    return Actor(
        user_id=1, name="X", email="x@example.org", district_id=OWN, roles=frozenset(roles)
    )


EDITOR = _actor(Role.DISTRICT_EDITOR)
REVIEWER = _actor(Role.PEER_REVIEWER)
COORDINATOR = Actor(
    user_id=2,
    name="C",
    email="c@example.org",
    district_id=None,
    roles=frozenset({Role.COORDINATOR}),
)
OBSERVER = Actor(
    user_id=3, name="O", email="o@example.org", district_id=None, roles=frozenset({Role.OBSERVER})
)
ACTORS = {"editor": EDITOR, "reviewer": REVIEWER, "coordinator": COORDINATOR, "observer": OBSERVER}
# (actor, action, district) -> allowed; contexts: assigned={ASSIGNED}, not released, not final.
MATRIX = {
    Action.EDIT_SELF: {"editor": [OWN]},
    Action.SUBMIT_SELF: {"editor": [OWN]},
    Action.UPLOAD_EVIDENCE: {"editor": [OWN]},
    Action.ANSWER_QUESTION: {"editor": [OWN]},
    Action.RATE_PEER: {"reviewer": [ASSIGNED]},
    Action.ASK_QUESTION: {"reviewer": [ASSIGNED]},
    Action.READ_DISTRICT: {
        "editor": [OWN],
        "reviewer": [ASSIGNED],
        "coordinator": [OWN, ASSIGNED, OTHER],
    },
    Action.READ_PEER_RATINGS: {"reviewer": [ASSIGNED], "coordinator": [OWN, ASSIGNED, OTHER]},
    Action.MANAGE_CYCLE: {"coordinator": [OWN, ASSIGNED, OTHER]},
    Action.READ_FINAL: {"coordinator": [OWN, ASSIGNED, OTHER]},
    Action.RECONCILE: {"reviewer": [ASSIGNED], "coordinator": [OWN, ASSIGNED, OTHER]},
    Action.READ_NETWORK: {"coordinator": [OWN, ASSIGNED, OTHER]},
    Action.READ_INDEX: {"editor": [OWN], "coordinator": [OWN, ASSIGNED, OTHER]},
    Action.READ_PRACTICE: {
        w: [OWN, ASSIGNED, OTHER] for w in ("editor", "reviewer", "coordinator", "observer")
    },
}
CASES = [(a, act, d) for a in ACTORS for act in Action for d in (OWN, ASSIGNED, OTHER)]


@pytest.mark.parametrize(("who", "action", "district"), CASES)
def test_role_action_matrix(who, action, district):
    expected = district in MATRIX[action].get(who, [])
    assert (
        may(ACTORS[who], action, district_id=district, assigned=frozenset({ASSIGNED})) is expected
    )


def test_editor_reads_peer_ratings_once_released_or_final():
    assert may(EDITOR, Action.READ_PEER_RATINGS, district_id=OWN, released=True)
    assert may(EDITOR, Action.READ_PEER_RATINGS, district_id=OWN, final=True)
    assert not may(EDITOR, Action.READ_PEER_RATINGS, district_id=OTHER, final=True)
    assert not may(EDITOR, Action.READ_PEER_RATINGS, district_id=OTHER, released=True)


def test_observer_and_editor_read_final_packets_only_when_final():
    assert may(OBSERVER, Action.READ_FINAL, district_id=OTHER, final=True)
    assert may(EDITOR, Action.READ_FINAL, district_id=OWN, final=True)
    assert not may(EDITOR, Action.READ_FINAL, district_id=OTHER, final=True)


def test_reviewer_never_rates_own_district_even_if_assigned():
    assert not may(REVIEWER, Action.RATE_PEER, district_id=OWN, assigned=frozenset({OWN}))


def test_lead_with_both_roles_edits_own_and_rates_assigned():
    lead = _actor(Role.DISTRICT_EDITOR, Role.PEER_REVIEWER)
    assert may(lead, Action.EDIT_SELF, district_id=OWN)
    assert may(lead, Action.RATE_PEER, district_id=ASSIGNED, assigned=frozenset({ASSIGNED}))
    assert not may(lead, Action.EDIT_SELF, district_id=ASSIGNED)
