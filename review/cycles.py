"""Cycles, districts, triads and the assignments derived from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from itertools import permutations
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from review import audit
from review.access import PHASE_LABELS, Action, Actor, Phase, require
from review.db import Assignment, Cycle, District, Participation, Triad
from review.errors import ConflictError, InvalidInput, NotFound
from review.rubrics import Catalogue, Rubric, content_hash

TRIAD_MIN, TRIAD_MAX = 2, 4
Lock = Literal["share", "update"]

DEFAULT_CYCLE_SETTINGS: dict[str, int] = {
    "peer_spread": 2,
    "self_peer_gap": 2,
    "network_outlier_gap": 2,
    "unsupported_below_top": 1,
}


def save_district(
    session: Session, actor: Actor, *, code: str, name: str, enrollment: int
) -> District:
    """Create or update a district by code (coordinators only).

    Its schools and priority/focus/reward counts are not typed: they are counted from each
    cycle's imported index data (`review.index.counts`).
    """
    require(actor, Action.MANAGE_CYCLE)
    code = code.strip()
    if not code or not name.strip():
        raise InvalidInput("a district needs a code and a name")
    if enrollment < 0:
        raise InvalidInput(f"district {code}: enrollment must not be negative (got {enrollment})")
    district = session.scalar(select(District).where(District.code == code))
    before = _district_dict(district) if district else None
    if district is None:
        district = District(code=code)
        session.add(district)
    district.name = name.strip()
    district.enrollment = enrollment
    session.flush()
    audit.record(
        session,
        actor,
        "save district",
        "district",
        code,
        before=before,
        after=_district_dict(district),
    )
    return district


def _district_dict(d: District) -> dict[str, object]:
    return {"code": d.code, "name": d.name, "enrollment": d.enrollment}


def create_cycle(
    session: Session,
    actor: Actor,
    catalogue: Catalogue,
    *,
    name: str,
    rubric_key: str,
    index_spec: str | None = None,
    deadlines: Mapping[str, str] | None = None,
) -> Cycle:
    """Open a cycle pinned to one rubric version (by content hash)."""
    require(actor, Action.MANAGE_CYCLE)
    name = name.strip()
    if not name:
        raise InvalidInput("a cycle needs a name, e.g. 2015-16")
    if session.scalar(select(Cycle).where(Cycle.name == name)) is not None:
        raise InvalidInput(f"a cycle named {name} already exists")
    rubric = catalogue.get_key(rubric_key)
    cycle = Cycle(
        name=name,
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_hash=content_hash(rubric),
        index_spec=index_spec,
        settings=dict(DEFAULT_CYCLE_SETTINGS),
        deadlines=dict(deadlines or {}),
        released=False,
        created_at=audit.now(),
    )
    session.add(cycle)
    session.flush()
    audit.record(
        session,
        actor,
        "create cycle",
        "cycle",
        name,
        after={"rubric": rubric.key, "hash": cycle.rubric_hash, "index_spec": index_spec},
    )
    return cycle


def get_cycle(session: Session, name: str) -> Cycle:
    cycle = session.scalar(select(Cycle).where(Cycle.name == name))
    if cycle is None:
        known = ", ".join(session.scalars(select(Cycle.name).order_by(Cycle.name))) or "none"
        raise NotFound(f"no cycle named {name!r} (known: {known})")
    return cycle


def cycle_rubric(catalogue: Catalogue, cycle: Cycle) -> Rubric:
    """The rubric a cycle pinned; refused if the file no longer has the pinned content."""
    return pinned_rubric(catalogue, cycle.rubric_id, cycle.rubric_version, cycle.rubric_hash)


def pinned_rubric(catalogue: Catalogue, rubric_id: str, version: str, rubric_hash: str) -> Rubric:
    rubric = catalogue.get(rubric_id, version)
    if content_hash(rubric) != rubric_hash:
        raise InvalidInput(
            f"the cycle pinned {rubric.key} with hash {rubric_hash[:12]}…, but the file has "
            "changed; restore it and publish a new version instead"
        )
    return rubric


def get_district(session: Session, code: str) -> District:
    district = session.scalar(select(District).where(District.code == code))
    if district is None:
        raise NotFound(f"no district with code {code!r}")
    return district


def define_triads(
    session: Session, actor: Actor, cycle: Cycle, triads: Mapping[str, Sequence[str]]
) -> list[Assignment]:
    """Replace the cycle's triads and derive its assignments.

    Each district is rated by every other district of its triad, never by itself.

    Args:
        triads: triad name -> district codes (2 to 4 each, normally 3).

    Raises:
        InvalidInput: a triad of the wrong size, a district in two triads, an unknown code,
            or a cycle whose reviews have already started.
    """
    require(actor, Action.MANAGE_CYCLE)
    # Lock the cycle's participations before their phases are checked: a submission that
    # commits first is then seen and refuses the change, and one that comes later waits,
    # instead of its row being deleted and put back as a draft. populate_existing: a preview in
    # this session may hold the rows as they were before the lock.
    kept = {
        p.district_id: (p.phase, dict(p.context or {}))
        for p in session.scalars(
            select(Participation)
            .where(Participation.cycle_id == cycle.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    check_triads(session, cycle, triads)
    districts = {code: get_district(session, code) for codes in triads.values() for code in codes}
    for table in (Assignment, Participation, Triad):
        session.execute(delete(table).where(table.cycle_id == cycle.id))
    assignments = []
    for triad_name, codes in triads.items():
        triad = Triad(cycle_id=cycle.id, name=triad_name.strip())
        session.add(triad)
        session.flush()
        for code in codes:
            district = districts[code]
            session.add(
                Participation(
                    cycle_id=cycle.id,
                    district_id=district.id,
                    triad_id=triad.id,
                    phase=kept.get(district.id, (Phase.DRAFT, {}))[0],
                    context=kept.get(district.id, (Phase.DRAFT, {}))[1],
                )
            )
        for reviewer, reviewed in permutations(codes, 2):
            assignments.append(
                Assignment(
                    cycle_id=cycle.id,
                    reviewer_district_id=districts[reviewer].id,
                    reviewed_district_id=districts[reviewed].id,
                    kind="triad",
                )
            )
    session.add_all(assignments)
    session.flush()
    audit.record(
        session,
        actor,
        "define triads",
        "cycle",
        cycle.name,
        after={name: list(codes) for name, codes in triads.items()},
    )
    return assignments


def check_triads(session: Session, cycle: Cycle, triads: Mapping[str, Sequence[str]]) -> None:
    """Refuse triads `define_triads` would refuse for their shape, or for a cycle under way.

    Raises:
        InvalidInput: a triad of the wrong size, a district in two triads, or a cycle in
            which a district has submitted.
    """
    _check_shape(triads)
    started = session.scalar(
        select(Participation).where(
            Participation.cycle_id == cycle.id, Participation.phase != Phase.DRAFT
        )
    )
    if started is not None:
        raise InvalidInput(
            f"cycle {cycle.name}: triads cannot change once a district has submitted"
        )


def _check_shape(triads: Mapping[str, Sequence[str]]) -> None:
    if not triads:
        raise InvalidInput("at least one triad is needed")
    seen: dict[str, str] = {}
    for name, codes in triads.items():
        if not name.strip():
            raise InvalidInput("every triad needs a name")
        if len(set(codes)) != len(codes):
            raise InvalidInput(f"triad {name}: a district is listed twice")
        if not TRIAD_MIN <= len(codes) <= TRIAD_MAX:
            raise InvalidInput(
                f"triad {name}: has {len(codes)} districts; a triad needs {TRIAD_MIN} to "
                f"{TRIAD_MAX} (normally 3)"
            )
        for code in codes:
            if code in seen:
                raise InvalidInput(f"district {code} is in triads {seen[code]} and {name}")
            seen[code] = name


class TriadMembers(BaseModel):
    """One triad of a cycle: its districts (code -> name, by code) and, for each, the
    districts that review it (calibration reviewers included)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    districts: dict[str, str]
    reviewers: dict[str, tuple[str, ...]]


def triads(session: Session, actor: Actor, cycle: Cycle) -> list[TriadMembers]:
    """The cycle's triads by name, with who reviews whom (coordinators: Cycle setup)."""
    require(actor, Action.MANAGE_CYCLE)
    return triads_of(session, cycle)


def triads_of(session: Session, cycle: Cycle) -> list[TriadMembers]:
    """`triads` unchecked, for the operator's command line (`python -m review demo`). Three
    queries, whatever the number of districts."""
    members = session.execute(
        select(Triad.name, District.code, District.name)
        .join(Participation, Participation.triad_id == Triad.id)
        .join(District, District.id == Participation.district_id)
        .where(Triad.cycle_id == cycle.id)
        .order_by(Triad.name, District.code)
    )
    found: dict[str, dict[str, str]] = {}
    for triad, code, name in members:
        found.setdefault(triad, {})[code] = name
    codes = {d.id: d.code for d, _ in participants(session, cycle)}
    reviewers: dict[str, list[str]] = {}
    for reviewed, by in reviewers_by_district(session, cycle).items():
        reviewers[codes[reviewed]] = [d.code for d in by]
    return [
        TriadMembers(
            name=name,
            districts=districts,
            reviewers={code: tuple(reviewers.get(code, ())) for code in districts},
        )
        for name, districts in found.items()
    ]


def list_districts(session: Session, actor: Actor) -> list[District]:
    """Every district of the network, by code (coordinators: Cycle setup)."""
    require(actor, Action.MANAGE_CYCLE)
    return list(session.scalars(select(District).order_by(District.code)))


def assigned_to(session: Session, cycle: Cycle, reviewer_district_id: int | None) -> frozenset[int]:
    """The districts that `reviewer_district_id` reviews in this cycle."""
    if reviewer_district_id is None:
        return frozenset()
    return frozenset(
        session.scalars(
            select(Assignment.reviewed_district_id).where(
                Assignment.cycle_id == cycle.id,
                Assignment.reviewer_district_id == reviewer_district_id,
            )
        )
    )


def reviewed_by(
    session: Session, cycle: Cycle, reviewer_district_id: int | None
) -> list[tuple[District, Participation]]:
    """The districts that `reviewer_district_id` reviews in this cycle (by code), with phases."""
    if reviewer_district_id is None:
        return []
    rows = session.execute(
        select(District, Participation)
        .join(Assignment, Assignment.reviewed_district_id == District.id)
        .join(
            Participation,
            (Participation.district_id == District.id) & (Participation.cycle_id == cycle.id),
        )
        .where(
            Assignment.cycle_id == cycle.id,
            Assignment.reviewer_district_id == reviewer_district_id,
        )
        .order_by(District.code)
    )
    return [(d, p) for d, p in rows.all()]


def reviewers_of(session: Session, cycle: Cycle, district_id: int) -> list[District]:
    return list(
        session.scalars(
            select(District)
            .join(Assignment, Assignment.reviewer_district_id == District.id)
            .where(Assignment.cycle_id == cycle.id, Assignment.reviewed_district_id == district_id)
            .order_by(District.code)
        )
    )


def reviewers_by_district(session: Session, cycle: Cycle) -> dict[int, list[District]]:
    """Reviewed district id -> its reviewers (by code), for the whole cycle in one query."""
    rows = session.execute(
        select(Assignment.reviewed_district_id, District)
        .join(District, Assignment.reviewer_district_id == District.id)
        .where(Assignment.cycle_id == cycle.id)
        .order_by(District.code)
    )
    found: dict[int, list[District]] = {}
    for reviewed_id, district in rows:
        found.setdefault(reviewed_id, []).append(district)
    return found


def participation(
    session: Session, cycle: Cycle, district_id: int, *, lock: Lock | None = None
) -> Participation:
    """A district's place in the cycle.

    `lock` holds its phase for the rest of the unit of work: "share" while writing what the
    phase allows (PostgreSQL's FOR SHARE; other such writers go on), "update" before changing
    the phase. On SQLite a writer holds the whole database from its start, so it needs none.
    """
    query = select(Participation).where(
        Participation.cycle_id == cycle.id, Participation.district_id == district_id
    )
    if lock is not None:
        query = query.with_for_update(read=lock == "share").execution_options(
            populate_existing=True
        )
    part = session.scalar(query)
    if part is None:
        raise NotFound(f"the district is not part of cycle {cycle.name}")
    return part


def participants(session: Session, cycle: Cycle) -> list[tuple[District, Participation]]:
    rows = session.execute(
        select(District, Participation)
        .join(Participation, Participation.district_id == District.id)
        .where(Participation.cycle_id == cycle.id)
        .order_by(District.code)
    )
    return [(d, p) for d, p in rows.all()]


Row = TypeVar("Row", Cycle, Participation)


def _own(session: Session, row: Row) -> Row:
    """`row` as this session's copy: a change to it is saved, and the caller's copy (read in
    another session, e.g. by the sidebar at the start of a rerun) is never changed."""
    own = session.get(type(row), row.id)
    if own is None:
        raise NotFound(f"{type(row).__name__} {row.id} no longer exists")
    return own


def set_phase(session: Session, actor: Actor | None, part: Participation, phase: Phase) -> bool:
    """Move a district from the phase `part` was read in to `phase`; whether it moved.

    The UPDATE names the phase it moves from, so of two people changing one phase only the
    first does, and each real change is audited once.

    Raises:
        ConflictError: the phase changed since `part` was read.
    """
    before = Phase(part.phase)
    if before == phase:
        return False
    moved = session.execute(
        update(Participation)
        .where(Participation.id == part.id, Participation.phase == before.value)
        .values(phase=phase.value)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(part)
        raise ConflictError(
            f"the district's phase changed to {PHASE_LABELS[Phase(part.phase)]!r} meanwhile; "
            "reload to see it",
            current={"phase": part.phase},
        )
    session.refresh(part)
    audit.record(
        session,
        actor,
        "change phase",
        "participation",
        part.id,
        before={"phase": before.value},
        after={"phase": phase.value},
    )
    return True


def update_cycle(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    *,
    expected_version: int,
    deadlines: Mapping[str, str] | None = None,
    released: bool | None = None,
) -> Cycle:
    """Change a cycle's phase deadlines (ISO dates keyed by phase, replacing all) and whether
    districts may read the peer ratings of their own district; `None` keeps a setting.

    Raises:
        ConflictError: someone changed the cycle since version `expected_version`.
        InvalidInput: a deadline for no phase, or not a date.
    """
    require(actor, Action.MANAGE_CYCLE)
    values: dict[str, object] = {}
    if deadlines is not None:
        values["deadlines"] = _checked_deadlines(deadlines)
    if released is not None:
        values["released"] = released
    own = _own(session, cycle)
    before = {"deadlines": dict(own.deadlines), "released": own.released}
    changed = session.execute(
        update(Cycle)
        .where(Cycle.id == own.id, Cycle.row_version == expected_version)
        .values(row_version=Cycle.row_version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(own)
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise ConflictError(
            f"cycle {own.name}: someone changed its settings after you opened them (version "
            f"{own.row_version}, you started from {expected_version}); nothing was saved. "
            "Their settings are shown; save again to replace them.",
            current={"deadlines": dict(own.deadlines), "released": own.released},
        )
    after = {"deadlines": dict(own.deadlines), "released": own.released}
    if after != before:
        audit.record(
            session, actor, "change cycle settings", "cycle", own.name, before=before, after=after
        )
    return own


def _checked_deadlines(deadlines: Mapping[str, str]) -> dict[str, str]:
    for phase, due in deadlines.items():
        try:
            Phase(phase)
            date.fromisoformat(due)
        except ValueError:
            raise InvalidInput(
                f"deadline for {phase}: {due!r} is not a phase with a date (YYYY-MM-DD)"
            ) from None
    return dict(deadlines)
