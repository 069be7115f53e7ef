"""An item's reconciliation discussion: the peers (and coordinators) talk before deciding."""

from __future__ import annotations

from sqlalchemy.orm import Session

from review import audit, comments
from review.access import Actor
from review.comments import Message
from review.db import Comment, Cycle
from review.errors import InvalidInput
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
        InvalidInput: an empty or too long message.
        PermissionDenied: the actor neither reviews the district nor coordinates.
    """
    found, item = find(session, rubric, district_id, item_id)
    doing = "join the reconciliation discussion of"
    require_decider(session, actor, cycle, found, coordinator_too=True, doing=doing)
    text = body.strip()
    if not text:
        raise InvalidInput("The message is empty.")
    if len(text) > comments.MAX_COMMENT:
        raise InvalidInput(f"The message is longer than {comments.MAX_COMMENT} characters.")
    row = Comment(
        cycle_id=cycle.id,
        district_id=found.id,
        item_id=item.id,
        kind="discussion",
        parent_id=None,
        author_id=actor.user_id,
        body=text,
        created_at=audit.now(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor, "add discussion", "comment", row.id, after={"item": item.id, "body": text}
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
