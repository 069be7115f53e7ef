"""The audit log: every change records who, when, what, before and after."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from review.access import Actor
from review.db import AuditEvent


def now() -> datetime:
    return datetime.now(UTC)


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one audit event in the caller's transaction (so it lands only with the change)."""
    session.add(
        AuditEvent(
            at=at or now(),
            user_id=actor.user_id if actor else None,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=before,
            after=after,
        )
    )


def events(session: Session, *, entity: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if entity is not None:
        query = query.where(AuditEvent.entity == entity)
    return list(session.scalars(query))
