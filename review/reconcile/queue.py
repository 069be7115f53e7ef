"""The reconciliation queue: every item of a district with all it is decided from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from review import comments, scope
from review.access import Action, Actor
from review.comments import Message
from review.db import Cycle
from review.flags import Flag, spread
from review.reconcile import proposals
from review.reconcile._network import (
    EvidenceSummary,
    Frozen,
    Network,
    RatingView,
    evidence_summaries,
    grouped,
    load,
    names,
    rating_view,
    require_participant,
    texts,
)
from review.reconcile.calibration import CalibrationRequest, open_calibrations
from review.reconcile.decisions import Decision, decision_view
from review.reconcile.flags import district_flags
from review.reconcile.proposals import Proposal
from review.reconcile.status import needs
from review.rubrics import Item, Rubric


class QueueEntry(Frozen):
    """One item of a district in the reconciliation queue, with all it is decided from.

    `peer_levels` maps reviewer district code to level (`None`: not rated or "not
    applicable"); `spread` is `None` with fewer than two peer levels; `proposal` is the
    item's proposal (a choice or consensus waiting for confirmations, or settled);
    `calibration` is the open calibration review of the item, if any.
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
    proposal: Proposal | None
    calibration: CalibrationRequest | None

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


def queue(
    session: Session, actor: Actor, cycle: Cycle, rubric: Rubric, district_id: int
) -> list[QueueEntry]:
    """Every rubric item of a district, flagged items first, then by spread (largest first),
    then in rubric order.

    Raises:
        NotFound: the district is not part of the cycle.
        PermissionDenied: the actor may not read the district's peer ratings.
    """
    scope.check(session, actor, cycle, Action.READ_PEER_RATINGS, district_id)
    network = load(session, cycle)
    require_participant(network, district_id)
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
    proposals: dict[str, Proposal]
    names: dict[int, str]
    texts: dict[int, tuple[str, str]]


def _read_shown(session: Session, network: Network, rubric: Rubric, district_id: int) -> _Shown:
    rating_ids = [
        score.id
        for (rated, _), scores in network.ratings.items()
        if rated == district_id
        for score in scores
    ]
    return _Shown(
        flags=grouped(district_flags(network, rubric, district_id)),
        evidence=evidence_summaries(session, network.cycle, district_id=district_id),
        discussion=_by_item(comments.messages_of(session, network.cycle, district_id)),
        calibration=open_calibrations(session, network.cycle),
        proposals=proposals.of_district(session, network, district_id),
        names=names(session, {row.decided_by for row in network.decisions.values()}),
        texts=texts(session, rating_ids),
    )


def _entry(
    network: Network, rubric: Rubric, district_id: int, item: Item, shown: _Shown
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
        self_rating=rating_view(network, own, shown.texts) if own else None,
        peer_ratings=tuple(rating_view(network, r, shown.texts) for r in peers),
        evidence=shown.evidence.get((district_id, item.id), ()),
        discussion=shown.discussion.get(item.id, ()),
        flags=flags,
        spread=spread(r.level for r in peers),
        needs=needs(network, item, district_id, flags),
        decision=decision_view(network, decision, shown.names) if decision else None,
        proposal=shown.proposals.get(item.id),
        calibration=shown.calibration.get(item.id),
    )


def _by_item(messages: Iterable[Message]) -> dict[str, tuple[Message, ...]]:
    found: dict[str, list[Message]] = defaultdict(list)
    for message in messages:
        found[message.item_id].append(message)
    return {item: tuple(values) for item, values in found.items()}
