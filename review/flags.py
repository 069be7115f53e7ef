"""Discrepancy flags per district x item: the rules of design.md §5, one named function each.

A level of `None` means "not rated yet": it is left out of every rule, never counted as 0.
Every rule returns the flag it raises, or `None`; `find_flags` runs them all.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, model_validator

from review.errors import InvalidInput

PEER_DISAGREEMENT = "peer_disagreement"
SELF_PEER_GAP = "self_peer_gap"
SELF_ABOVE_PEERS = "self_above_peers"
UNSUPPORTED = "unsupported"
NETWORK_OUTLIER = "network_outlier"

# A network median over fewer districts says little about what "typical" is for an item.
MIN_NETWORK_DISTRICTS = 3


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FlagThresholds(_Frozen):
    """Settings of a cycle; the defaults are those of design.md §5 for a 4-level rubric.

    `unsupported_below_top` counts levels below the top: 1 means a rating at the top or the
    level just below it needs evidence.
    """

    peer_spread: int = Field(default=2, ge=1)
    self_peer_gap: int = Field(default=2, ge=1)
    network_outlier_gap: int = Field(default=2, ge=1)
    unsupported_below_top: int = Field(default=1, ge=0)


DEFAULT_THRESHOLDS = FlagThresholds()


class ItemRatings(_Frozen):
    """The ratings of one district on one item; `peer_levels` maps rater id to level."""

    district: str
    item: str
    self_level: int | None
    peer_levels: dict[str, int | None]
    evidence_count: int = Field(ge=0)
    top_level: int = Field(ge=1)

    @model_validator(mode="after")
    def _levels_on_scale(self) -> ItemRatings:
        for level in (self.self_level, *self.peer_levels.values()):
            if level is not None and not 0 <= level <= self.top_level:
                raise ValueError(f"level {level} is not between 0 and {self.top_level}")
        return self

    @cached_property
    def rated_peers(self) -> tuple[int, ...]:
        """Peer levels that have been given, in ascending order."""
        return tuple(sorted(level for level in self.peer_levels.values() if level is not None))


class Flag(_Frozen):
    """One open question for the reconciliation queue.

    `levels` holds the levels the rule fired on: the self-rating first when the rule involves
    it, then peer levels in ascending order.
    """

    district: str
    item: str
    rule: str
    levels: tuple[int, ...]
    detail: str


def spread(levels: Iterable[int | None]) -> int | None:
    """Max minus min of the given levels, skipping unrated (`None`) ones.

    Returns:
        The spread, or `None` when fewer than two levels are rated (nothing to compare).
    """
    rated = [level for level in levels if level is not None]
    if len(rated) < 2:
        return None
    return max(rated) - min(rated)


def peer_disagreement(ratings: ItemRatings, *, threshold: int) -> Flag | None:
    """Flag peers whose levels are `threshold` or more apart (needs two rated peers)."""
    peers = ratings.rated_peers
    gap = spread(peers)
    if gap is None or gap < threshold:
        return None
    detail = f"Peers rated {_join(peers)} (spread {gap})"
    return _flag(ratings, PEER_DISAGREEMENT, peers, detail)


def self_peer_gap(ratings: ItemRatings, *, threshold: int) -> Flag | None:
    """Flag a self-rating `threshold` or more levels from the median of the rated peers."""
    peers = ratings.rated_peers
    if ratings.self_level is None or not peers:
        return None
    median = statistics.median(peers)
    gap = abs(ratings.self_level - median)
    if gap < threshold:
        return None
    detail = (
        f"Self-rating {ratings.self_level} vs peer median {_number(median)} (gap {_number(gap)})"
    )
    return _flag(ratings, SELF_PEER_GAP, (ratings.self_level, *peers), detail)


def self_above_peers(ratings: ItemRatings) -> Flag | None:
    """Flag a self-rating strictly above every rated peer (needs one rated peer)."""
    peers = ratings.rated_peers
    if ratings.self_level is None or not peers or ratings.self_level <= peers[-1]:
        return None
    detail = f"Self-rating {ratings.self_level} is above every peer rating ({_join(peers)})"
    return _flag(ratings, SELF_ABOVE_PEERS, (ratings.self_level, *peers), detail)


def unsupported(ratings: ItemRatings, *, below_top: int) -> Flag | None:
    """Flag ratings at or above `top_level - below_top` when no evidence is linked."""
    if ratings.evidence_count > 0:
        return None
    bar = ratings.top_level - below_top
    own = ratings.self_level
    high_self = own if own is not None and own >= bar else None
    high_peers = [level for level in ratings.rated_peers if level >= bar]
    if high_self is None and not high_peers:
        return None
    detail = _unsupported_detail(high_self, high_peers, bar=bar, top=ratings.top_level)
    levels = tuple(high_peers) if high_self is None else (high_self, *high_peers)
    return _flag(ratings, UNSUPPORTED, levels, detail)


def network_outliers(items: Sequence[ItemRatings], *, threshold: int) -> list[Flag]:
    """Flag districts whose peer median on an item is far from the network's.

    The network median of an item is the median of every district's peer median on it. An
    item needs peer ratings in at least `MIN_NETWORK_DISTRICTS` districts to be compared.

    Returns:
        Flags in the order of `items`.
    """
    by_item: dict[str, list[ItemRatings]] = defaultdict(list)
    for ratings in items:
        if ratings.rated_peers:
            by_item[ratings.item].append(ratings)
    network_median = {
        item: statistics.median(statistics.median(r.rated_peers) for r in rows)
        for item, rows in by_item.items()
        if len(rows) >= MIN_NETWORK_DISTRICTS
    }
    flags = []
    for ratings in items:
        if ratings.item in network_median and ratings.rated_peers:
            flag = _network_outlier(ratings, network_median[ratings.item], threshold)
            if flag is not None:
                flags.append(flag)
    return flags


def find_flags(
    items: Sequence[ItemRatings], thresholds: FlagThresholds = DEFAULT_THRESHOLDS
) -> list[Flag]:
    """Run every rule over the ratings of a network (or of one triad).

    Args:
        items: One entry per district and item; the network rule compares districts.
        thresholds: The cycle's settings.

    Returns:
        All flags, sorted by district, item and rule name.

    Raises:
        InvalidInput: Two entries have the same district and item.
    """
    _check_unique(items)
    flags = network_outliers(items, threshold=thresholds.network_outlier_gap)
    for ratings in items:
        found = (
            peer_disagreement(ratings, threshold=thresholds.peer_spread),
            self_peer_gap(ratings, threshold=thresholds.self_peer_gap),
            self_above_peers(ratings),
            unsupported(ratings, below_top=thresholds.unsupported_below_top),
        )
        flags.extend(flag for flag in found if flag is not None)
    return sorted(flags, key=lambda flag: (flag.district, flag.item, flag.rule))


def _network_outlier(ratings: ItemRatings, network: float, threshold: int) -> Flag | None:
    own = statistics.median(ratings.rated_peers)
    gap = abs(own - network)
    if gap < threshold:
        return None
    detail = (
        f"Peer median {_number(own)} vs network median {_number(network)} "
        f"(difference {_number(gap)})"
    )
    return _flag(ratings, NETWORK_OUTLIER, ratings.rated_peers, detail)


def _unsupported_detail(high_self: int | None, high_peers: list[int], *, bar: int, top: int) -> str:
    parts = [] if high_self is None else [f"self-rating {high_self}"]
    if high_peers:
        noun = "peer rating" if len(high_peers) == 1 else "peer ratings"
        parts.append(f"{noun} {_join(high_peers)}")
    needs = f"level {bar} needs" if bar == top else f"levels {bar} and above need"
    return f"No evidence linked for {' and '.join(parts)} ({needs} evidence)"


def _check_unique(items: Sequence[ItemRatings]) -> None:
    seen: set[tuple[str, str]] = set()
    for ratings in items:
        key = (ratings.district, ratings.item)
        if key in seen:
            raise InvalidInput(f"District {key[0]}, item {key[1]}: ratings are given twice.")
        seen.add(key)


def _flag(ratings: ItemRatings, rule: str, levels: tuple[int, ...], detail: str) -> Flag:
    return Flag(
        district=ratings.district, item=ratings.item, rule=rule, levels=levels, detail=detail
    )


def _join(levels: Sequence[int]) -> str:
    """'1', '1 and 4', '1, 2 and 4'."""
    words = [str(level) for level in levels]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _number(value: float) -> str:
    """Medians of levels are whole or halves: print 2 and 2.5, never 2.0."""
    return str(int(value)) if value == int(value) else str(value)
