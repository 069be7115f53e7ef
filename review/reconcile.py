"""Reconciliation and calibration (design.md §5): catch inconsistent scores before they are final.

Flags come from the rules in `review.flags`, run over the ratings in the database with the
cycle's thresholds. Each item of a district is then decided in one of four ways, and every
decision is a separate `decisions` row that points at the ratings it was decided from; raw
ratings are never changed and nothing is ever averaged:

- agreement: every peer gave the same level and no flag is open; a reviewer (or a coordinator)
  confirms it;
- choice: the peers gave different but close levels and no flag is open; a reviewer picks one
  of those levels, with a rationale;
- consensus: the peers agree a level (any level on the scale) with a written rationale;
- adjudication: a coordinator decides, with a rationale, as a third reader. Only an
  adjudication can replace an earlier decision.

Phases: the first decision on a district that is still in peer review starts its
reconciliation (a coordinator can also start it explicitly). Starting needs every peer rating
of every required item, and from then on peer ratings are locked (`review.ratings` accepts
them only during peer review), so a decision can never rest on a rating that later changes.
A coordinator finalizes a district once every rated item is decided and no item of it is
under calibration review, and can reopen a final district with a reason.

Reading functions (`flags_for`, `queue`, `calibration_view`, ...) take no actor, like
`review.ratings.ratings_of`: callers check `Action.READ_PEER_RATINGS` before showing them.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from review import audit, comments
from review.access import PHASE_LABELS, Actor, Phase, Role
from review.agreement import (
    AgreementSummary,
    RatingPoint,
    Stat,
    adjacent_agreement,
    exact_agreement,
    krippendorff_alpha_ordinal,
    summarize,
)
from review.comments import Message
from review.cycles import assigned_to, cycle_rubric, participation, set_phase
from review.db import (
    Assignment,
    Blob,
    Comment,
    Cycle,
    District,
    Evidence,
    EvidenceLink,
    Participation,
    Rating,
    Triad,
    User,
)
from review.db import CalibrationReview as CalibrationRow
from review.db import Decision as DecisionRow
from review.errors import ConflictError, InvalidInput, NotFound, PermissionDenied
from review.flags import (
    MIN_NETWORK_DISTRICTS,
    NETWORK_OUTLIER,
    PEER_DISAGREEMENT,
    SELF_ABOVE_PEERS,
    SELF_PEER_GAP,
    UNSUPPORTED,
    Flag,
    FlagThresholds,
    ItemRatings,
    find_flags,
    spread,
)
from review.ratings import PEER, SELF, is_rated
from review.rubrics import Catalogue, Item, Rubric

AGREEMENT, CHOICE, CONSENSUS, ADJUDICATION = "agreement", "choice", "consensus", "adjudication"

# What an item of the queue needs next.
NEEDS_CONFIRM = "confirm"  # every peer gave the same level and no flag is open
NEEDS_CHOICE = "choose"  # close but different levels, no flag: pick one of them
NEEDS_CONSENSUS = "consensus"  # flagged, far apart, or "not applicable" beside a level
DECIDED = "decided"
INCOMPLETE = "incomplete"  # a reviewer has not rated this required item yet
UNRATED = "unrated"  # an optional item no peer rated: nothing to decide

RULE_LABELS = {
    PEER_DISAGREEMENT: "peer disagreement",
    SELF_PEER_GAP: "self/peer gap",
    SELF_ABOVE_PEERS: "self above every peer",
    UNSUPPORTED: "high rating without evidence",
    NETWORK_OUTLIER: "outlier against the network",
}

# District size bands for the practice library: (name, label, lowest, highest enrollment).
# CORE districts run from about 11,000 to 650,000 students (design.md, "a district of 11,000
# students and one of 650,000"); three bands keep a small district's peers recognisable.
SIZE_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("small", "under 25,000 students", 0, 24_999),
    ("medium", "25,000 to 100,000 students", 25_000, 100_000),
    ("large", "over 100,000 students", 100_001, None),
)

_OPEN_PHASES = (Phase.PEER_REVIEW, Phase.RECONCILIATION)
_NA = "not applicable"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RatingView(_Frozen):
    """One raw rating as reconciliation shows it; `rationale` is the self narrative or the
    peer's rationale. `level` is `None` when not rated or "not applicable"."""

    rating_id: int
    rater: str
    source: str
    level: int | None
    not_applicable: bool
    rationale: str
    suggestions: str
    row_version: int


class EvidenceSummary(_Frozen):
    evidence_id: int
    file_name: str
    description: str
    media_type: str


class Decision(_Frozen):
    """A reconciled level; `level` is `None` only when decided "not applicable".

    `flags` are the flags that were open on the item when it was decided.
    """

    id: int
    district: str
    item: str
    level: int | None
    not_applicable: bool
    method: str
    rationale: str
    decided_by: str
    decided_by_id: int
    decided_at: datetime
    rating_ids: tuple[int, ...]
    flags: tuple[Flag, ...]
    row_version: int


class CalibrationRequest(_Frozen):
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


class QueueEntry(_Frozen):
    """One item of a district in the reconciliation queue, with all it is decided from.

    `peer_levels` maps reviewer district code to level (`None`: not rated or "not
    applicable"); `spread` is `None` with fewer than two peer levels; `calibration` is the
    open calibration review of the item, if any.
    """

    item: str
    title: str
    prompt: str
    descriptors: dict[int, str]
    self_level: int | None
    peer_levels: dict[str, int | None]
    self_rating: RatingView | None
    peer_ratings: tuple[RatingView, ...]
    evidence: tuple[EvidenceSummary, ...]
    discussion: tuple[Message, ...]
    flags: tuple[Flag, ...]
    spread: int | None
    needs: str
    decision: Decision | None
    calibration: CalibrationRequest | None

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


class DistrictCalibration(_Frozen):
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


class ItemCalibration(_Frozen):
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


class ItemAgreement(_Frozen):
    item: str
    title: str
    exact: Stat
    adjacent: Stat
    alpha: Stat


class AgreementOverview(_Frozen):
    """Agreement over every item of a cycle (`overall`), and item by item."""

    overall: AgreementSummary
    items: tuple[ItemAgreement, ...]


class PeerNote(_Frozen):
    rater: str
    level: int | None
    rationale: str
    suggestions: str


class Practice(_Frozen):
    """An item a district did at the top level, to learn from.

    `basis` is 'final' when a decision set the top level, 'peer' when no decision exists yet
    and every peer who rated the item gave the top level.
    """

    cycle: str
    district: str
    district_name: str
    enrollment: int
    size_band: str
    item: str
    item_title: str
    level: int
    basis: str
    narrative: str
    decision_rationale: str
    peer_notes: tuple[PeerNote, ...]
    evidence: tuple[EvidenceSummary, ...]


class NotReady(InvalidInput):
    """A district cannot be finalized yet; `blockers` says why, item by item."""

    def __init__(self, district_name: str, blockers: list[str]) -> None:
        self.blockers = blockers
        super().__init__(f"{district_name} cannot be finalized yet: " + "; ".join(blockers) + ".")


@dataclass(frozen=True, slots=True)
class _Score:
    """The columns of a rating that rules and statistics need; text is read only when shown."""

    id: int
    district_id: int
    item_id: str
    rater_district_id: int
    source: str
    level: int | None
    not_applicable: bool
    row_version: int


@dataclass(frozen=True)
class _Network:
    """One read of everything reconciliation needs about a cycle (a handful of queries)."""

    cycle: Cycle
    districts: dict[int, District]
    phases: dict[int, str]
    triads: dict[int, str]
    reviewers: dict[int, tuple[int, ...]]
    ratings: dict[tuple[int, str], tuple[_Score, ...]]
    evidence: dict[tuple[int, str], int]
    decisions: dict[tuple[int, str], DecisionRow]

    def code(self, district_id: int) -> str:
        return self.districts[district_id].code

    def self_rating(self, district_id: int, item_id: str) -> _Score | None:
        rows = self.ratings.get((district_id, item_id), ())
        return next((r for r in rows if r.source == SELF), None)

    def peer_ratings(self, district_id: int, item_id: str) -> tuple[_Score, ...]:
        return tuple(r for r in self.ratings.get((district_id, item_id), ()) if r.source == PEER)


# --- flags -------------------------------------------------------------------------------------


def thresholds(cycle: Cycle) -> FlagThresholds:
    """The cycle's flag thresholds (design.md §5 defaults for any setting it lacks)."""
    known = FlagThresholds.model_fields
    return FlagThresholds(**{k: v for k, v in (cycle.settings or {}).items() if k in known})


def flags_for(
    session: Session, cycle: Cycle, rubric: Rubric, district_id: int | None = None
) -> list[Flag]:
    """Every flag of the cycle, or of one district, decided items included.

    The network rule compares each district with every district of the cycle whose
    self-evaluation is submitted; drafts are never flagged (they are not finished).

    Returns:
        Flags sorted by district code, item and rule.
    """
    network = _load(session, cycle)
    return _district_flags(network, rubric, district_id)


def open_flags(
    session: Session, cycle: Cycle, rubric: Rubric, district_id: int | None = None
) -> list[Flag]:
    """Flags on items without a decision (a decision settles its item's flags with a rationale).

    Returns:
        Flags sorted by district code, item and rule.
    """
    network = _load(session, cycle)
    return _open(network, _district_flags(network, rubric, district_id))


def _district_flags(
    network: _Network, rubric: Rubric, district_id: int | None, items: Sequence[Item] | None = None
) -> list[Flag]:
    """Flags of one district (or all), over `items` (default: all); the network rule still
    compares with every district, since an item's network median depends only on that item."""
    rows = _item_ratings(network, rubric, rubric.items if items is None else items)
    flags = find_flags(rows, thresholds(network.cycle))
    if district_id is None:
        return flags
    code = network.code(district_id) if district_id in network.districts else None
    return [flag for flag in flags if flag.district == code]


def _open(network: _Network, flags: Iterable[Flag]) -> list[Flag]:
    decided = {(network.code(d), item) for d, item in network.decisions}
    return [flag for flag in flags if (flag.district, flag.item) not in decided]


def _item_ratings(network: _Network, rubric: Rubric, items: Sequence[Item]) -> list[ItemRatings]:
    rows = []
    for district_id, district in network.districts.items():
        if network.phases[district_id] == Phase.DRAFT:
            continue
        for item in items:
            found = network.ratings.get((district_id, item.id))
            if not found:
                continue
            own = network.self_rating(district_id, item.id)
            rows.append(
                ItemRatings(
                    district=district.code,
                    item=item.id,
                    self_level=own.level if own else None,
                    peer_levels={
                        network.code(r.rater_district_id): r.level
                        for r in network.peer_ratings(district_id, item.id)
                    },
                    evidence_count=network.evidence.get((district_id, item.id), 0),
                    top_level=rubric.top_level,
                )
            )
    return rows


# --- the queue ---------------------------------------------------------------------------------


def queue(session: Session, cycle: Cycle, rubric: Rubric, district_id: int) -> list[QueueEntry]:
    """Every rubric item of a district, flagged items first, then by spread (largest first),
    then in rubric order.

    Raises:
        NotFound: the district is not part of the cycle.
    """
    network = _load(session, cycle)
    _require_participant(network, district_id)
    shown = _read_shown(session, network, rubric, district_id)
    entries = [_entry(network, rubric, district_id, item, shown) for item in rubric.items]
    order = {item.id: index for index, item in enumerate(rubric.items)}
    return sorted(entries, key=lambda e: (not e.flagged, -(e.spread or 0), order[e.item]))


@dataclass(frozen=True)
class _Shown:
    """What the queue shows of one district besides its levels, read once for all items."""

    flags: dict[str, tuple[Flag, ...]]
    evidence: dict[tuple[int, str], tuple[EvidenceSummary, ...]]
    discussion: dict[str, tuple[Message, ...]]
    calibration: dict[str, CalibrationRequest]
    names: dict[int, str]
    texts: dict[int, tuple[str, str]]


def _read_shown(session: Session, network: _Network, rubric: Rubric, district_id: int) -> _Shown:
    rating_ids = [
        score.id
        for (rated, _), scores in network.ratings.items()
        if rated == district_id
        for score in scores
    ]
    return _Shown(
        flags=_grouped(_district_flags(network, rubric, district_id)),
        evidence=_evidence_summaries(session, network.cycle, district_id=district_id),
        discussion=_grouped_messages(comments.thread(session, network.cycle, district_id)),
        calibration=_open_calibrations(session, network.cycle),
        names=_user_names(session, network),
        texts=_texts(session, rating_ids),
    )


def _entry(
    network: _Network, rubric: Rubric, district_id: int, item: Item, shown: _Shown
) -> QueueEntry:
    own = network.self_rating(district_id, item.id)
    peers = network.peer_ratings(district_id, item.id)
    decision = network.decisions.get((district_id, item.id))
    flags = shown.flags.get(item.id, ())
    return QueueEntry(
        item=item.id,
        title=item.title,
        prompt=rubric.text(item.prompt),
        descriptors={level: rubric.text(text) for level, text in item.descriptors.items()},
        self_level=own.level if own else None,
        peer_levels={network.code(r.rater_district_id): r.level for r in peers},
        self_rating=_rating_view(network, own, shown.texts) if own else None,
        peer_ratings=tuple(_rating_view(network, r, shown.texts) for r in peers),
        evidence=shown.evidence.get((district_id, item.id), ()),
        discussion=shown.discussion.get(item.id, ()),
        flags=flags,
        spread=spread(r.level for r in peers),
        needs=_needs(network, item, district_id, flags),
        decision=_decision_view(network, decision, shown.names) if decision else None,
        calibration=shown.calibration.get(item.id),
    )


def _needs(network: _Network, item: Item, district_id: int, flags: Sequence[Flag]) -> str:
    if (district_id, item.id) in network.decisions:
        return DECIDED
    if _missing_raters(network, item, district_id):
        return INCOMPLETE
    values = set(_rated_values(network, district_id, item.id))
    if not values:
        return UNRATED
    if flags or (_NA in values and len(values) > 1):
        return NEEDS_CONSENSUS
    levels = [v for v in values if isinstance(v, int)]
    gap = spread(levels)
    if gap is not None and gap >= thresholds(network.cycle).peer_spread:
        return NEEDS_CONSENSUS
    return NEEDS_CONFIRM if len(values) == 1 else NEEDS_CHOICE


def _missing_raters(network: _Network, item: Item, district_id: int) -> list[str]:
    """Reviewer codes who have not rated a required item yet (optional items never wait)."""
    if not item.required:
        return []
    rated = {r.rater_district_id for r in network.peer_ratings(district_id, item.id) if is_rated(r)}
    return sorted(
        network.code(reviewer)
        for reviewer in network.reviewers.get(district_id, ())
        if reviewer not in rated
    )


def _rated_values(network: _Network, district_id: int, item_id: str) -> list[int | str]:
    """The peers' levels, with "not applicable" as a value of its own; unrated rows left out."""
    return [
        _NA if row.not_applicable or row.level is None else row.level
        for row in network.peer_ratings(district_id, item_id)
        if is_rated(row)
    ]


# --- decisions ---------------------------------------------------------------------------------


def confirm_agreement(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, *, district_id: int, item_id: str
) -> Decision:
    """Make the level every peer gave final (a peer reviewer of the district or a coordinator).

    Raises:
        InvalidInput: the peers gave different levels, a flag is open, ratings are missing,
            the item is decided, or the district is not in peer review or reconciliation.
        PermissionDenied: the actor neither reviews the district nor coordinates.
    """
    district, item = _find(session, rubric, district_id, item_id)
    _require_decider(session, actor, cycle, district, coordinator_too=True)
    target = _open_target(session, cycle, rubric, district, item)
    if target.needs != NEEDS_CONFIRM:
        raise InvalidInput(_cannot_confirm(target))
    common = _rated_values(target.network, district.id, item.id)[0]
    level = common if isinstance(common, int) else None
    return _decide(session, actor, rubric, target, level=level, method=AGREEMENT, rationale="")


def choose_level(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    *,
    district_id: int,
    item_id: str,
    level: int,
    rationale: str,
) -> Decision:
    """Pick one of the peers' (close) levels, with a rationale (a peer reviewer of the district).

    Raises:
        InvalidInput: the level is not one the peers gave, the rationale is blank, the peers
            agree exactly, a flag is open or the levels are far apart (agree a consensus
            instead), ratings are missing, or the item is decided.
        PermissionDenied: the actor is not a peer reviewer of the district.
    """
    district, item = _find(session, rubric, district_id, item_id)
    _require_decider(session, actor, cycle, district, coordinator_too=False)
    rationale = _require_rationale(rationale, "why this level and not the other")
    target = _open_target(session, cycle, rubric, district, item)
    if target.needs != NEEDS_CHOICE:
        raise InvalidInput(_cannot_choose(target))
    values = _rated_values(target.network, district.id, item.id)
    given = sorted({v for v in values if isinstance(v, int)})
    if level not in given:
        raise InvalidInput(
            f"District {district.code}, item {item.id}: choose one of the peers' levels "
            f"({_or(given)}); to decide another level, agree a consensus with a rationale."
        )
    return _decide(session, actor, rubric, target, level=level, method=CHOICE, rationale=rationale)


def agree_consensus(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    *,
    district_id: int,
    item_id: str,
    level: int | None,
    rationale: str,
    not_applicable: bool = False,
) -> Decision:
    """Record the level the peers agreed in discussion, with their written rationale.

    Args:
        level: a level on the rubric's scale; `None` together with `not_applicable=True`
            when the peers agree the item does not apply (only where the rubric allows it).

    Raises:
        InvalidInput: a blank rationale, a level not on the scale, ratings missing, the item
            already decided, or the district not in peer review or reconciliation.
        PermissionDenied: the actor is not a peer reviewer of the district.
    """
    district, item = _find(session, rubric, district_id, item_id)
    _require_decider(session, actor, cycle, district, coordinator_too=False)
    rationale = _require_rationale(rationale, "what the peers agreed and why")
    _check_level(rubric, item, level, not_applicable)
    target = _open_target(session, cycle, rubric, district, item)
    if target.needs == DECIDED:
        raise InvalidInput(_already_decided(target))
    return _decide(
        session, actor, rubric, target, level=level, method=CONSENSUS, rationale=rationale
    )


def adjudicate(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    rubric: Rubric,
    *,
    district_id: int,
    item_id: str,
    level: int | None,
    rationale: str,
    not_applicable: bool = False,
    expected_version: int | None = None,
) -> Decision:
    """A coordinator decides the level as a third reader, with a rationale.

    This is the one way to change an earlier decision (e.g. after a calibration review).

    Args:
        level: a level on the scale; `None` with `not_applicable=True` where allowed.
        expected_version: the row version of the decision the coordinator saw (`None` when
            the item was undecided).

    Raises:
        ConflictError: the item was decided (again) since the coordinator looked.
        InvalidInput: a blank rationale, a level not on the scale, ratings missing, or the
            district not in peer review or reconciliation.
        PermissionDenied: the actor is not a coordinator.
    """
    district, item = _find(session, rubric, district_id, item_id)
    if not actor.has(Role.COORDINATOR):
        raise PermissionDenied(f"Only a coordinator can adjudicate; {actor.name} is not one.")
    rationale = _require_rationale(rationale, "why this level")
    _check_level(rubric, item, level, not_applicable)
    target = _open_target(session, cycle, rubric, district, item)
    current = target.network.decisions.get((district.id, item.id))
    if (current.row_version if current else None) != expected_version:
        raise ConflictError(
            f"District {district.code}, item {item.id}: the decision changed after you opened "
            "it; read the current decision below, then decide again.",
            current=_decision_dict(current) if current else {},
        )
    return _decide(
        session, actor, rubric, target, level=level, method=ADJUDICATION, rationale=rationale
    )


def decisions_of(session: Session, cycle: Cycle, district_id: int) -> list[Decision]:
    """A district's decisions, by item id."""
    network = _load(session, cycle)
    names = _user_names(session, network)
    return [
        _decision_view(network, row, names)
        for (d, _), row in sorted(network.decisions.items())
        if d == district_id
    ]


@dataclass(frozen=True)
class _Target:
    """A district's item about to be decided: its flags (open unless decided) and its needs."""

    network: _Network
    part: Participation
    district: District
    item: Item
    flags: tuple[Flag, ...]
    needs: str

    @property
    def where(self) -> str:
        return f"District {self.district.code}, item {self.item.id}"


def _find(
    session: Session, rubric: Rubric, district_id: int, item_id: str
) -> tuple[District, Item]:
    return _district(session, district_id), rubric.item(item_id)


def _require_decider(
    session: Session,
    actor: Actor,
    cycle: Cycle,
    district: District,
    *,
    coordinator_too: bool,
    doing: str = "decide items of",
) -> None:
    """Peer reviewers assigned to the district (and coordinators, if `coordinator_too`)."""
    if coordinator_too and actor.has(Role.COORDINATOR):
        return
    if actor.district_id == district.id:
        raise PermissionDenied(
            f"{actor.name} may not {doing} {district.name}: a district never reconciles its "
            "own ratings."
        )
    reviews = district.id in assigned_to(session, cycle, actor.district_id)
    if not (actor.has(Role.PEER_REVIEWER) and reviews):
        who = "its peer reviewers and the coordinators" if coordinator_too else "its peer reviewers"
        raise PermissionDenied(f"{actor.name} may not {doing} {district.name}: only {who} may.")


def _require_rationale(rationale: str, what: str) -> str:
    text = rationale.strip()
    if not text:
        raise InvalidInput(f"Write a rationale: {what}.")
    if len(text) > comments.MAX_COMMENT:
        raise InvalidInput(f"The rationale is longer than {comments.MAX_COMMENT} characters.")
    return text


def _check_level(rubric: Rubric, item: Item, level: int | None, not_applicable: bool) -> None:
    if not_applicable:
        if level is not None:
            raise InvalidInput(f"Item {item.id}: choose a level or 'not applicable', not both.")
        if not item.allow_not_applicable:
            raise InvalidInput(f"Item {item.id}: 'not applicable' is not allowed for this item.")
    elif level not in rubric.levels:
        raise InvalidInput(f"Item {item.id}: level {level} is not on the scale {rubric.levels}.")


def _open_target(
    session: Session, cycle: Cycle, rubric: Rubric, district: District, item: Item
) -> _Target:
    """The item to decide; refused outside peer review and reconciliation, and when its
    ratings are incomplete or absent."""
    part = participation(session, cycle, district.id)
    phase = Phase(part.phase)
    if phase == Phase.FINAL:
        raise InvalidInput(
            f"{district.name} is final; a coordinator must reopen it before a decision changes."
        )
    if phase not in _OPEN_PHASES:
        raise InvalidInput(
            f"{district.name} is not in peer review yet ({PHASE_LABELS[phase]}); there is "
            "nothing to reconcile."
        )
    network = _load(session, cycle)
    flags = tuple(_district_flags(network, rubric, district.id, [item]))
    # `_needs` answers "decided" before it looks at flags, so a decided item's flags are moot.
    needs = _needs(network, item, district.id, flags)
    target = _Target(network, part, district, item, flags, needs)
    if target.needs == INCOMPLETE:
        missing = ", ".join(_missing_raters(network, item, district.id))
        raise InvalidInput(
            f"{target.where}: not every reviewer has rated it yet (waiting for {missing})."
        )
    if target.needs == UNRATED:
        raise InvalidInput(
            f"{target.where}: no peer rated this optional item; there is nothing to decide."
        )
    return target


def _cannot_confirm(target: _Target) -> str:
    if target.needs == DECIDED:
        return _already_decided(target)
    if target.needs == NEEDS_CHOICE:
        given = _levels_text(target)
        choose = "choose one with a rationale"
        return f"{target.where}: the peers gave different levels ({given}); {choose}."
    return f"{target.where}: {_consensus_reason(target)}"


def _cannot_choose(target: _Target) -> str:
    if target.needs == DECIDED:
        return _already_decided(target)
    if target.needs == NEEDS_CONFIRM:
        return f"{target.where}: the peers agree ({_levels_text(target)}); confirm it."
    return f"{target.where}: {_consensus_reason(target)}"


def _consensus_reason(target: _Target) -> str:
    agree = (
        "the peers must agree a consensus level with a written rationale, or a coordinator "
        "adjudicates"
    )
    if target.flags:
        rules = ", ".join(RULE_LABELS.get(f.rule, f.rule) for f in target.flags)
        return f"open flags ({rules}); {agree}."
    return f"the peers' ratings are far apart ({_levels_text(target)}); {agree}."


def _already_decided(target: _Target) -> str:
    row = target.network.decisions[target.district.id, target.item.id]
    final = _NA if row.not_applicable else f"level {row.level}"
    return (
        f"{target.where} is already decided ({final}, by {row.method}); only a coordinator can "
        "change it, by adjudication."
    )


def _levels_text(target: _Target) -> str:
    return ", ".join(
        f"{target.network.code(r.rater_district_id)}: {_NA if r.not_applicable else r.level}"
        for r in target.network.peer_ratings(target.district.id, target.item.id)
        if is_rated(r)
    )


def _decide(
    session: Session,
    actor: Actor,
    rubric: Rubric,
    target: _Target,
    *,
    level: int | None,
    method: str,
    rationale: str,
) -> Decision:
    """Write (or, for an adjudication, replace) the decision; raw ratings stay as they are."""
    network, district, item = target.network, target.district, target.item
    if target.part.phase == Phase.PEER_REVIEW:
        _start(session, actor, network, rubric, target.part, district)
    current = network.decisions.get((district.id, item.id))
    before = _decision_dict(current) if current else None
    row = current or DecisionRow(
        cycle_id=network.cycle.id, district_id=district.id, item_id=item.id, row_version=0
    )
    row.level = level
    row.not_applicable = level is None
    row.method = method
    row.rationale = rationale
    row.rating_ids = sorted(r.id for r in network.ratings.get((district.id, item.id), ()))
    row.flags = [f.model_dump(mode="json") for f in target.flags]
    row.decided_by = actor.user_id
    row.decided_at = audit.now()
    row.row_version += 1
    session.add(row)
    _flush_decision(session, district, item)
    action = {AGREEMENT: "confirm agreement", CHOICE: "choose level"}.get(method, method)
    audit.record(
        session, actor, action, "decision", row.id, before=before, after=_decision_dict(row)
    )
    return _decision_view(network, row, {actor.user_id: actor.name})


def _flush_decision(session: Session, district: District, item: Item) -> None:
    try:
        session.flush()
    except IntegrityError:
        # The unique (cycle, district, item) key: someone decided the item at the same moment.
        raise ConflictError(
            f"District {district.code}, item {item.id} was decided by someone else just now; "
            "reload to see their decision.",
            current={},
        ) from None


def _decision_dict(row: DecisionRow) -> dict[str, Any]:
    return {
        "district_id": row.district_id,
        "item": row.item_id,
        "level": row.level,
        "not_applicable": row.not_applicable,
        "method": row.method,
        "rationale": row.rationale,
        "rating_ids": list(row.rating_ids),
        "row_version": row.row_version,
    }


def _decision_view(network: _Network, row: DecisionRow, names: dict[int, str]) -> Decision:
    return Decision(
        id=row.id,
        district=network.code(row.district_id),
        item=row.item_id,
        level=row.level,
        not_applicable=row.not_applicable,
        method=row.method,
        rationale=row.rationale,
        decided_by=names.get(row.decided_by, f"user {row.decided_by}"),
        decided_by_id=row.decided_by,
        decided_at=row.decided_at,
        rating_ids=tuple(row.rating_ids),
        flags=tuple(Flag.model_validate(f) for f in row.flags),
        row_version=row.row_version,
    )


# --- discussion --------------------------------------------------------------------------------


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
    district, item = _find(session, rubric, district_id, item_id)
    doing = "join the reconciliation discussion of"
    _require_decider(session, actor, cycle, district, coordinator_too=True, doing=doing)
    text = body.strip()
    if not text:
        raise InvalidInput("The message is empty.")
    if len(text) > comments.MAX_COMMENT:
        raise InvalidInput(f"The message is longer than {comments.MAX_COMMENT} characters.")
    row = Comment(
        cycle_id=cycle.id,
        district_id=district.id,
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


# --- phases ------------------------------------------------------------------------------------


def start_reconciliation(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, *, district_id: int
) -> None:
    """Move a district from peer review to reconciliation (coordinators; the first decision on
    a district does the same). Peer ratings are locked from then on.

    Raises:
        InvalidInput: the district is not in peer review, or a peer rating is missing.
        PermissionDenied: the actor is not a coordinator.
    """
    district = _district(session, district_id)
    _require_coordinator(actor, "start reconciliation")
    part = participation(session, cycle, district.id)
    if part.phase != Phase.PEER_REVIEW:
        raise InvalidInput(
            f"{district.name} is not in peer review ({PHASE_LABELS[Phase(part.phase)]}); "
            "reconciliation starts from peer review."
        )
    _start(session, actor, _load(session, cycle), rubric, part, district)


def _start(
    session: Session,
    actor: Actor,
    network: _Network,
    rubric: Rubric,
    part: Participation,
    district: District,
) -> None:
    missing = [
        f"{item.id} (waiting for {', '.join(raters)})"
        for item in rubric.items
        if (raters := _missing_raters(network, item, district.id))
    ]
    if missing:
        raise InvalidInput(
            f"Reconciliation of {district.name} needs every peer rating first: "
            + "; ".join(missing)
            + "."
        )
    set_phase(session, actor, part, Phase.RECONCILIATION)
    audit.record(session, actor, "start reconciliation", "participation", part.id)


def finalization_blockers(
    session: Session, cycle: Cycle, rubric: Rubric, district_id: int
) -> list[str]:
    """What stops a district from being finalized, item by item in rubric order (empty: ready).

    Blockers are undecided items (with their open flags, or missing ratings) and items under
    calibration review. An optional item no peer rated needs no decision.
    """
    network = _load(session, cycle)
    _require_participant(network, district_id)
    flags = _grouped(_open(network, _district_flags(network, rubric, district_id)))
    calibration = _open_calibrations(session, cycle)
    blockers = []
    for item in rubric.items:
        needs = _needs(network, item, district_id, flags.get(item.id, ()))
        if needs == INCOMPLETE:
            waiting = ", ".join(_missing_raters(network, item, district_id))
            blockers.append(f"{item.id} is not rated by every reviewer (waiting for {waiting})")
        elif item.id in flags:
            rules = ", ".join(RULE_LABELS.get(f.rule, f.rule) for f in flags[item.id])
            blockers.append(f"{item.id} has open flags ({rules})")
        elif needs not in (DECIDED, UNRATED):
            blockers.append(f"{item.id} has no decision yet")
        if item.id in calibration:
            blockers.append(
                f"{item.id} is under calibration review ({calibration[item.id].reason})"
            )
    return blockers


def finalize_district(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, *, district_id: int
) -> None:
    """Make a district's review final (coordinators only).

    Raises:
        NotReady: an item is undecided, has an open flag, or is under calibration review.
        InvalidInput: the district is not in reconciliation.
        PermissionDenied: the actor is not a coordinator.
    """
    district = _district(session, district_id)
    _require_coordinator(actor, "finalize a district")
    part = participation(session, cycle, district.id)
    if part.phase != Phase.RECONCILIATION:
        raise InvalidInput(
            f"{district.name} is not in reconciliation ({PHASE_LABELS[Phase(part.phase)]}); "
            "only a district in reconciliation can be finalized."
        )
    blockers = finalization_blockers(session, cycle, rubric, district.id)
    if blockers:
        raise NotReady(district.name, blockers)
    set_phase(session, actor, part, Phase.FINAL)
    audit.record(session, actor, "finalize district", "participation", part.id)


def reopen_district(
    session: Session, actor: Actor, cycle: Cycle, *, district_id: int, reason: str
) -> None:
    """Reopen a final district for reconciliation, recording who and why (coordinators only).

    Decisions stay; a coordinator changes one by adjudication.

    Raises:
        InvalidInput: a blank reason, or a district that is not final.
        PermissionDenied: the actor is not a coordinator.
    """
    district = _district(session, district_id)
    _require_coordinator(actor, "reopen a district")
    why = reason.strip()
    if not why:
        raise InvalidInput("Give the reason for reopening; it is kept in the audit log.")
    part = participation(session, cycle, district.id)
    if part.phase != Phase.FINAL:
        raise InvalidInput(
            f"{district.name} is not final ({PHASE_LABELS[Phase(part.phase)]}); nothing to reopen."
        )
    set_phase(session, actor, part, Phase.RECONCILIATION)
    audit.record(
        session,
        actor,
        "reopen district",
        "participation",
        part.id,
        before={"phase": Phase.FINAL.value},
        after={"phase": Phase.RECONCILIATION.value, "reason": why},
    )


def _district(session: Session, district_id: int) -> District:
    district = session.get(District, district_id)
    if district is None:
        raise NotFound(f"no district with id {district_id}")
    return district


def _require_coordinator(actor: Actor, what: str) -> None:
    if not actor.has(Role.COORDINATOR):
        raise PermissionDenied(f"{actor.name} may not {what}: only a coordinator may.")


def _require_participant(network: _Network, district_id: int) -> None:
    if district_id not in network.districts:
        raise NotFound(f"the district is not part of cycle {network.cycle.name}")


# --- calibration -------------------------------------------------------------------------------


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
    _require_coordinator(actor, "send an item for calibration review")
    item = rubric.item(item_id)
    why = reason.strip()
    if not why:
        raise InvalidInput("Give the reason for the calibration review.")
    if item.id in _open_calibrations(session, cycle):
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
    _require_coordinator(actor, "resolve a calibration review")
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
    names = _names(session, {row.requested_by, actor.user_id})
    return _calibration_view(row, names)


def calibration_requests(
    session: Session, cycle: Cycle, item_id: str | None = None
) -> list[CalibrationRequest]:
    """Calibration reviews of a cycle (optionally one item), oldest first."""
    query = select(CalibrationRow).where(CalibrationRow.cycle_id == cycle.id)
    if item_id is not None:
        query = query.where(CalibrationRow.item_id == item_id)
    rows = list(session.scalars(query.order_by(CalibrationRow.id)))
    users = {r.requested_by for r in rows} | {r.resolved_by for r in rows if r.resolved_by}
    names = _names(session, users)
    return [_calibration_view(row, names) for row in rows]


def calibration_view(
    session: Session, cycle: Cycle, rubric: Rubric, item_id: str
) -> ItemCalibration:
    """One item across the whole network: every district's levels, evidence and flags, plus
    agreement statistics and leniency over the item's peer ratings.

    Raises:
        NotFound: the rubric has no such item.
    """
    item = rubric.item(item_id)
    network = _load(session, cycle)
    flags = _grouped_by_district(_district_flags(network, rubric, None, [item]), item.id)
    evidence = _evidence_summaries(session, cycle, item_id=item.id)
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
        calibration=tuple(calibration_requests(session, cycle, item.id)),
    )


def _district_calibration(
    network: _Network,
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


def agreement_overview(session: Session, cycle: Cycle, rubric: Rubric) -> AgreementOverview:
    """Agreement statistics over every peer rating of the cycle, and item by item."""
    points = _points(_load(session, cycle), rubric.items)
    by_item: dict[str, list[RatingPoint]] = defaultdict(list)
    for point in points:
        by_item[point.item].append(point)
    return AgreementOverview(
        overall=summarize(points, rubric.levels),
        items=tuple(_item_agreement(rubric, item, by_item[item.id]) for item in rubric.items),
    )


def _item_agreement(rubric: Rubric, item: Item, points: list[RatingPoint]) -> ItemAgreement:
    return ItemAgreement(
        item=item.id,
        title=item.title,
        exact=exact_agreement(points),
        adjacent=adjacent_agreement(points),
        alpha=krippendorff_alpha_ordinal(points, rubric.levels),
    )


def _points(network: _Network, items: Iterable[Item]) -> list[RatingPoint]:
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


def _open_calibrations(session: Session, cycle: Cycle) -> dict[str, CalibrationRequest]:
    return {c.item: c for c in calibration_requests(session, cycle) if c.open}


def _calibration_view(row: CalibrationRow, names: dict[int, str]) -> CalibrationRequest:
    return CalibrationRequest(
        id=row.id,
        item=row.item_id,
        reason=row.reason,
        requested_by=names.get(row.requested_by, f"user {row.requested_by}"),
        requested_at=row.requested_at,
        resolution=row.resolution,
        resolved_by=names.get(row.resolved_by) if row.resolved_by else None,
        resolved_at=row.resolved_at,
    )


# --- practice library --------------------------------------------------------------------------


def size_band(enrollment: int) -> str:
    """The name of the `SIZE_BANDS` entry an enrollment falls in."""
    for name, _, low, high in SIZE_BANDS:
        if enrollment >= low and (high is None or enrollment <= high):
            return name
    return SIZE_BANDS[0][0]


def practice_library(
    session: Session,
    catalogue: Catalogue,
    cycle: Cycle | None = None,
    *,
    item_id: str | None = None,
    keyword: str | None = None,
    size_band: str | None = None,
) -> list[Practice]:
    """Items districts did at the rubric's top level, with narrative, peer notes and evidence.

    Args:
        catalogue: where each cycle's pinned rubric is read from (for its top level).
        cycle: one cycle, or `None` for every cycle.
        item_id: only this item.
        keyword: only practices whose narrative, peer rationale or suggestions, decision
            rationale, or evidence file names and descriptions contain it (any case).
        size_band: only districts in this band (a name from `SIZE_BANDS`).

    Returns:
        Practices by cycle name, rubric order and district code.

    Raises:
        InvalidInput: an unknown size band.
    """
    bands = [name for name, *_ in SIZE_BANDS]
    if size_band is not None and size_band not in bands:
        raise InvalidInput(f"unknown size band {size_band!r} (choose from {', '.join(bands)})")
    chosen = [cycle] if cycle else list(session.scalars(select(Cycle).order_by(Cycle.name)))
    needle = (keyword or "").strip().casefold()
    found = []
    for one in chosen:
        for practice in _practices(session, one, cycle_rubric(catalogue, one), item_id):
            if size_band is not None and practice.size_band != size_band:
                continue
            if needle and needle not in _searchable(practice):
                continue
            found.append(practice)
    return found


def _practices(
    session: Session, cycle: Cycle, rubric: Rubric, item_id: str | None
) -> list[Practice]:
    network = _load(session, cycle)
    items = [i for i in rubric.items if item_id is None or i.id == item_id]
    found = [
        (item, district_id, basis)
        for item in items
        for district_id in sorted(network.districts, key=network.code)
        if (basis := _top_level_basis(network, rubric, item, district_id)) is not None
    ]
    ids = [r.id for item, d, _ in found for r in network.ratings.get((d, item.id), ())]
    texts = _texts(session, ids)
    evidence = _evidence_summaries(session, cycle, item_id=item_id)
    return [
        _practice(network, rubric, item, district_id, basis, texts, evidence)
        for item, district_id, basis in found
    ]


def _top_level_basis(network: _Network, rubric: Rubric, item: Item, district_id: int) -> str | None:
    """'final' or 'peer' when the item counts as done at the top level, else `None`."""
    decision = network.decisions.get((district_id, item.id))
    if decision is not None:
        return "final" if decision.level == rubric.top_level else None
    levels = [r.level for r in network.peer_ratings(district_id, item.id) if is_rated(r)]
    return "peer" if levels and set(levels) == {rubric.top_level} else None


def _practice(
    network: _Network,
    rubric: Rubric,
    item: Item,
    district_id: int,
    basis: str,
    texts: dict[int, tuple[str, str]],
    evidence: dict[tuple[int, str], tuple[EvidenceSummary, ...]],
) -> Practice:
    decision = network.decisions.get((district_id, item.id))
    district = network.districts[district_id]
    own = network.self_rating(district_id, item.id)
    return Practice(
        cycle=network.cycle.name,
        district=district.code,
        district_name=district.name,
        enrollment=district.enrollment,
        size_band=size_band(district.enrollment),
        item=item.id,
        item_title=item.title,
        level=rubric.top_level,
        basis=basis,
        narrative=texts[own.id][0] if own else "",
        decision_rationale=decision.rationale if decision else "",
        peer_notes=tuple(
            PeerNote(
                rater=network.code(r.rater_district_id),
                level=r.level,
                rationale=texts[r.id][0],
                suggestions=texts[r.id][1],
            )
            for r in network.peer_ratings(district_id, item.id)
        ),
        evidence=evidence.get((district_id, item.id), ()),
    )


def _searchable(practice: Practice) -> str:
    texts = [practice.narrative, practice.decision_rationale]
    texts += [t for note in practice.peer_notes for t in (note.rationale, note.suggestions)]
    texts += [t for e in practice.evidence for t in (e.file_name, e.description)]
    return "\n".join(texts).casefold()


# --- loading -----------------------------------------------------------------------------------


def _load(session: Session, cycle: Cycle) -> _Network:
    participants = session.execute(
        select(District, Participation.phase, Triad.name)
        .join(Participation, Participation.district_id == District.id)
        .join(Triad, Triad.id == Participation.triad_id)
        .where(Participation.cycle_id == cycle.id)
    )
    districts, phases, triads = {}, {}, {}
    for district, phase, triad in participants:
        districts[district.id], phases[district.id], triads[district.id] = district, phase, triad
    return _Network(
        cycle=cycle,
        districts=districts,
        phases=phases,
        triads=triads,
        reviewers=_reviewers(session, cycle),
        ratings=_ratings(session, cycle),
        evidence=_evidence_counts(session, cycle),
        decisions={
            (row.district_id, row.item_id): row
            for row in session.scalars(select(DecisionRow).where(DecisionRow.cycle_id == cycle.id))
        },
    )


def _reviewers(session: Session, cycle: Cycle) -> dict[int, tuple[int, ...]]:
    found: dict[int, list[int]] = defaultdict(list)
    rows = session.execute(
        select(Assignment.reviewed_district_id, Assignment.reviewer_district_id).where(
            Assignment.cycle_id == cycle.id
        )
    )
    for reviewed, reviewer in rows:
        found[reviewed].append(reviewer)
    return {reviewed: tuple(sorted(ids)) for reviewed, ids in found.items()}


def _ratings(session: Session, cycle: Cycle) -> dict[tuple[int, str], tuple[_Score, ...]]:
    # Plain columns, not ORM objects: a network of 60 districts has about 10,000 ratings.
    query = (
        select(
            Rating.id,
            Rating.district_id,
            Rating.item_id,
            Rating.rater_district_id,
            Rating.source,
            Rating.level,
            Rating.not_applicable,
            Rating.row_version,
        )
        .where(Rating.cycle_id == cycle.id)
        .order_by(Rating.rater_district_id)
    )
    found: dict[tuple[int, str], list[_Score]] = defaultdict(list)
    for row in session.execute(query):
        score = _Score(*row)
        found[score.district_id, score.item_id].append(score)
    return {key: tuple(scores) for key, scores in found.items()}


def _texts(session: Session, rating_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Rating id -> (narrative or rationale, suggestions)."""
    ids = list(rating_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Rating.id, Rating.narrative, Rating.suggestions).where(Rating.id.in_(ids))
    )
    return {rating_id: (narrative, suggestions) for rating_id, narrative, suggestions in rows}


def _evidence_counts(session: Session, cycle: Cycle) -> dict[tuple[int, str], int]:
    rows = session.execute(
        select(Evidence.district_id, EvidenceLink.item_id, func.count())
        .join(EvidenceLink, EvidenceLink.evidence_id == Evidence.id)
        .where(Evidence.cycle_id == cycle.id)
        .group_by(Evidence.district_id, EvidenceLink.item_id)
    )
    return {(district_id, item_id): count for district_id, item_id, count in rows}


def _evidence_summaries(
    session: Session, cycle: Cycle, *, district_id: int | None = None, item_id: str | None = None
) -> dict[tuple[int, str], tuple[EvidenceSummary, ...]]:
    query = (
        select(Evidence, EvidenceLink.item_id, Blob.media_type)
        .join(EvidenceLink, EvidenceLink.evidence_id == Evidence.id)
        .join(Blob, Blob.sha256 == Evidence.sha256)
        .where(Evidence.cycle_id == cycle.id)
        .order_by(Evidence.id)
    )
    if district_id is not None:
        query = query.where(Evidence.district_id == district_id)
    if item_id is not None:
        query = query.where(EvidenceLink.item_id == item_id)
    found: dict[tuple[int, str], list[EvidenceSummary]] = defaultdict(list)
    for row, linked, media_type in session.execute(query):
        found[row.district_id, linked].append(
            EvidenceSummary(
                evidence_id=row.id,
                file_name=row.file_name,
                description=row.description,
                media_type=media_type,
            )
        )
    return {key: tuple(values) for key, values in found.items()}


def _user_names(session: Session, network: _Network) -> dict[int, str]:
    return _names(session, {row.decided_by for row in network.decisions.values()})


def _names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return dict(rows.all())


def _grouped(flags: Iterable[Flag]) -> dict[str, tuple[Flag, ...]]:
    found: dict[str, list[Flag]] = defaultdict(list)
    for flag in flags:
        found[flag.item].append(flag)
    return {item: tuple(values) for item, values in found.items()}


def _grouped_by_district(flags: Iterable[Flag], item_id: str) -> dict[str, tuple[Flag, ...]]:
    found: dict[str, list[Flag]] = defaultdict(list)
    for flag in flags:
        if flag.item == item_id:
            found[flag.district].append(flag)
    return {district: tuple(values) for district, values in found.items()}


def _grouped_messages(messages: Iterable[Message]) -> dict[str, tuple[Message, ...]]:
    found: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        found[message.item_id].append(message)
    return {item: tuple(values) for item, values in found.items()}


def _rating_view(network: _Network, row: _Score, texts: dict[int, tuple[str, str]]) -> RatingView:
    rationale, suggestions = texts.get(row.id, ("", ""))
    return RatingView(
        rating_id=row.id,
        rater=network.code(row.rater_district_id),
        source=row.source,
        level=row.level,
        not_applicable=row.not_applicable,
        rationale=rationale,
        suggestions=suggestions,
        row_version=row.row_version,
    )


def _or(levels: Sequence[int]) -> str:
    words = [str(level) for level in levels]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"
