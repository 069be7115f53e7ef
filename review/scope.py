"""`access.may` with a cycle's facts filled in from the database: what an actor may reach now.

Every domain read a page calls goes through here, so that the rules of `access` are applied in
one place and a page never decides access on its own.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from review.access import Action, Actor, Phase, may, refusal
from review.cycles import assigned_to, participants
from review.db import Cycle, District, Participation
from review.errors import NotFound


def allowed(
    session: Session, actor: Actor, cycle: Cycle, action: Action, district_id: int | None
) -> bool:
    """Whether `actor` may do `action` on a district of `cycle`, as things stand now."""
    final = False
    if action in (Action.READ_FINAL, Action.READ_PEER_RATINGS) and district_id is not None:
        phase = session.scalar(
            select(Participation.phase).where(
                Participation.cycle_id == cycle.id, Participation.district_id == district_id
            )
        )
        final = phase == Phase.FINAL
    return may(
        actor,
        action,
        district_id=district_id,
        assigned=assigned_to(session, cycle, actor.district_id),
        released=cycle.released,
        final=final,
    )


def check(
    session: Session, actor: Actor, cycle: Cycle, action: Action, district_id: int | None
) -> None:
    """Raise PermissionDenied unless `allowed(...)`."""
    if not allowed(session, actor, cycle, action, district_id):
        raise refusal(actor, action)


def districts(
    session: Session, actor: Actor, cycle: Cycle, action: Action
) -> list[tuple[District, Participation]]:
    """The districts of `cycle` (by code, with their phases) on which `actor` may do `action`."""
    assigned = assigned_to(session, cycle, actor.district_id)
    return [
        (d, p)
        for d, p in participants(session, cycle)
        if may(
            actor,
            action,
            district_id=d.id,
            assigned=assigned,
            released=cycle.released,
            final=p.phase == Phase.FINAL,
        )
    ]


def district(
    session: Session, actor: Actor, cycle: Cycle, action: Action, district_id: int
) -> tuple[District, Participation]:
    """One district of `cycle` with its phase, when `actor` may do `action` on it.

    Raises:
        PermissionDenied: `actor` may not do `action` on the district.
        NotFound: the district takes no part in the cycle.
    """
    check(session, actor, cycle, action, district_id)
    row = session.execute(
        select(District, Participation)
        .join(Participation, Participation.district_id == District.id)
        .where(Participation.cycle_id == cycle.id, District.id == district_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"the district is not part of cycle {cycle.name}")
    return row[0], row[1]
