"""The packet's audit appendix: every audited event on one district's review in one cycle.

What the packet's reader may not see yet stays hidden here too: the values of draft
self-ratings and of peer ratings (and proposals, and the reconciliation discussion) before the
cycle releases them, and who from another district acted, until the review is final.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from review import ratings as rating_store
from review.access import PHASE_LABELS, Phase
from review.backup import as_utc
from review.db import (
    AuditEvent,
    Comment,
    ConsensusProposal,
    Cycle,
    Decision,
    Evidence,
    EvidenceLink,
    FrozenPacket,
    Participation,
    Rating,
    User,
)


@dataclass(frozen=True)
class AuditRow:
    at: datetime  # UTC
    who: str
    action: str
    item: str  # the item the event concerns, "" for the district as a whole
    before: str  # changed fields, "" when none or hidden
    after: str


@dataclass(frozen=True)
class Audience:
    """What the packet's reader may see: decided once in report.py and passed in."""

    district_id: int
    final: bool
    peers_shown: bool
    shown_ratings: frozenset[int]
    names: Mapping[int, str]  # district id -> how a reviewing district is named ("Peer 1")


HIDDEN_DRAFT = "not shown: a draft the district has not submitted"
HIDDEN_PEER = "not shown until peer ratings are released"
ANONYMOUS = "a reviewing district"
# Bookkeeping and who-did-it ids: the row version says nothing to a reader, the ids would name
# reviewers before the final packet does.
_SKIPPED = frozenset(
    {"row_version", "district_id", "proposer_district_id", "proposed_by", "rating_ids", "item"}
)
_LONGEST = 120


def audit_rows(session: Session, cycle: Cycle, audience: Audience) -> tuple[AuditRow, ...]:
    """Every audited event on the district's review, oldest first."""
    subjects = _subjects(session, cycle, audience.district_id)
    matches = [
        and_(AuditEvent.entity == entity, AuditEvent.entity_id.in_(list(ids)))
        for entity, ids in subjects.items()
        if ids
    ]
    query = (
        select(AuditEvent, User.name, User.district_id)
        .outerjoin(User, User.id == AuditEvent.user_id)
        .where(or_(*matches))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return tuple(
        _row(event, name, district, subjects, audience)
        for event, name, district in session.execute(query).all()
    )


def _subjects(session: Session, cycle: Cycle, district_id: int) -> dict[str, dict[str, str]]:
    """Audited entities of the district's review: entity -> id -> the item it concerns
    (for ratings, also its source; for comments, its kind)."""
    ratings = session.execute(
        select(Rating.id, Rating.item_id, Rating.source).where(
            Rating.cycle_id == cycle.id, Rating.district_id == district_id
        )
    ).all()
    links = session.execute(
        select(Evidence.id, EvidenceLink.item_id)
        .outerjoin(EvidenceLink, EvidenceLink.evidence_id == Evidence.id)
        .where(Evidence.cycle_id == cycle.id, Evidence.district_id == district_id)
        .order_by(EvidenceLink.item_id)
    ).all()
    evidence: dict[str, str] = {}
    for evidence_id, item in links:
        key = str(evidence_id)
        evidence[key] = ", ".join(x for x in (evidence.get(key, ""), item or "") if x)
    mine = {"cycle_id": cycle.id, "district_id": district_id}
    return {
        "rating": {str(i): f"{item}|{source}" for i, item, source in ratings},
        "participation": _ids(session, Participation, mine, ""),
        "evidence": evidence,
        "decision": _ids(session, Decision, mine, "item_id"),
        "consensus_proposal": _ids(session, ConsensusProposal, mine, "item_id"),
        "comment": {
            str(i): f"{item}|{kind}"
            for i, item, kind in session.execute(
                select(Comment.id, Comment.item_id, Comment.kind).filter_by(**mine)
            ).all()
        },
        "frozen_packet": _ids(session, FrozenPacket, mine, ""),
    }


def _ids(session: Session, table: Any, where: dict[str, int], item: str) -> dict[str, str]:
    columns = [table.id] + ([getattr(table, item)] if item else [])
    rows = session.execute(select(*columns).filter_by(**where)).all()
    return {str(r[0]): (r[1] if item else "") for r in rows}


def _row(
    event: AuditEvent,
    name: str | None,
    district: int | None,
    subjects: dict[str, dict[str, str]],
    audience: Audience,
) -> AuditRow:
    item, _, detail = subjects[event.entity].get(event.entity_id, "").partition("|")
    hidden = _hidden(event, detail, audience)
    before, after = ("", hidden) if hidden else _changes(event.before, event.after)
    return AuditRow(
        at=as_utc(event.at),
        who=_who(name, district, audience),
        action=event.action,
        item=item,
        before=before,
        after=after,
    )


def _hidden(event: AuditEvent, detail: str, audience: Audience) -> str:
    """Why the event's values are not shown, or "" when they are."""
    if event.entity == "rating" and int(event.entity_id) not in audience.shown_ratings:
        return HIDDEN_DRAFT if detail == rating_store.SELF else HIDDEN_PEER
    peer_side = event.entity == "consensus_proposal" or (
        event.entity == "comment" and detail == "discussion"
    )
    return HIDDEN_PEER if peer_side and not audience.peers_shown else ""


def _who(name: str | None, district: int | None, audience: Audience) -> str:
    """Who acted: named, except staff of a reviewing district before the final packet."""
    if name is None:
        return "system"
    if audience.final or district is None or district == audience.district_id:
        return name
    return audience.names.get(district, ANONYMOUS)


def _changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[str, str]:
    """The fields an event changed, as "field: value; ..." before and after."""
    old, new = before or {}, after or {}
    keys = [k for k in dict.fromkeys([*old, *new]) if k not in _SKIPPED]
    keys = [k for k in keys if old.get(k) != new.get(k)]
    if not old:  # a creation: what it was given, not every empty field
        keys = [k for k in keys if new.get(k) not in ("", None, False, {}, [])]
    return _fields(old, keys), _fields(new, keys)


def _fields(values: dict[str, Any], keys: list[str]) -> str:
    return "; ".join(f"{k}: {_short(_label(k, values[k]))}" for k in keys if k in values)


def _label(key: str, value: object) -> object:
    """A phase by its label, as the packet names phases everywhere."""
    if key == "phase" and value in set(Phase):
        return PHASE_LABELS[Phase(str(value))]
    return value


def _short(value: object) -> str:
    """A value in a line: long texts are cut (the item pages print them whole)."""
    shown = "" if value is None else str(value)
    shown = " ".join(shown.split())
    return shown if len(shown) <= _LONGEST else shown[: _LONGEST - 1] + "…"


def finalized(rows: tuple[AuditRow, ...]) -> tuple[datetime, str] | None:
    """When and by whom the review was last made final (finalization, or a phase change to
    final), from the audit rows."""
    final = f"phase: {PHASE_LABELS[Phase.FINAL]}"
    marks = [r for r in rows if r.action == "finalize district" or r.after == final]
    return (marks[-1].at, marks[-1].who) if marks else None
