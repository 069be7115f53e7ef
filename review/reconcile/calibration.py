"""Calibration across the network: items sent back for review, one item's view over every
district, and agreement statistics."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from review import audit, scope
from review.access import Action, Actor, Phase
from review.agreement import (
    AgreementSummary,
    RatingPoint,
    Stat,
    adjacent_agreement,
    exact_agreement,
    krippendorff_alpha_ordinal,
    summarize,
)
from review.db import CalibrationReview as CalibrationRow
from review.db import Cycle
from review.errors import InvalidInput, NotFound
from review.flags import MIN_NETWORK_DISTRICTS, Flag
from review.ratings import PEER
from review.reconcile._network import (
    EvidenceSummary,
    Frozen,
    Network,
    evidence_summaries,
    load,
    names,
    require_coordinator,
)
from review.reconcile.flags import district_flags
from review.reconcile.practice import size_band
from review.rubrics import Item, Rubric


class CalibrationRequest(Frozen):
    """An item sent back for calibration review; open while `resolved_at` is `None`."""

    id: int
    item: str
    reason: str
    requested_by: str
    requested_at: datetime
    resolution: str
    resolved_by: str | None
    resolved_at: datetime | None

    @property
    def open(self) -> bool:
        return self.resolved_at is None


class DistrictCalibration(Frozen):
    """One district's row on an item's calibration page; levels `None` when not rated (a
    self-evaluation still in draft counts as not rated)."""

    code: str
    name: str
    enrollment: int
    size_band: str
    triad: str
    phase: str
    self_level: int | None
    peer_levels: dict[str, int | None]
    final_level: int | None
    final_not_applicable: bool
    decision_method: str | None
    evidence: tuple[EvidenceSummary, ...]
    flags: tuple[Flag, ...]


class ItemCalibration(Frozen):
    """Everything the calibration page of one item shows, across the whole network.

    `agreement` covers the item's peer ratings (its `leniency` is per reviewer district);
    `network_median` is the median of the districts' peer medians (`None` with peer ratings in
    fewer than `review.flags.MIN_NETWORK_DISTRICTS` districts, as the outlier rule).
    """

    item: str
    title: str
    descriptors: dict[int, str]
    exemplars: dict[int, str]
    districts: tuple[DistrictCalibration, ...]
    network_median: float | None
    agreement: AgreementSummary
    calibration: tuple[CalibrationRequest, ...]


class ItemAgreement(Frozen):
    item: str
    title: str
    exact: Stat
    adjacent: Stat
    alpha: Stat


class AgreementOverview(Frozen):
    """Agreement over every item of a cycle (`overall`), and item by item."""

    overall: AgreementSummary
    items: tuple[ItemAgreement, ...]


def send_for_calibration(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, *, item_id: str, reason: str
) -> CalibrationRequest:
    """Send an item back for calibration review across the network (coordinators only).

    Until it is resolved, no district can be finalized while that item is under review.

    Raises:
        InvalidInput: a blank reason, or the item is already under calibration review.
        NotFound: the rubric has no such item.
        PermissionDenied: the actor is not a coordinator.
    """
    require_coordinator(actor, "send an item for calibration review")
    item = rubric.item(item_id)
    why = reason.strip()
    if not why:
        raise InvalidInput("Give the reason for the calibration review.")
    if item.id in open_calibrations(session, cycle):
        raise InvalidInput(f"Item {item.id} is already under calibration review.")
    row = CalibrationRow(
        cycle_id=cycle.id,
        item_id=item.id,
        reason=why,
        requested_by=actor.user_id,
        requested_at=audit.now(),
        resolution="",
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "send for calibration",
        "calibration_review",
        row.id,
        after={"item": item.id, "reason": why},
    )
    return _calibration_view(row, {actor.user_id: actor.name})


def resolve_calibration(
    session: Session, actor: Actor, cycle: Cycle, *, item_id: str, resolution: str
) -> CalibrationRequest:
    """Close an item's calibration review with what was concluded (coordinators only).

    Raises:
        InvalidInput: a blank resolution.
        NotFound: the item is not under calibration review.
        PermissionDenied: the actor is not a coordinator.
    """
    require_coordinator(actor, "resolve a calibration review")
    text = resolution.strip()
    if not text:
        raise InvalidInput("Write what the calibration review concluded.")
    row = session.scalar(
        select(CalibrationRow).where(
            CalibrationRow.cycle_id == cycle.id,
            CalibrationRow.item_id == item_id,
            CalibrationRow.resolved_at.is_(None),
        )
    )
    if row is None:
        raise NotFound(f"item {item_id} is not under calibration review in cycle {cycle.name}")
    row.resolution, row.resolved_by, row.resolved_at = text, actor.user_id, audit.now()
    session.flush()
    audit.record(
        session,
        actor,
        "resolve calibration",
        "calibration_review",
        row.id,
        before={"item": item_id, "resolution": ""},
        after={"item": item_id, "resolution": text},
    )
    return _calibration_view(row, names(session, {row.requested_by, actor.user_id}))


def calibration_requests(
    session: Session, actor: Actor, cycle: Cycle, item_id: str | None = None
) -> list[CalibrationRequest]:
    """Calibration reviews of a cycle (optionally one item), oldest first (coordinators)."""
    scope.check(session, actor, cycle, Action.READ_NETWORK, None)
    return _requests(session, cycle, item_id)


def _requests(
    session: Session, cycle: Cycle, item_id: str | None = None
) -> list[CalibrationRequest]:
    query = select(CalibrationRow).where(CalibrationRow.cycle_id == cycle.id)
    if item_id is not None:
        query = query.where(CalibrationRow.item_id == item_id)
    rows = list(session.scalars(query.order_by(CalibrationRow.id)))
    users = {r.requested_by for r in rows} | {r.resolved_by for r in rows if r.resolved_by}
    found = names(session, users)
    return [_calibration_view(row, found) for row in rows]


def open_calibrations(session: Session, cycle: Cycle) -> dict[str, CalibrationRequest]:
    """The open calibration review of each item under review."""
    return {c.item: c for c in _requests(session, cycle) if c.open}


def calibration_view(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, item_id: str
) -> ItemCalibration:
    """One item across the whole network: every district's levels, evidence and flags, plus
    agreement statistics and leniency over the item's peer ratings.

    Raises:
        NotFound: the rubric has no such item.
    """
    scope.check(session, actor, cycle, Action.READ_NETWORK, None)
    item = rubric.item(item_id)
    network = load(session, cycle)
    flags = _by_district(district_flags(network, rubric, None, [item]), item.id)
    evidence = evidence_summaries(session, cycle, item_id=item.id)
    rows = tuple(
        _district_calibration(network, item, d, flags.get(network.code(d), ()), evidence)
        for d in sorted(network.districts, key=network.code)
    )
    return ItemCalibration(
        item=item.id,
        title=item.title,
        descriptors={level: rubric.text(text) for level, text in item.descriptors.items()},
        exemplars={level: rubric.text(text) for level, text in item.exemplars.items()},
        districts=rows,
        network_median=_network_median(rows),
        agreement=summarize(_points(network, [item]), rubric.levels),
        calibration=tuple(_requests(session, cycle, item.id)),
    )


def agreement_overview(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric
) -> AgreementOverview:
    """Agreement statistics over every peer rating of the cycle, and item by item."""
    scope.check(session, actor, cycle, Action.READ_NETWORK, None)
    points = _points(load(session, cycle), rubric.items)
    by_item: dict[str, list[RatingPoint]] = defaultdict(list)
    for point in points:
        by_item[point.item].append(point)
    return AgreementOverview(
        overall=summarize(points, rubric.levels),
        items=tuple(_item_agreement(rubric, item, by_item[item.id]) for item in rubric.items),
    )


def _district_calibration(
    network: Network,
    item: Item,
    district_id: int,
    flags: tuple[Flag, ...],
    evidence: dict[tuple[int, str], tuple[EvidenceSummary, ...]],
) -> DistrictCalibration:
    district = network.districts[district_id]
    # A draft self-rating is unfinished work: it is shown (and flagged) only once submitted.
    submitted = network.phases[district_id] != Phase.DRAFT
    own = network.self_rating(district_id, item.id) if submitted else None
    decision = network.decisions.get((district_id, item.id))
    return DistrictCalibration(
        code=district.code,
        name=district.name,
        enrollment=district.enrollment,
        size_band=size_band(district.enrollment),
        triad=network.triads[district_id],
        phase=network.phases[district_id],
        self_level=own.level if own else None,
        peer_levels={
            network.code(r.rater_district_id): r.level
            for r in network.peer_ratings(district_id, item.id)
        },
        final_level=decision.level if decision else None,
        final_not_applicable=bool(decision and decision.not_applicable),
        decision_method=decision.method if decision else None,
        evidence=evidence.get((district_id, item.id), ()),
        flags=flags,
    )


def _network_median(rows: Iterable[DistrictCalibration]) -> float | None:
    """The median of the districts' peer medians, as the network-outlier rule computes it."""
    medians = [
        statistics.median(levels)
        for row in rows
        if (levels := [v for v in row.peer_levels.values() if v is not None])
    ]
    if len(medians) < MIN_NETWORK_DISTRICTS:
        return None
    return float(statistics.median(medians))


def _item_agreement(rubric: Rubric, item: Item, points: list[RatingPoint]) -> ItemAgreement:
    return ItemAgreement(
        item=item.id,
        title=item.title,
        exact=exact_agreement(points),
        adjacent=adjacent_agreement(points),
        alpha=krippendorff_alpha_ordinal(points, rubric.levels),
    )


def _points(network: Network, items: Iterable[Item]) -> list[RatingPoint]:
    """Peer ratings as agreement points; units are (district, item), raters district codes."""
    wanted = {item.id for item in items}
    return [
        RatingPoint(
            district=network.code(district_id),
            item=item_id,
            rater=network.code(score.rater_district_id),
            level=score.level,
        )
        for (district_id, item_id), scores in network.ratings.items()
        if item_id in wanted
        for score in scores
        if score.source == PEER
    ]


def _by_district(flags: Iterable[Flag], item_id: str) -> dict[str, tuple[Flag, ...]]:
    found: dict[str, list[Flag]] = defaultdict(list)
    for flag in flags:
        if flag.item == item_id:
            found[flag.district].append(flag)
    return {district: tuple(values) for district, values in found.items()}


def _calibration_view(row: CalibrationRow, users: dict[int, str]) -> CalibrationRequest:
    return CalibrationRequest(
        id=row.id,
        item=row.item_id,
        reason=row.reason,
        requested_by=users.get(row.requested_by, f"user {row.requested_by}"),
        requested_at=row.requested_at,
        resolution=row.resolution,
        resolved_by=users.get(row.resolved_by) if row.resolved_by else None,
        resolved_at=row.resolved_at,
    )
