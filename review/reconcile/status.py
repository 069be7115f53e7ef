"""What an item of a district needs next: confirming, choosing, a consensus, or nothing."""

from __future__ import annotations

from collections.abc import Sequence

from review.flags import Flag, spread
from review.ratings import is_rated
from review.reconcile._network import NA, Network
from review.reconcile.flags import thresholds
from review.rubrics import Item

NEEDS_CONFIRM = "confirm"  # every peer gave the same level and no flag is open
NEEDS_CHOICE = "choose"  # close but different levels, no flag: pick one of them
NEEDS_CONSENSUS = "consensus"  # flagged, far apart, or "not applicable" beside a level
DECIDED = "decided"
INCOMPLETE = "incomplete"  # a reviewer has not rated this required item yet
UNRATED = "unrated"  # an optional item no peer rated: nothing to decide


def needs(network: Network, item: Item, district_id: int, flags: Sequence[Flag]) -> str:
    """One of the constants above; "decided" comes first, so a decided item's flags are moot."""
    if (district_id, item.id) in network.decisions:
        return DECIDED
    if missing_raters(network, item, district_id):
        return INCOMPLETE
    values = set(rated_values(network, district_id, item.id))
    if not values:
        return UNRATED
    if flags or (NA in values and len(values) > 1):
        return NEEDS_CONSENSUS
    levels = [v for v in values if isinstance(v, int)]
    gap = spread(levels)
    if gap is not None and gap >= thresholds(network.cycle).peer_spread:
        return NEEDS_CONSENSUS
    return NEEDS_CONFIRM if len(values) == 1 else NEEDS_CHOICE


def missing_raters(network: Network, item: Item, district_id: int) -> list[str]:
    """Reviewer codes who have not rated a required item yet (optional items never wait)."""
    if not item.required:
        return []
    rated = {r.rater_district_id for r in network.peer_ratings(district_id, item.id) if is_rated(r)}
    return sorted(
        network.code(reviewer)
        for reviewer in network.reviewers.get(district_id, ())
        if reviewer not in rated
    )


def rated_values(network: Network, district_id: int, item_id: str) -> list[int | str]:
    """The peers' levels, with "not applicable" as a value of its own; unrated rows left out."""
    return [
        NA if row.not_applicable or row.level is None else row.level
        for row in network.peer_ratings(district_id, item_id)
        if is_rated(row)
    ]
