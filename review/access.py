"""Who may do what: the rules of design.md §1, enforced here rather than by hiding buttons."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from review.errors import PermissionDenied


class Role(StrEnum):
    DISTRICT_EDITOR = "district_editor"
    PEER_REVIEWER = "peer_reviewer"
    COORDINATOR = "coordinator"
    OBSERVER = "observer"


ROLE_LABELS = {
    Role.DISTRICT_EDITOR: "District editor",
    Role.PEER_REVIEWER: "Peer reviewer",
    Role.COORDINATOR: "Coordinator",
    Role.OBSERVER: "Observer",
}


class Phase(StrEnum):
    DRAFT = "draft"
    SELF_SUBMITTED = "self_submitted"
    PEER_REVIEW = "peer_review"
    RECONCILIATION = "reconciliation"
    FINAL = "final"


PHASE_LABELS = {
    Phase.DRAFT: "Self-evaluation in draft",
    Phase.SELF_SUBMITTED: "Self-evaluation submitted",
    Phase.PEER_REVIEW: "Peer review",
    Phase.RECONCILIATION: "Reconciliation",
    Phase.FINAL: "Final",
}


# What a phase's deadline is for, in words (a cycle's deadlines are keyed by phase).
DEADLINE_LABELS = {
    Phase.DRAFT: "self-evaluation submitted",
    Phase.PEER_REVIEW: "peer ratings given",
    Phase.RECONCILIATION: "reconciliation decided",
}


class Actor(BaseModel):
    """The signed-in person, as the rules need them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: int
    name: str
    email: str
    district_id: int | None
    roles: frozenset[Role]

    def has(self, role: Role) -> bool:
        return role in self.roles


class Action(StrEnum):
    EDIT_SELF = "edit the self-evaluation"
    SUBMIT_SELF = "submit the self-evaluation"
    UPLOAD_EVIDENCE = "upload evidence"
    ANSWER_QUESTION = "answer a reviewer's question"
    RATE_PEER = "rate this district"
    ASK_QUESTION = "ask this district a question"
    READ_DISTRICT = "read this district's self-evaluation"
    READ_PEER_RATINGS = "read peer ratings of this district"
    MANAGE_CYCLE = "set up cycles, districts, triads and users"
    READ_FINAL = "read finalized packets"
    RECONCILE = "reconcile this district's ratings"
    READ_NETWORK = "read the whole network's progress and agreement"
    READ_INDEX = "read this district's index summary"
    READ_PRACTICE = "read the practice library"


def may(
    actor: Actor,
    action: Action,
    *,
    district_id: int | None = None,
    assigned: frozenset[int] = frozenset(),
    released: bool = False,
    final: bool = False,
) -> bool:
    """Whether `actor` may do `action` on `district_id`.

    Args:
        assigned: the districts the actor's district is assigned to review in this cycle.
        released: whether the cycle has released peer ratings to the districts.
        final: whether the district's review is final.
    """
    coordinator = actor.has(Role.COORDINATOR)
    own = district_id is not None and district_id == actor.district_id
    editor = actor.has(Role.DISTRICT_EDITOR) and own
    reviewer = actor.has(Role.PEER_REVIEWER) and district_id in assigned and not own
    match action:
        case (
            Action.EDIT_SELF | Action.SUBMIT_SELF | Action.UPLOAD_EVIDENCE | Action.ANSWER_QUESTION
        ):
            return editor
        case Action.RATE_PEER | Action.ASK_QUESTION:
            return reviewer
        case Action.READ_DISTRICT:
            return coordinator or editor or reviewer
        case Action.RECONCILE:
            return coordinator or reviewer
        case Action.READ_PEER_RATINGS:
            # A final review is the district's record: its peer ratings are part of it.
            return coordinator or reviewer or (editor and (released or final))
        case Action.MANAGE_CYCLE | Action.READ_NETWORK:
            return coordinator
        case Action.READ_INDEX:
            return coordinator or editor
        case Action.READ_PRACTICE:
            return bool(actor.roles)
        case Action.READ_FINAL:
            return coordinator or (final and (actor.has(Role.OBSERVER) or editor))
    return False


def require(actor: Actor, action: Action, **context: object) -> None:
    """Raise PermissionDenied unless `may(actor, action, ...)`."""
    if not may(actor, action, **context):  # type: ignore[arg-type]
        raise refusal(actor, action)


def refusal(actor: Actor, action: Action) -> PermissionDenied:
    return PermissionDenied(f"{actor.name} may not {action.value}.")
