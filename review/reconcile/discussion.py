"""An item's reconciliation discussion: the peers (and coordinators) talk before deciding."""

from __future__ import annotations

from sqlalchemy.orm import Session

from review import comments
from review.access import Actor
from review.comments import Message
from review.db import Cycle
from review.reconcile.decisions import find, require_decider
from review.rubrics import Rubric


def discuss(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    *,
    district_id: int,
    item_id: str,
    body: str,
) -> Message:
    """Add a message to an item's reconciliation discussion (peer reviewers and coordinators).

    Raises:
        InvalidInput: an empty or too long message, or a district whose review is final.
        PermissionDenied: the actor neither reviews the district nor coordinates.
    """
    found, item = find(session, rubric, district_id, item_id)
    doing = "join the reconciliation discussion of"
    require_decider(session, actor, cycle, found, coordinator_too=True, doing=doing)
    row = comments.add_message(
        session, actor, cycle, found.id, item.id, "discussion", body, parent_id=None
    )
    return Message(
        id=row.id,
        kind=row.kind,
        item_id=row.item_id,
        author=actor.name,
        body=row.body,
        at=row.created_at,
        parent_id=None,
    )
