"""Wilson and Newcombe intervals against published values, edge cases and properties."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.stats import (
    Interval,
    Proportion,
    ProportionDifference,
    newcombe_interval,
    wilson_interval,
    z_for_confidence,
)

# Newcombe (1998a), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score, no
# continuity correction), 95 %.
WILSON_PUBLISHED = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]

# Newcombe (1998b), Statistics in Medicine 17:873-890, Table II, method 10 (hybrid score), 95 %.
NEWCOMBE_PUBLISHED = [
    (56, 70, 48, 80, 0.2000, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.6000, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.5714, 0.0582, 0.8062),
    (5, 56, 0, 29, 0.0893, -0.0381, 0.1926),
    (0, 10, 0, 20, 0.0000, -0.1611, 0.2775),
    (0, 10, 0, 10, 0.0000, -0.2775, 0.2775),
    (10, 10, 0, 20, 1.0000, 0.6791, 1.0000),
    (10, 10, 0, 10, 1.0000, 0.6075, 1.0000),
]


@pytest.mark.parametrize(("successes", "trials", "lower", "upper"), WILSON_PUBLISHED)
def test_wilson_interval_matches_newcombe_table_one(
    successes: int, trials: int, lower: float, upper: float
) -> None:
    interval = wilson_interval(successes, trials)
    assert interval is not None
    assert round(interval.lower, 4) == lower
    assert round(interval.upper, 4) == upper


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "difference", "lower", "upper"), NEWCOMBE_PUBLISHED
)
def test_newcombe_interval_matches_newcombe_table_two_method_ten(
    x1: int, n1: int, x2: int, n2: int, difference: float, lower: float, upper: float
) -> None:
    result = ProportionDifference(
        first=Proportion(successes=x1, trials=n1), second=Proportion(successes=x2, trials=n2)
    )
    assert result.estimate is not None
    assert result.interval is not None
    assert round(result.estimate, 4) == difference
    assert round(result.interval.lower, 4) == lower
    assert round(result.interval.upper, 4) == upper


@pytest.mark.parametrize(
    ("confidence", "z"),
    [(0.95, 1.959964), (0.90, 1.644854), (0.99, 2.575829), (0.80, 1.281552)],
)
def test_z_comes_from_the_confidence_level(confidence: float, z: float) -> None:
    assert z_for_confidence(confidence) == pytest.approx(z, abs=1e-6)


def test_higher_confidence_gives_a_wider_wilson_interval() -> None:
    narrow = wilson_interval(30, 100, confidence=0.80)
    wide = wilson_interval(30, 100, confidence=0.99)
    assert narrow is not None
    assert wide is not None
    assert wide.lower < narrow.lower
    assert wide.upper > narrow.upper


def test_wilson_interval_at_90_percent_matches_the_closed_form() -> None:
    z = 1.6448536269514722
    n, x = 50, 12
    centre = (x + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(x * (n - x) / n + z * z / 4)
    interval = wilson_interval(x, n, confidence=0.90)
    assert interval is not None
    assert interval.lower == pytest.approx(centre - half, rel=1e-12)
    assert interval.upper == pytest.approx(centre + half, rel=1e-12)


def test_no_trials_gives_no_rate_and_no_interval() -> None:
    empty = Proportion(successes=0, trials=0)
    assert empty.rate is None
    assert empty.interval is None
    assert wilson_interval(0, 0) is None


def test_all_successes_reach_exactly_one() -> None:
    interval = wilson_interval(20, 20)
    assert interval is not None
    assert interval.upper == 1.0
    assert round(interval.lower, 4) == round(1 - 0.1611, 4)


def test_zero_successes_start_exactly_at_zero() -> None:
    interval = wilson_interval(0, 1_000_000)
    assert interval is not None
    assert interval.lower == 0.0
    assert 0.0 < interval.upper < 1e-5


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(0, 0, 3, 10), (3, 10, 0, 0), (0, 0, 0, 0)])
def test_difference_with_an_empty_group_has_no_estimate_or_interval(
    x1: int, n1: int, x2: int, n2: int
) -> None:
    result = ProportionDifference(
        first=Proportion(successes=x1, trials=n1), second=Proportion(successes=x2, trials=n2)
    )
    assert result.estimate is None
    assert result.interval is None
    assert result.significant is False
    assert newcombe_interval(x1, n1, x2, n2) is None


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "significant"),
    [(56, 70, 48, 80, True), (5, 56, 0, 29, False), (48, 80, 56, 70, True), (1, 2, 1, 2, False)],
)
def test_a_difference_is_significant_only_when_its_interval_excludes_zero(
    x1: int, n1: int, x2: int, n2: int, significant: bool
) -> None:
    result = ProportionDifference(
        first=Proportion(successes=x1, trials=n1), second=Proportion(successes=x2, trials=n2)
    )
    assert result.significant is significant


def test_swapping_the_groups_mirrors_the_newcombe_interval() -> None:
    forward = newcombe_interval(56, 70, 48, 80)
    backward = newcombe_interval(48, 80, 56, 70)
    assert forward is not None
    assert backward is not None
    assert backward.lower == pytest.approx(-forward.upper)
    assert backward.upper == pytest.approx(-forward.lower)


@pytest.mark.parametrize(
    ("successes", "trials", "confidence"),
    [(-1, 10, 0.95), (11, 10, 0.95), (0, -1, 0.95), (1, 10, 0.0), (1, 10, 1.0), (1, 10, 95.0)],
)
def test_invalid_counts_or_confidence_are_rejected(
    successes: int, trials: int, confidence: float
) -> None:
    with pytest.raises(ValueError, match="must"):
        Proportion(successes=successes, trials=trials, confidence=confidence)


def test_differences_need_a_common_confidence_level() -> None:
    with pytest.raises(ValueError, match="same confidence"):
        ProportionDifference(
            first=Proportion(successes=1, trials=2, confidence=0.9),
            second=Proportion(successes=1, trials=2),
        )


@pytest.mark.parametrize(("lower", "upper"), [(0.5, 0.4), (math.nan, 1.0), (0.0, math.inf)])
def test_an_interval_must_be_ordered_and_finite(lower: float, upper: float) -> None:
    with pytest.raises(ValueError, match="interval"):
        Interval(lower=lower, upper=upper)


def test_an_interval_knows_its_width_and_whether_it_excludes_zero() -> None:
    assert Interval(lower=0.1, upper=0.4).width == pytest.approx(0.3)
    assert Interval(lower=0.1, upper=0.4).excludes_zero()
    assert Interval(lower=-0.4, upper=-0.1).excludes_zero()
    assert not Interval(lower=-0.1, upper=0.0).excludes_zero()


counts = st.integers(min_value=1, max_value=100_000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)
confidences = st.floats(min_value=0.5, max_value=0.999)


@given(counts, confidences)
def test_wilson_interval_contains_the_rate_and_stays_within_zero_and_one(
    pair: tuple[int, int], confidence: float
) -> None:
    successes, trials = pair
    interval = wilson_interval(successes, trials, confidence=confidence)
    assert interval is not None
    assert 0.0 <= interval.lower <= successes / trials <= interval.upper <= 1.0


@given(counts, counts, confidences)
def test_newcombe_interval_contains_the_difference_and_stays_within_minus_one_and_one(
    first: tuple[int, int], second: tuple[int, int], confidence: float
) -> None:
    interval = newcombe_interval(*first, *second, confidence=confidence)
    assert interval is not None
    difference = first[0] / first[1] - second[0] / second[1]
    assert -1.0 <= interval.lower <= difference <= interval.upper <= 1.0


@given(counts)
def test_a_wider_confidence_level_never_narrows_the_wilson_interval(pair: tuple[int, int]) -> None:
    narrow = wilson_interval(*pair, confidence=0.9)
    wide = wilson_interval(*pair, confidence=0.99)
    assert narrow is not None
    assert wide is not None
    assert wide.lower <= narrow.lower
    assert wide.upper >= narrow.upper
