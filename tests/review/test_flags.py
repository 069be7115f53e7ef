import pytest
from pydantic import ValidationError

from review.errors import InvalidInput
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
    network_outliers,
    peer_disagreement,
    self_above_peers,
    self_peer_gap,
    spread,
    unsupported,
)


def ratings(
    self_level: int | None = None,
    peers: tuple[int | None, ...] = (),
    *,
    evidence: int = 1,
    district: str = "A",
    item: str = "1.1",
    top: int = 4,
) -> ItemRatings:
    return ItemRatings(
        district=district,
        item=item,
        self_level=self_level,
        peer_levels={f"p{i}": level for i, level in enumerate(peers, start=1)},
        evidence_count=evidence,
        top_level=top,
    )


def flag(rule: str, levels: tuple[int, ...], detail: str, *, district: str = "A") -> Flag:
    return Flag(district=district, item="1.1", rule=rule, levels=levels, detail=detail)


def test_thresholds_defaults_match_design() -> None:
    assert FlagThresholds() == FlagThresholds(
        peer_spread=2, self_peer_gap=2, network_outlier_gap=2, unsupported_below_top=1
    )


def test_thresholds_unknown_field_is_refused() -> None:
    with pytest.raises(ValidationError):
        FlagThresholds(peer_sprad=3)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([], None),
        ([None, None], None),
        ([3, None], None),
        ([3, 3], 0),
        ([4, None, 1, 2], 3),
        ([0, 2], 2),
    ],
)
def test_spread_skips_unrated(levels: list[int | None], expected: int | None) -> None:
    assert spread(levels) == expected


def test_find_flags_peer_spread_two_flags() -> None:
    assert find_flags([ratings(peers=(3, 1))]) == [
        flag(PEER_DISAGREEMENT, (1, 3), "Peers rated 1 and 3 (spread 2)")
    ]


def test_find_flags_peer_spread_one_does_not_flag() -> None:
    assert find_flags([ratings(peers=(2, 3))]) == []


def test_find_flags_one_rated_peer_is_not_a_disagreement() -> None:
    assert find_flags([ratings(peers=(1, None))]) == []


def test_find_flags_unrated_peer_is_not_zero() -> None:
    assert find_flags([ratings(peers=(1, None, 4))]) == [
        flag(PEER_DISAGREEMENT, (1, 4), "Peers rated 1 and 4 (spread 3)")
    ]


def test_find_flags_three_peers_are_listed_in_order() -> None:
    assert find_flags([ratings(peers=(4, 1, 2))]) == [
        flag(PEER_DISAGREEMENT, (1, 2, 4), "Peers rated 1, 2 and 4 (spread 3)")
    ]


def test_find_flags_self_gap_two_flags_with_above_peers() -> None:
    assert find_flags([ratings(3, (1, 1))]) == [
        flag(SELF_ABOVE_PEERS, (3, 1, 1), "Self-rating 3 is above every peer rating (1 and 1)"),
        flag(SELF_PEER_GAP, (3, 1, 1), "Self-rating 3 vs peer median 1 (gap 2)"),
    ]


def test_find_flags_self_gap_one_flags_only_above_peers() -> None:
    assert find_flags([ratings(2, (1, 1))]) == [
        flag(SELF_ABOVE_PEERS, (2, 1, 1), "Self-rating 2 is above every peer rating (1 and 1)")
    ]


def test_find_flags_self_below_peers_flags_gap_only() -> None:
    assert find_flags([ratings(1, (3, 3))]) == [
        flag(SELF_PEER_GAP, (1, 3, 3), "Self-rating 1 vs peer median 3 (gap 2)")
    ]


def test_find_flags_self_gap_uses_half_level_median() -> None:
    assert find_flags([ratings(1, (3, 4), evidence=2)]) == [
        flag(SELF_PEER_GAP, (1, 3, 4), "Self-rating 1 vs peer median 3.5 (gap 2.5)")
    ]


def test_find_flags_self_gap_below_threshold_at_half_level() -> None:
    assert self_peer_gap(ratings(4, (2, 3)), threshold=2) is None


def test_find_flags_self_equal_to_top_peer_is_not_above() -> None:
    assert find_flags([ratings(3, (2, 3))]) == []


def test_self_above_peers_with_one_rated_peer() -> None:
    assert self_above_peers(ratings(3, (2, None))) == flag(
        SELF_ABOVE_PEERS, (3, 2), "Self-rating 3 is above every peer rating (2)"
    )


def test_self_rules_need_a_rated_peer() -> None:
    unrated = ratings(4, (None, None))
    assert (self_above_peers(unrated), self_peer_gap(unrated, threshold=2)) == (None, None)


@pytest.mark.parametrize(
    ("level", "evidence", "flagged"),
    [(4, 0, True), (3, 0, True), (2, 0, False), (4, 1, False), (3, 1, False)],
)
def test_find_flags_unsupported_self_rating(level: int, evidence: int, flagged: bool) -> None:
    detail = f"No evidence linked for self-rating {level} (levels 3 and above need evidence)"
    expected = [flag(UNSUPPORTED, (level,), detail)] if flagged else []
    assert find_flags([ratings(level, evidence=evidence)]) == expected


def test_find_flags_unsupported_peer_ratings() -> None:
    assert find_flags([ratings(None, (3, 4, 2), evidence=0)]) == [
        flag(PEER_DISAGREEMENT, (2, 3, 4), "Peers rated 2, 3 and 4 (spread 2)"),
        flag(
            UNSUPPORTED,
            (3, 4),
            "No evidence linked for peer ratings 3 and 4 (levels 3 and above need evidence)",
        ),
    ]


def test_find_flags_unsupported_self_and_peer_with_above_peers() -> None:
    assert find_flags([ratings(4, (2, 3), evidence=0)]) == [
        flag(SELF_ABOVE_PEERS, (4, 2, 3), "Self-rating 4 is above every peer rating (2 and 3)"),
        flag(
            UNSUPPORTED,
            (4, 3),
            "No evidence linked for self-rating 4 and peer rating 3 "
            "(levels 3 and above need evidence)",
        ),
    ]


def test_find_flags_nothing_rated_flags_nothing() -> None:
    assert find_flags([ratings(None, (None, None), evidence=0)]) == []


def test_unsupported_follows_top_level() -> None:
    five_levels = ratings(4, evidence=0, top=5)
    assert unsupported(five_levels, below_top=1) == flag(
        UNSUPPORTED, (4,), "No evidence linked for self-rating 4 (levels 4 and above need evidence)"
    )


def test_find_flags_network_outlier_with_three_districts() -> None:
    network = [
        ratings(peers=(1, 1), district="A"),
        ratings(peers=(3, 3), district="B"),
        ratings(peers=(3, 4), district="C"),
    ]
    assert find_flags(network) == [
        flag(NETWORK_OUTLIER, (1, 1), "Peer median 1 vs network median 3 (difference 2)")
    ]


def test_find_flags_network_outlier_needs_three_districts() -> None:
    network = [
        ratings(peers=(1, 1), district="A"),
        ratings(peers=(3, 3), district="B"),
        ratings(peers=(None, None), district="C"),
    ]
    assert find_flags(network) == []


def test_network_outliers_below_threshold_does_not_flag() -> None:
    network = [
        ratings(peers=(1, 2), district="A"),
        ratings(peers=(3, 3), district="B"),
        ratings(peers=(3, 3), district="C"),
    ]
    assert network_outliers(network, threshold=2) == []


def test_network_outliers_compare_per_item() -> None:
    network = [
        ratings(peers=(4, 4), district=district, item=item)
        for district in "ABC"
        for item in ("1.1", "1.2")
    ] + [ratings(peers=(1, 1), district="D", item="1.2")]
    assert network_outliers(network, threshold=2) == [
        Flag(
            district="D",
            item="1.2",
            rule=NETWORK_OUTLIER,
            levels=(1, 1),
            detail="Peer median 1 vs network median 4 (difference 3)",
        )
    ]


def test_find_flags_custom_thresholds() -> None:
    strict = FlagThresholds(
        peer_spread=3, self_peer_gap=1, network_outlier_gap=1, unsupported_below_top=0
    )
    items = [ratings(3, (1, 3), evidence=0), ratings(4, (4, 4), evidence=0, item="1.2")]
    assert find_flags(items, strict) == [
        flag(SELF_PEER_GAP, (3, 1, 3), "Self-rating 3 vs peer median 2 (gap 1)"),
        Flag(
            district="A",
            item="1.2",
            rule=UNSUPPORTED,
            levels=(4, 4, 4),
            detail="No evidence linked for self-rating 4 and peer ratings 4 and 4 "
            "(level 4 needs evidence)",
        ),
    ]


def test_peer_disagreement_custom_threshold() -> None:
    assert peer_disagreement(ratings(peers=(1, 3)), threshold=3) is None


def test_find_flags_sorted_by_district_item_rule() -> None:
    items = [
        ratings(4, (1, 3), district="B", item="2.1", evidence=0),
        ratings(None, (1, 3), district="A", item="1.2"),
        ratings(None, (1, 3), district="A", item="1.1"),
    ]
    found = [(f.district, f.item, f.rule) for f in find_flags(items)]
    assert found == [
        ("A", "1.1", PEER_DISAGREEMENT),
        ("A", "1.2", PEER_DISAGREEMENT),
        ("B", "2.1", PEER_DISAGREEMENT),
        ("B", "2.1", SELF_ABOVE_PEERS),
        ("B", "2.1", SELF_PEER_GAP),
        ("B", "2.1", UNSUPPORTED),
    ]


def test_find_flags_same_district_item_twice_is_refused() -> None:
    with pytest.raises(InvalidInput, match="District A, item 1.1"):
        find_flags([ratings(2), ratings(3)])


def test_item_ratings_level_above_top_is_refused() -> None:
    with pytest.raises(ValidationError, match="level 5 is not between 0 and 4"):
        ratings(5)
