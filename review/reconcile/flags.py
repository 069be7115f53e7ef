"""Flags on stored ratings: the rules of `review.flags`, run with the cycle's thresholds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from review.access import Phase
from review.db import Cycle
from review.flags import (
    NETWORK_OUTLIER,
    PEER_DISAGREEMENT,
    SELF_ABOVE_PEERS,
    SELF_PEER_GAP,
    UNSUPPORTED,
    Flag,
    FlagThresholds,
    ItemRatings,
    find_flags,
)
from review.reconcile._network import Network, load
from review.rubrics import Item, Rubric

RULE_LABELS = {
    PEER_DISAGREEMENT: "peer disagreement",
    SELF_PEER_GAP: "self/peer gap",
    SELF_ABOVE_PEERS: "self above every peer",
    UNSUPPORTED: "high rating without evidence",
    NETWORK_OUTLIER: "outlier against the network",
}


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
    return district_flags(load(session, cycle), rubric, district_id)


def open_flags(
    session: Session, cycle: Cycle, rubric: Rubric, district_id: int | None = None
) -> list[Flag]:
    """Flags on items without a decision (a decision settles its item's flags with a rationale).

    Returns:
        Flags sorted by district code, item and rule.
    """
    network = load(session, cycle)
    return undecided(network, district_flags(network, rubric, district_id))


def district_flags(
    network: Network, rubric: Rubric, district_id: int | None, items: Sequence[Item] | None = None
) -> list[Flag]:
    """Flags of one district (or all), over `items` (default: all); the network rule still
    compares with every district, since an item's network median depends only on that item."""
    rows = _item_ratings(network, rubric, rubric.items if items is None else items)
    flags = find_flags(rows, thresholds(network.cycle))
    if district_id is None:
        return flags
    code = network.code(district_id) if district_id in network.districts else None
    return [flag for flag in flags if flag.district == code]


def undecided(network: Network, flags: Iterable[Flag]) -> list[Flag]:
    """The flags whose item has no decision."""
    decided = {(network.code(d), item) for d, item in network.decisions}
    return [flag for flag in flags if (flag.district, flag.item) not in decided]


def _item_ratings(network: Network, rubric: Rubric, items: Sequence[Item]) -> list[ItemRatings]:
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
