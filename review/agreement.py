"""Rater-agreement statistics for the calibration page (design.md §5, reference.md §B2).

Inputs are peer ratings only. A unit is one (district, item); a level of `None` means "not
rated yet" and is left out. Every statistic comes with the n it rests on and a "few" label,
and is `None` when it is undefined, never 0.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from itertools import accumulate, combinations

from pydantic import BaseModel, ConfigDict

from review.errors import InvalidInput

# reference.md §B2 ("Small-n caution") asks for n and a label on small samples but names no
# number. Below 10 pairs one pair moves a percentage by more than 10 points; the same bar is
# used for units (kappa, leniency) and pairable values (alpha).
FEW_RATINGS = 10

_Unit = tuple[str, str]
_Units = dict[_Unit, dict[str, int]]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RatingPoint(_Frozen):
    district: str
    item: str
    rater: str
    level: int | None


class Stat(_Frozen):
    """A statistic with its sample size; `value` is `None` when undefined or without data."""

    name: str
    value: float | None
    n: int
    few: bool


class AgreementSummary(_Frozen):
    """Everything the calibration page shows; `pair_kappas` holds (rater, rater, kappa)."""

    exact: Stat
    adjacent: Stat
    alpha: Stat
    pair_kappas: tuple[tuple[str, str, Stat], ...]
    leniency: dict[str, Stat]


def exact_agreement(points: Iterable[RatingPoint], *, few_below: int = FEW_RATINGS) -> Stat:
    """Percentage (0-100) of rater pairs on the same unit who gave the same level.

    Returns:
        A `Stat` whose n is the number of rater pairs.
    """
    return _share_of_pairs(_units(points), "Exact agreement", 0, few_below)


def adjacent_agreement(points: Iterable[RatingPoint], *, few_below: int = FEW_RATINGS) -> Stat:
    """Percentage (0-100) of rater pairs on the same unit at most one level apart.

    Returns:
        A `Stat` whose n is the number of rater pairs.
    """
    return _share_of_pairs(_units(points), "Adjacent agreement", 1, few_below)


def weighted_kappa(a: Sequence[int], b: Sequence[int], levels: Sequence[int]) -> float | None:
    """Cohen's kappa with quadratic weights for two raters over the same units.

    Weights use the positions of the levels in `levels`, so unused levels still count (as
    scikit-learn's `cohen_kappa_score(..., labels=levels, weights="quadratic")`).

    Args:
        a: The first rater's levels, one per unit.
        b: The second rater's levels on the same units, in the same order.
        levels: The rubric's levels in ascending order.

    Returns:
        Kappa (1 is perfect agreement, 0 chance level), or `None` when there are no units or
        chance disagreement is zero (both raters always gave one and the same level).

    Raises:
        InvalidInput: `a` and `b` differ in length, or a level is not in `levels`.
    """
    if len(a) != len(b):
        raise InvalidInput(f"Kappa needs paired ratings; got {len(a)} and {len(b)} levels.")
    index = _index(levels)
    rows, cols = _positions(a, index), _positions(b, index)
    observed = sum((i - j) ** 2 for i, j in zip(rows, cols, strict=True))
    row_counts, col_counts = Counter(rows), Counter(cols)
    chance = sum(
        row_counts[i] * col_counts[j] * (i - j) ** 2 for i in row_counts for j in col_counts
    )
    if chance == 0:
        return None
    # Expected disagreement is chance / N; integers keep the ratio exact.
    return float(1 - Fraction(observed * len(rows), chance))


def pairwise_kappa(
    points: Iterable[RatingPoint], levels: Sequence[int], *, few_below: int = FEW_RATINGS
) -> list[tuple[str, str, Stat]]:
    """Quadratic-weighted kappa for every pair of raters who rated at least one common unit.

    Returns:
        `(rater, other rater, Stat)` sorted by rater ids; n is the number of common units.
    """
    return _pairwise_kappa(_units(points), levels, few_below)


def krippendorff_alpha_ordinal(
    points: Iterable[RatingPoint], levels: Sequence[int], *, few_below: int = FEW_RATINGS
) -> Stat:
    """Krippendorff's alpha with the ordinal metric, over all raters, allowing missing data.

    Built from the coincidence matrix as in Krippendorff, "Computing Krippendorff's
    Alpha-Reliability" (2011). Units rated by one rater are not pairable and are skipped.

    Args:
        points: Peer ratings.
        levels: The rubric's levels in ascending order (the ordered value domain).
        few_below: n below which the result is labelled "few".

    Returns:
        A `Stat` whose n is the number of pairable values (Krippendorff's n..). The value is
        `None` when no unit has two ratings, or when every pairable value is the same (no
        variation: alpha is 0/0; the `krippendorff` package returns NaN there).

    Raises:
        InvalidInput: A level is not in `levels`.
    """
    return _alpha(_units(points), levels, few_below)


def leniency(points: Iterable[RatingPoint], *, few_below: int = FEW_RATINGS) -> dict[str, Stat]:
    """Each rater's mean of (their level - mean of the other raters' levels on the same unit).

    Positive means more lenient than colleagues. Only units another rater also rated count.

    Returns:
        A `Stat` per rater (sorted by rater id) whose n is the number of units counted; the
        value is `None` for a rater who never shared a unit.
    """
    return _leniency(_units(points), few_below)


def summarize(
    points: Iterable[RatingPoint], levels: Sequence[int], *, few_below: int = FEW_RATINGS
) -> AgreementSummary:
    """All agreement statistics of a set of peer ratings, for the calibration page.

    Raises:
        InvalidInput: A rater rated a unit twice, or a level is not in `levels`.
    """
    units = _units(points)
    return AgreementSummary(
        exact=_share_of_pairs(units, "Exact agreement", 0, few_below),
        adjacent=_share_of_pairs(units, "Adjacent agreement", 1, few_below),
        alpha=_alpha(units, levels, few_below),
        pair_kappas=tuple(_pairwise_kappa(units, levels, few_below)),
        leniency=_leniency(units, few_below),
    )


def _units(points: Iterable[RatingPoint]) -> _Units:
    """Rated levels by unit and rater; raises `InvalidInput` when a rater rated a unit twice."""
    units: _Units = defaultdict(dict)
    seen: set[tuple[str, str, str]] = set()
    for point in points:
        key = (point.district, point.item, point.rater)
        if key in seen:
            raise InvalidInput(
                f"Rater {point.rater} rated district {point.district}, item {point.item} twice."
            )
        seen.add(key)
        if point.level is not None:
            units[point.district, point.item][point.rater] = point.level
    return units


def _stat(name: str, value: float | None, n: int, few_below: int) -> Stat:
    return Stat(name=name, value=value, n=n, few=n < few_below)


def _share_of_pairs(units: _Units, name: str, max_difference: int, few_below: int) -> Stat:
    differences = [
        abs(x - y) for by_rater in units.values() for x, y in combinations(by_rater.values(), 2)
    ]
    if not differences:
        return _stat(name, None, 0, few_below)
    close = sum(1 for difference in differences if difference <= max_difference)
    return _stat(name, 100 * close / len(differences), len(differences), few_below)


def _index(levels: Sequence[int]) -> dict[int, int]:
    return {level: position for position, level in enumerate(levels)}


def _positions(values: Iterable[int], index: Mapping[int, int]) -> list[int]:
    try:
        return [index[value] for value in values]
    except KeyError as error:
        raise InvalidInput(f"Level {error.args[0]} is not on the scale {list(index)}.") from None


def _pairwise_kappa(
    units: _Units, levels: Sequence[int], few_below: int
) -> list[tuple[str, str, Stat]]:
    paired: dict[tuple[str, str], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for by_rater in units.values():
        for first, second in combinations(sorted(by_rater), 2):
            a, b = paired[first, second]
            a.append(by_rater[first])
            b.append(by_rater[second])
    name = "Quadratic-weighted kappa"
    return [
        (first, second, _stat(name, weighted_kappa(a, b, levels), len(a), few_below))
        for (first, second), (a, b) in sorted(paired.items())
    ]


def _coincidences(units: _Units, index: Mapping[int, int]) -> list[list[float]]:
    """Krippendorff's o_ck: each unit with m values adds its ordered value pairs / (m - 1)."""
    size = len(index)
    matrix = [[0.0] * size for _ in range(size)]
    for by_rater in units.values():
        m = len(by_rater)
        if m < 2:
            continue
        counts = Counter(_positions(by_rater.values(), index))
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                matrix[c][k] += n_c * (n_k - (c == k)) / (m - 1)
    return matrix


def _ordinal_distances(marginals: Sequence[float]) -> list[list[float]]:
    """delta^2_ck = (sum of n_g for g from c to k - (n_c + n_k) / 2)^2."""
    cumulative = [0.0, *accumulate(marginals)]
    size = len(marginals)
    return [
        [
            (cumulative[max(c, k) + 1] - cumulative[min(c, k)] - (marginals[c] + marginals[k]) / 2)
            ** 2
            for k in range(size)
        ]
        for c in range(size)
    ]


def _alpha(units: _Units, levels: Sequence[int], few_below: int) -> Stat:
    matrix = _coincidences(units, _index(levels))
    marginals = [sum(row) for row in matrix]
    n = sum(marginals)
    observed, expected = _disagreements(matrix, marginals)
    # n is a whole number (a count of values) summed from fractions.
    pairable = round(n)
    value = None if expected == 0 else 1 - (n - 1) * observed / expected
    return _stat("Krippendorff's alpha (ordinal)", value, pairable, few_below)


def _disagreements(matrix: list[list[float]], marginals: list[float]) -> tuple[float, float]:
    """Sums of o_ck * delta^2_ck and n_c * n_k * delta^2_ck (D_o and D_e up to constants)."""
    distances = _ordinal_distances(marginals)
    cells = [(c, k) for c in range(len(marginals)) for k in range(len(marginals))]
    observed = sum(matrix[c][k] * distances[c][k] for c, k in cells)
    expected = sum(marginals[c] * marginals[k] * distances[c][k] for c, k in cells)
    return observed, expected


def _leniency(units: _Units, few_below: int) -> dict[str, Stat]:
    totals: dict[str, float] = defaultdict(float)
    counts: Counter[str] = Counter()
    raters: set[str] = set()
    for by_rater in units.values():
        raters.update(by_rater)
        m = len(by_rater)
        if m < 2:
            continue
        unit_total = sum(by_rater.values())
        for rater, level in by_rater.items():
            totals[rater] += level - (unit_total - level) / (m - 1)
            counts[rater] += 1
    means = {rater: totals[rater] / counts[rater] for rater in counts}
    return {
        rater: _stat("Leniency", means.get(rater), counts[rater], few_below)
        for rater in sorted(raters)
    }
