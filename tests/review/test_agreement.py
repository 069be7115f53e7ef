import math
import warnings

import krippendorff
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from review.agreement import (
    FEW_RATINGS,
    AgreementSummary,
    RatingPoint,
    Stat,
    adjacent_agreement,
    exact_agreement,
    krippendorff_alpha_ordinal,
    leniency,
    pairwise_kappa,
    summarize,
    weighted_kappa,
)
from review.errors import InvalidInput

LEVELS = [1, 2, 3, 4]
Matrix = list[list[int | None]]

# Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011): the worked example of 4
# observers x 12 units with missing values; ordinal alpha = 0.815 over n.. = 40 pairable values.
KRIPPENDORFF_EXAMPLE: Matrix = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def points_from(matrix: Matrix) -> list[RatingPoint]:
    """Raters are rows, units are columns (the krippendorff package's layout)."""
    return [
        RatingPoint(district="D", item=f"{unit}", rater=f"r{rater}", level=level)
        for rater, row in enumerate(matrix)
        for unit, level in enumerate(row)
    ]


def package_alpha(matrix: Matrix, levels: list[int]) -> float:
    data = [[np.nan if level is None else level for level in row] for row in matrix]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 when there is no variation
        return float(
            krippendorff.alpha(
                reliability_data=data, value_domain=levels, level_of_measurement="ordinal"
            )
        )


def point(district: str, item: str, rater: str, level: int | None) -> RatingPoint:
    return RatingPoint(district=district, item=item, rater=rater, level=level)


# (A, 1): 1, 1, 2 -> pairs differ by 0, 1, 1; (A, 2): 1, 3 -> differs by 2;
# (B, 1): one rating, no pair; (B, 2): nobody rated.
SMALL = [
    point("A", "1", "r1", 1),
    point("A", "1", "r2", 1),
    point("A", "1", "r3", 2),
    point("A", "2", "r1", 1),
    point("A", "2", "r2", 3),
    point("A", "2", "r3", None),
    point("B", "1", "r1", 4),
    point("B", "2", "r2", None),
]


def test_exact_agreement_counts_pairs_per_unit() -> None:
    assert exact_agreement(SMALL) == Stat(name="Exact agreement", value=25.0, n=4, few=True)


def test_adjacent_agreement_counts_pairs_per_unit() -> None:
    assert adjacent_agreement(SMALL) == Stat(name="Adjacent agreement", value=75.0, n=4, few=True)


def test_exact_agreement_without_pairs_is_none() -> None:
    lone = [point("A", "1", "r1", 3), point("A", "2", "r2", None)]
    assert exact_agreement(lone) == Stat(name="Exact agreement", value=None, n=0, few=True)


def test_exact_agreement_few_below_is_a_parameter() -> None:
    assert exact_agreement(SMALL, few_below=4).few is False


def test_few_ratings_default() -> None:
    assert FEW_RATINGS == 10


def test_agreement_rater_twice_on_a_unit_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Rater r1 rated district A, item 1 twice"):
        exact_agreement([point("A", "1", "r1", 3), point("A", "1", "r1", None)])


def test_weighted_kappa_perfect_agreement_is_one() -> None:
    assert weighted_kappa([1, 2, 3, 4, 4], [1, 2, 3, 4, 4], LEVELS) == 1.0


def test_weighted_kappa_hand_computed_table() -> None:
    # a = 1 2 3 1, b = 1 3 3 2, weights (i - j)^2 (the 1/(k-1)^2 factor cancels).
    # Observed: pairs (1,1) (2,3) (3,3) (1,2) -> 0 + 1 + 0 + 1 = 2.
    # Margins a: 1->2, 2->1, 3->1; b: 1->1, 2->1, 3->2. Expected = sum a_i b_j (i-j)^2 / 4
    # = (2*(0 + 1 + 8) + 1*(1 + 0 + 2) + 1*(4 + 1 + 0)) / 4 = 26 / 4.
    # kappa = 1 - 2 / 6.5 = 9 / 13.
    assert weighted_kappa([1, 2, 3, 1], [1, 3, 3, 2], [1, 2, 3]) == pytest.approx(9 / 13)


def test_weighted_kappa_reversed_ratings_is_minus_one() -> None:
    # Observed 4 + 0 + 4 = 8; expected (0+1+4 + 1+0+1 + 4+1+0) / 3 = 4; kappa = 1 - 8/4.
    assert weighted_kappa([1, 2, 3], [3, 2, 1], [1, 2, 3]) == pytest.approx(-1.0)


def test_weighted_kappa_one_shared_level_is_undefined() -> None:
    assert weighted_kappa([3, 3, 3], [3, 3, 3], LEVELS) is None


def test_weighted_kappa_no_units_is_undefined() -> None:
    assert weighted_kappa([], [], LEVELS) is None


def test_weighted_kappa_constant_raters_disagreeing_is_zero() -> None:
    assert weighted_kappa([3, 3], [4, 4], LEVELS) == 0.0


def test_weighted_kappa_unequal_lengths_are_refused() -> None:
    with pytest.raises(InvalidInput, match="got 2 and 1"):
        weighted_kappa([1, 2], [1], LEVELS)


def test_weighted_kappa_level_off_scale_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Level 5 is not on the scale"):
        weighted_kappa([1, 5], [1, 2], LEVELS)


def matrix_kappa(a: list[int], b: list[int], levels: list[int]) -> float:
    """Textbook form: 1 - sum(W * O) / sum(W * E) with W_ij = (i - j)^2 / (k - 1)^2."""
    k = len(levels)
    observed = np.zeros((k, k))
    for x, y in zip(a, b, strict=True):
        observed[levels.index(x), levels.index(y)] += 1
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / len(a)
    i, j = np.indices((k, k))
    weights = (i - j) ** 2 / (k - 1) ** 2
    return float(1 - (weights * observed).sum() / (weights * expected).sum())


paired_levels = st.lists(
    st.tuples(st.sampled_from(LEVELS), st.sampled_from(LEVELS)), min_size=1, max_size=30
)


@given(paired_levels)
def test_weighted_kappa_symmetric_in_raters(pairs: list[tuple[int, int]]) -> None:
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    assert weighted_kappa(a, b, LEVELS) == weighted_kappa(b, a, LEVELS)


@given(paired_levels)
def test_weighted_kappa_matches_matrix_form(pairs: list[tuple[int, int]]) -> None:
    a, b = [x for x, _ in pairs], [y for _, y in pairs]
    kappa = weighted_kappa(a, b, LEVELS)
    if len(set(a)) == len(set(b)) == 1 and a[0] == b[0]:
        assert kappa is None
    else:
        assert kappa == pytest.approx(matrix_kappa(a, b, LEVELS))


def test_pairwise_kappa_uses_common_units_only() -> None:
    points = [
        point("A", "1", "r1", 1),
        point("A", "1", "r2", 1),
        point("A", "2", "r1", 2),
        point("A", "2", "r2", 3),
        point("A", "3", "r1", 3),
        point("A", "3", "r2", 3),
        point("A", "3", "r3", 1),
        point("A", "4", "r1", 1),
        point("A", "4", "r2", 2),
        point("B", "1", "r3", 4),
    ]
    r1_r2 = weighted_kappa([1, 2, 3, 1], [1, 3, 3, 2], [1, 2, 3, 4])
    name = "Quadratic-weighted kappa"
    assert pairwise_kappa(points, LEVELS) == [
        ("r1", "r2", Stat(name=name, value=r1_r2, n=4, few=True)),
        ("r1", "r3", Stat(name=name, value=0.0, n=1, few=True)),
        ("r2", "r3", Stat(name=name, value=0.0, n=1, few=True)),
    ]
    assert r1_r2 == pytest.approx(9 / 13)


def test_krippendorff_alpha_published_example() -> None:
    alpha = krippendorff_alpha_ordinal(points_from(KRIPPENDORFF_EXAMPLE), [1, 2, 3, 4, 5])
    assert alpha.value == pytest.approx(0.815, abs=5e-4)
    assert alpha.value == pytest.approx(package_alpha(KRIPPENDORFF_EXAMPLE, [1, 2, 3, 4, 5]))
    assert (alpha.name, alpha.n, alpha.few) == ("Krippendorff's alpha (ordinal)", 40, False)


@pytest.mark.parametrize(
    "matrix",
    [
        [[1, 2, 3, 4], [1, 2, 3, 3]],
        [[1, 1, 4, None, 2], [2, None, 4, 3, 2], [None, 1, 3, 3, 1]],
        [[4, 4, 4, 1, None, None], [4, 3, 4, 1, 2, None], [3, 4, None, 2, 2, 4]],
        [[1, 4, 1, 4], [4, 1, 4, 1]],
        [[2, 2, 2, 3, None], [2, 2, 2, 2, 3]],
    ],
)
def test_krippendorff_alpha_matches_package(matrix: Matrix) -> None:
    alpha = krippendorff_alpha_ordinal(points_from(matrix), LEVELS).value
    assert alpha == pytest.approx(package_alpha(matrix, LEVELS))


reliability_matrices = st.integers(min_value=2, max_value=4).flatmap(
    lambda raters: st.lists(
        st.lists(st.sampled_from([None, *LEVELS]), min_size=raters, max_size=raters),
        min_size=1,
        max_size=12,
    ).map(lambda units: [list(row) for row in zip(*units, strict=True)])
)


@given(reliability_matrices)
def test_krippendorff_alpha_matches_package_on_random_data(matrix: Matrix) -> None:
    alpha = krippendorff_alpha_ordinal(points_from(matrix), LEVELS)
    pairable = sum(1 for unit in zip(*matrix, strict=True) if sum(v is not None for v in unit) > 1)
    if pairable == 0:
        assert (alpha.value, alpha.n) == (None, 0)
        return
    expected = package_alpha(matrix, LEVELS)
    if math.isnan(expected):
        assert alpha.value is None
    else:
        assert alpha.value == pytest.approx(expected)


@given(
    st.lists(
        st.tuples(st.sampled_from(LEVELS), st.integers(min_value=2, max_value=4)),
        min_size=1,
        max_size=15,
    )
)
def test_krippendorff_alpha_perfect_agreement_is_one(units: list[tuple[int, int]]) -> None:
    points = [
        point("D", f"{unit}", f"r{rater}", level)
        for unit, (level, raters) in enumerate(units)
        for rater in range(raters)
    ]
    alpha = krippendorff_alpha_ordinal(points, LEVELS)
    varied = len({level for level, _ in units}) > 1
    assert alpha.value == (1.0 if varied else None)
    assert alpha.n == sum(raters for _, raters in units)


def test_krippendorff_alpha_no_variation_is_none() -> None:
    matrix: Matrix = [[3, 3, None], [3, 3, 3]]
    assert krippendorff_alpha_ordinal(points_from(matrix), LEVELS) == Stat(
        name="Krippendorff's alpha (ordinal)", value=None, n=4, few=True
    )
    assert math.isnan(package_alpha(matrix, LEVELS))


def test_krippendorff_alpha_single_ratings_are_not_pairable() -> None:
    matrix: Matrix = [[1, None, 4], [None, 2, None]]
    assert krippendorff_alpha_ordinal(points_from(matrix), LEVELS) == Stat(
        name="Krippendorff's alpha (ordinal)", value=None, n=0, few=True
    )


def test_krippendorff_alpha_level_off_scale_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Level 5 is not on the scale"):
        krippendorff_alpha_ordinal(points_from([[5, 1], [4, 1]]), LEVELS)


def test_leniency_compares_with_other_raters_on_the_same_unit() -> None:
    points = [
        point("A", "1", "r1", 4),  # 4 - (2 + 3) / 2 = 1.5
        point("A", "1", "r2", 2),  # 2 - (4 + 3) / 2 = -1.5
        point("A", "1", "r3", 3),  # 3 - (4 + 2) / 2 = 0
        point("A", "2", "r1", 3),
        point("A", "2", "r2", 3),
        point("B", "1", "r3", 2),  # alone: not counted
        point("B", "2", "r4", 1),  # never shares a unit
        point("B", "2", "r5", None),
    ]
    assert leniency(points) == {
        "r1": Stat(name="Leniency", value=0.75, n=2, few=True),
        "r2": Stat(name="Leniency", value=-0.75, n=2, few=True),
        "r3": Stat(name="Leniency", value=0.0, n=1, few=True),
        "r4": Stat(name="Leniency", value=None, n=0, few=True),
    }


def test_summarize_bundles_every_statistic() -> None:
    assert summarize(SMALL, LEVELS) == AgreementSummary(
        exact=exact_agreement(SMALL),
        adjacent=adjacent_agreement(SMALL),
        alpha=krippendorff_alpha_ordinal(SMALL, LEVELS),
        pair_kappas=tuple(pairwise_kappa(SMALL, LEVELS)),
        leniency=leniency(SMALL),
    )


def test_summarize_empty_input_is_all_undefined() -> None:
    summary = summarize([], LEVELS)
    assert (summary.exact.value, summary.alpha.value, summary.pair_kappas, summary.leniency) == (
        None,
        None,
        (),
        {},
    )
