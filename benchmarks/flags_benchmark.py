"""Time discrepancy flags plus agreement statistics on a seeded synthetic network.

Run: python benchmarks/flags_benchmark.py
"""

from __future__ import annotations

import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from review.agreement import RatingPoint, summarize  # noqa: E402
from review.flags import ItemRatings, find_flags  # noqa: E402

DISTRICTS = 60
ITEMS = 40
PEERS = 3
LEVELS = [1, 2, 3, 4]
RUNS = 5
TARGET_SECONDS = 0.2
SEED = 20240601


def _clamp(level: int) -> int:
    return max(LEVELS[0], min(LEVELS[-1], level))


def _network(rng: random.Random) -> tuple[list[ItemRatings], list[RatingPoint]]:
    """Each reviewer rates three districts; reviewers have their own leniency."""
    leniency = {f"R{r:02d}": rng.choice([-1, 0, 0, 0, 1]) for r in range(DISTRICTS)}
    items: list[ItemRatings] = []
    points: list[RatingPoint] = []
    for d in range(DISTRICTS):
        district = f"D{d:02d}"
        raters = [f"R{(d + j) % DISTRICTS:02d}" for j in range(1, PEERS + 1)]
        for i in range(ITEMS):
            item = f"{i // 8 + 1}.{i % 8 + 1}"
            true = rng.choice(LEVELS)
            peers: dict[str, int | None] = {
                rater: None
                if rng.random() < 0.05
                else _clamp(true + leniency[rater] + rng.choice([-1, 0, 0, 0, 1]))
                for rater in raters
            }
            own = None if rng.random() < 0.03 else _clamp(true + rng.choice([0, 0, 0, 1, 1]))
            evidence = 0 if rng.random() < 0.1 else rng.randint(1, 5)
            items.append(
                ItemRatings(
                    district=district,
                    item=item,
                    self_level=own,
                    peer_levels=peers,
                    evidence_count=evidence,
                    top_level=LEVELS[-1],
                )
            )
            points.extend(
                RatingPoint(district=district, item=item, rater=rater, level=level)
                for rater, level in peers.items()
            )
    return items, points


def main() -> None:
    best = float("inf")
    for _ in range(RUNS):
        # Fresh records each run, so nothing cached on them by a previous run is reused.
        items, points = _network(random.Random(SEED))
        start = time.perf_counter()
        flags = find_flags(items)
        summary = summarize(points, LEVELS)
        best = min(best, time.perf_counter() - start)
    size = f"{DISTRICTS}x{ITEMS}x{PEERS}"
    print(f"flags+statistics {size}: {best:.3f} s (target < {TARGET_SECONDS} s, best of {RUNS})")
    print(f"items: {len(items)}, peer ratings: {len(points)}, flags: {len(flags)}")
    for rule, count in sorted(Counter(flag.rule for flag in flags).items()):
        print(f"  {rule}: {count}")
    print(f"exact agreement: {summary.exact.value:.1f}% over {summary.exact.n} pairs")
    print(f"adjacent agreement: {summary.adjacent.value:.1f}% over {summary.adjacent.n} pairs")
    print(f"alpha (ordinal): {summary.alpha.value:.3f} over {summary.alpha.n} pairable values")
    print(f"rater pairs with kappa: {len(summary.pair_kappas)}")


if __name__ == "__main__":
    main()
