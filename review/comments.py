"""Questions from reviewers, answers from the district, and discussion on one item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from review import audit, scope
from review.access import Action, Actor, Phase, require
from review.cycles import assigned_to, participation
from review.db import Comment, Cycle, User
from review.errors import InvalidInput, NotFound

MAX_COMMENT = 5_000


@dataclass(frozen=True)
class Message:
    id: int
    kind: str
    item_id: str
    author: str
    body: str
    at: datetime
    parent_id: int | None
    author_id: int | None = None  # who asked: a reviewer's to-do list shows answers to theirs


def ask_question(
    session: Session, actor: Actor, cycle: Cycle, *, district_id: int, item_id: str, body: str
) -> Comment:
    """A reviewer asks the district a question about one item."""
    require(
        actor,
        Action.ASK_QUESTION,
        district_id=district_id,
        assigned=assigned_to(session, cycle, actor.district_id),
    )
    return add_message(session, actor, cycle, district_id, item_id, "question", body, None)


def answer_question(
    session: Session, actor: Actor, cycle: Cycle, *, question_id: int, body: str
) -> Comment:
    """The district answers a reviewer's question."""
    question = session.get(Comment, question_id)
    if question is None or question.cycle_id != cycle.id or question.kind != "question":
        raise NotFound(f"no question {question_id} in cycle {cycle.name}")
    require(actor, Action.ANSWER_QUESTION, district_id=question.district_id)
    return add_message(
        session, actor, cycle, question.district_id, question.item_id, "answer", body, question.id
    )


def add_message(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    district_id: int,
    item_id: str,
    kind: str,
    body: str,
    parent_id: int | None,
) -> Comment:
    """Store one message (the caller has checked who may write it), audited.

    Raises:
        InvalidInput: an empty or too long message, or a district whose review is final
            (its record is closed until a coordinator reopens it).
    """
    body = body.strip()
    if not body:
        raise InvalidInput("the message is empty")
    if len(body) > MAX_COMMENT:
        raise InvalidInput(f"the message is longer than {MAX_COMMENT} characters")
    if participation(session, cycle, district_id, lock="share").phase == Phase.FINAL:
        raise InvalidInput(
            "the review of this district is final; a coordinator reopens it before anyone "
            "adds a message"
        )
    comment = Comment(
        cycle_id=cycle.id,
        district_id=district_id,
        item_id=item_id,
        kind=kind,
        parent_id=parent_id,
        author_id=actor.user_id,
        body=body,
        created_at=audit.now(),
    )
    session.add(comment)
    session.flush()
    audit.record(
        session, actor, f"add {kind}", "comment", comment.id, after={"item": item_id, "body": body}
    )
    return comment


def thread(
    session: Session, actor: Actor, cycle: Cycle, district_id: int, item_id: str | None = None
) -> list[Message]:
    """Messages on a district (optionally one item), oldest first, for whoever may read it."""
    scope.check(session, actor, cycle, Action.READ_DISTRICT, district_id)
    return messages_of(session, cycle, district_id, item_id)


def messages_of(
    session: Session, cycle: Cycle, district_id: int, item_id: str | None = None
) -> list[Message]:
    """`thread` unchecked: for the domain's own reads (the reconcile queue checks first)."""
    query = (
        select(Comment, User.name)
        .join(User, User.id == Comment.author_id)
        .where(Comment.cycle_id == cycle.id, Comment.district_id == district_id)
        .order_by(Comment.id)
    )
    if item_id is not None:
        query = query.where(Comment.item_id == item_id)
    return [
        Message(
            id=c.id,
            kind=c.kind,
            item_id=c.item_id,
            author=name,
            body=c.body,
            at=c.created_at,
            parent_id=c.parent_id,
            author_id=c.author_id,
        )
        for c, name in session.execute(query).all()
    ]


def waiting_by_item(session: Session, cycle: Cycle, district_id: int) -> dict[str, int]:
    """Item id -> questions to a district that have no answer yet (unchecked: domain reads)."""
    messages = messages_of(session, cycle, district_id)
    answered = {m.parent_id for m in messages if m.kind == "answer"}
    waiting: dict[str, int] = {}
    for m in messages:
        if m.kind == "question" and m.id not in answered:
            waiting[m.item_id] = waiting.get(m.item_id, 0) + 1
    return waiting
