"""Frozen packets: what a final district's packet was, kept so it can be proven later.

The packet is built by `exports.packet.freeze` (review/ never imports exports/) in its own unit of
work once the finalization has committed, and stored here with its SHA-256. Every later
download returns those bytes. Reopening keeps them; finalizing again makes the next version.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from review import audit, scope
from review.access import Action, Actor, Phase
from review.cycles import participation
from review.db import AuditEvent, Blob, Cycle, FrozenPacket, User
from review.errors import InvalidInput, NotFound

ZIP = "application/zip"


class Packet(BaseModel):
    """One stored packet, as the Review packets page lists it."""

    model_config = ConfigDict(frozen=True)

    id: int
    version: int
    file_name: str
    sha256: str
    size: int
    made_at: datetime
    made_by: str | None  # None: built by the operator's command line


def finalization(session: Session, cycle: Cycle, district_id: int) -> int:
    """How many times the district's review has become final in the cycle (the audit log's
    phase changes say, whoever made them)."""
    part = participation(session, cycle, district_id)
    changes = session.scalars(
        select(AuditEvent.after).where(
            AuditEvent.entity == "participation",
            AuditEvent.entity_id == str(part.id),
            AuditEvent.action == "change phase",
        )
    )
    return sum(1 for after in changes if (after or {}).get("phase") == Phase.FINAL.value)


def current_version(session: Session, cycle: Cycle, district_id: int) -> int | None:
    """The packet version a district's review stands at: its finalization count when it is
    final, None when it is not."""
    if participation(session, cycle, district_id).phase != Phase.FINAL:
        return None
    return finalization(session, cycle, district_id)


def store(
    session: Session,
    actor: Actor | None,
    cycle: Cycle,
    district_id: int,
    *,
    version: int,
    file_name: str,
    data: bytes,
) -> bool:
    """Keep a final district's packet for `version`; False when another builder kept one first
    (theirs stands: a frozen packet never changes).

    Raises:
        InvalidInput: the district is no longer final at that version (reopened meanwhile).
    """
    part = participation(session, cycle, district_id, lock="share")
    if part.phase != Phase.FINAL or finalization(session, cycle, district_id) != version:
        raise InvalidInput(
            f"the district's review is no longer final as version {version}; nothing was kept"
        )
    digest = hashlib.sha256(data).hexdigest()
    if session.get(Blob, digest) is None:
        session.add(Blob(sha256=digest, size=len(data), media_type=ZIP, data=data))
    row = FrozenPacket(
        cycle_id=cycle.id,
        district_id=district_id,
        version=version,
        file_name=file_name,
        sha256=digest,
        made_at=audit.now(),
        made_by=actor.user_id if actor else None,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    audit.record(
        session,
        actor,
        "freeze packet",
        "frozen_packet",
        row.id,
        after={"version": version, "file_name": file_name, "sha256": digest, "size": len(data)},
    )
    return True


def frozen_packets(session: Session, actor: Actor, cycle: Cycle, district_id: int) -> list[Packet]:
    """Every stored packet of a district, newest version first, for whoever may read it."""
    scope.check(session, actor, cycle, Action.READ_FINAL, district_id)
    return kept(session, cycle, district_id)


def kept(
    session: Session, cycle: Cycle, district_id: int, *, version: int | None = None
) -> list[Packet]:
    """`frozen_packets` unchecked (optionally one version): for the domain's own work and the
    operator's command line."""
    query = (
        select(FrozenPacket, Blob.size, User.name)
        .join(Blob, Blob.sha256 == FrozenPacket.sha256)
        .outerjoin(User, User.id == FrozenPacket.made_by)
        .where(FrozenPacket.cycle_id == cycle.id, FrozenPacket.district_id == district_id)
        .order_by(FrozenPacket.version.desc())
    )
    if version is not None:
        query = query.where(FrozenPacket.version == version)
    rows = session.execute(query)
    return [
        Packet(
            id=row.id,
            version=row.version,
            file_name=row.file_name,
            sha256=row.sha256,
            size=size,
            made_at=row.made_at,
            made_by=name,
        )
        for row, size, name in rows
    ]


def packet_bytes(session: Session, actor: Actor, cycle: Cycle, packet_id: int) -> bytes:
    """The stored bytes of one packet, checked against its SHA-256 before they are handed out."""
    row = session.get(FrozenPacket, packet_id)
    if row is None or row.cycle_id != cycle.id:
        raise NotFound(f"no stored packet {packet_id} in cycle {cycle.name}")
    scope.check(session, actor, cycle, Action.READ_FINAL, row.district_id)
    return stored_bytes(session, row.sha256)


def stored_bytes(session: Session, sha256: str) -> bytes:
    blob = session.get(Blob, sha256)
    if blob is None or hashlib.sha256(blob.data).hexdigest() != sha256:
        raise InvalidInput(f"the stored packet {sha256[:12]}… is missing or damaged")
    return blob.data
