"""Uplift of targeted over control arrival rates."""

import pytest

from reports.funnel import CountUnit, FunnelCounts
from reports.uplift import uplift, uplift_by_type, uplift_for_funnel


def make_funnel(*, targeted: int, arrived: int, control: int, control_arrived: int) -> FunnelCounts:
    return FunnelCounts(
        due=targeted + control,
        control=control,
        control_arrived=control_arrived,
        targeted=targeted,
        arrived=arrived,
    )


def test_uplift_is_targeted_minus_control_arrival_rate_with_newcombe_interval() -> None:
    # Newcombe (1998b) Table II example (a): 56/70 − 48/80, method 10: 0.0524 to 0.3339.
    result = uplift(targeted=70, targeted_arrived=56, control=80, control_arrived=48)
    assert result.estimate == pytest.approx(0.2)
    assert result.interval is not None
    assert round(result.interval.lower, 4) == 0.0524
    assert round(result.interval.upper, 4) == 0.3339
    assert result.significant
    assert result.incremental_arrivals == pytest.approx(14.0)


@pytest.mark.parametrize(
    ("targeted", "arrived", "control", "control_arrived", "significant"),
    [
        (17400, 5220, 1000, 180, True),  # a group-year: 12 points, interval 9.4 to 14.4
        (870, 261, 50, 9, False),  # a dealer-month: same 12 points, interval −1.1 to 20.8
        (1000, 150, 1000, 200, True),  # calling did harm: uplift −5 points
        (1000, 300, 100, 30, False),  # no difference
    ],
)
def test_uplift_is_significant_only_when_its_interval_excludes_zero(
    targeted: int, arrived: int, control: int, control_arrived: int, significant: bool
) -> None:
    result = uplift(
        targeted=targeted,
        targeted_arrived=arrived,
        control=control,
        control_arrived=control_arrived,
    )
    assert result.significant is significant
    assert result.interval is not None
    assert result.interval.excludes_zero() is significant


def test_the_worked_example_of_a_small_control_group_straddles_zero() -> None:
    result = uplift(targeted=870, targeted_arrived=261, control=50, control_arrived=9)
    assert result.interval is not None
    assert round(result.interval.lower, 3) == -0.011
    assert round(result.interval.upper, 3) == 0.208


def test_without_a_control_group_there_is_no_uplift() -> None:
    result = uplift(targeted=40, targeted_arrived=31, control=0, control_arrived=0)
    assert result.targeted.rate == pytest.approx(31 / 40)
    assert result.estimate is None
    assert result.interval is None
    assert result.incremental_arrivals is None
    assert result.significant is False


def test_uplift_of_a_funnel_uses_its_arrivals_and_control_arrivals() -> None:
    counts = make_funnel(targeted=200, arrived=80, control=100, control_arrived=20)
    result = uplift_for_funnel(counts, confidence=0.9)
    assert result.estimate == pytest.approx(0.2)
    assert result.confidence == 0.9


def test_uplift_is_not_measured_on_customer_counts() -> None:
    customers = FunnelCounts(unit=CountUnit.CUSTOMERS, due=10, targeted=10)
    with pytest.raises(ValueError, match="invitation counts"):
        uplift_for_funnel(customers)


def test_uplift_by_type_keeps_types_apart_and_sorted() -> None:
    results = uplift_by_type(
        {
            "recall": make_funnel(targeted=50, arrived=30, control=0, control_arrived=0),
            "next_service": make_funnel(targeted=900, arrived=300, control=50, control_arrived=10),
        }
    )
    assert list(results) == ["next_service", "recall"]
    assert results["next_service"].estimate == pytest.approx(300 / 900 - 0.2)
    assert results["recall"].estimate is None


def test_arrivals_above_the_group_size_are_rejected() -> None:
    with pytest.raises(ValueError, match="successes"):
        uplift(targeted=10, targeted_arrived=11, control=10, control_arrived=0)
