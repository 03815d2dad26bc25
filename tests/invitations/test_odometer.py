from datetime import timedelta

import pytest

from invitations import Confidence, project_odometer
from invitations.odometer import accepted_readings, country_km_per_day
from tests.invitations.builders import day, make_policy, make_reading, make_ro, make_vehicle


def project(today: str, *, country: str = "CZ", **vehicle: object):  # type: ignore[no-untyped-def]
    return project_odometer(
        make_vehicle(**vehicle), today=day(today), policy=make_policy(country=country)
    )


@pytest.mark.parametrize(
    ("vehicle", "rate", "confidence"),
    [
        # two readings spanning a year: their slope
        (
            {
                "delivery_date": None,
                "odometer_readings": [
                    make_reading("2025-01-01", 10_000),
                    make_reading("2026-01-01", 22_000),
                ],
            },
            32.88,
            Confidence.MEDIUM,
        ),
        # four evenly spaced readings over 270 days: least squares, high confidence
        (
            {
                "delivery_date": None,
                "odometer_readings": [
                    make_reading("2025-01-01", 10_000),
                    make_reading("2025-04-01", 14_500),
                    make_reading("2025-06-30", 19_000),
                    make_reading("2025-09-28", 23_500),
                ],
            },
            50.0,
            Confidence.HIGH,
        ),
        # one reading and a delivery more than 90 days ago: from delivery
        (
            {
                "delivery_date": day("2022-01-01"),
                "odometer_readings": [make_reading("2025-12-01", 20_000)],
            },
            13.99,
            Confidence.MEDIUM,
        ),
        # nothing usable: the country default (CZ → generic 15,000 km/yr)
        ({"delivery_date": None}, 41.07, Confidence.LOW),
        # delivered 30 days ago: too young for a rate from delivery
        ({"delivery_date": day("2026-01-15")}, 41.07, Confidence.LOW),
        # readings closer than 30 days apart do not give a rate
        (
            {
                "delivery_date": None,
                "odometer_readings": [
                    make_reading("2026-01-01", 10_000),
                    make_reading("2026-01-20", 12_000),
                ],
            },
            41.07,
            Confidence.LOW,
        ),
        # readings older than 24 months are stale
        (
            {
                "delivery_date": None,
                "odometer_readings": [
                    make_reading("2022-01-01", 10_000),
                    make_reading("2023-01-01", 50_000),
                ],
            },
            41.07,
            Confidence.LOW,
        ),
    ],
    ids=["two-readings", "least-squares", "from-delivery", "default", "young", "short", "stale"],
)
def test_rate_comes_from_the_first_applicable_source(
    vehicle: dict[str, object], rate: float, confidence: Confidence
) -> None:
    projection = project("2026-02-14", **vehicle)
    assert projection.rate_km_per_day == pytest.approx(rate, abs=0.01)
    assert projection.confidence is confidence


@pytest.mark.parametrize(
    ("country", "km_per_year"),
    [
        ("DE", 12_320),
        ("US", 13_500 * 1.609344),
        ("GB", 7_900 * 1.609344),
        ("UK", 7_900 * 1.609344),
        ("CZ", 15_000),
        (None, 15_000),
    ],
)
def test_country_default_annual_distance(country: str | None, km_per_year: float) -> None:
    assert country_km_per_day(country) == pytest.approx(km_per_year / 365.2425)


def test_a_dealer_default_rate_overrides_the_country() -> None:
    projection = project_odometer(
        make_vehicle(delivery_date=None),
        today=day("2026-01-01"),
        policy=make_policy(default_km_per_day=20.0),
    )
    assert projection.rate_km_per_day == 20.0


@pytest.mark.parametrize(
    ("first", "second", "rate"),
    [(10_000, 10_000, 0.5), (10_000, 10_003, 0.5), (10_000, 28_000, 300.0)],
    ids=["stationary", "crawling", "taxi"],
)
def test_rate_is_clamped_between_half_and_three_hundred_km_per_day(
    first: int, second: int, rate: float
) -> None:
    projection = project(
        "2026-01-01",
        delivery_date=None,
        odometer_readings=[make_reading("2025-10-01", first), make_reading("2025-11-30", second)],
    )
    assert projection.rate_km_per_day == rate


def test_a_typo_reading_is_dropped_and_the_rest_kept() -> None:
    readings = [
        make_reading("2025-01-01", 10_000),
        make_reading("2025-03-01", 500_500),
        make_reading("2025-06-01", 15_000),
        make_reading("2025-09-01", 20_000),
    ]
    assert [r.value_km for r in accepted_readings(readings)] == [10_000, 15_000, 20_000]


def test_a_typo_as_first_reading_does_not_discard_the_good_ones() -> None:
    readings = [
        make_reading("2025-01-01", 900_000),
        make_reading("2025-06-01", 15_000),
        make_reading("2025-09-01", 20_000),
    ]
    assert [r.value_km for r in accepted_readings(readings)] == [15_000, 20_000]


def test_a_decreasing_reading_is_dropped() -> None:
    readings = [
        make_reading("2025-01-01", 10_000),
        make_reading("2025-06-01", 9_000),
        make_reading("2025-09-01", 20_000),
    ]
    assert [r.value_km for r in accepted_readings(readings)] == [10_000, 20_000]


def test_an_odometer_replacement_keeps_the_lower_readings_after_it() -> None:
    readings = [
        make_reading("2025-01-01", 90_000),
        make_reading("2025-03-01", 100, replaced=True),
        make_reading("2025-09-01", 6_000),
    ]
    assert [r.value_km for r in accepted_readings(readings)] == [100, 6_000]


def test_repair_order_odometers_and_delivery_are_readings() -> None:
    projection = project(
        "2026-01-01",
        delivery_date=day("2025-01-01"),
        repair_orders=[make_ro("2025-07-01", km=9_000)],
    )
    assert [r.value_km for r in projection.readings] == [0, 9_000]
    assert projection.rate_km_per_day == pytest.approx(9_000 / 181, abs=0.01)


def test_future_readings_are_ignored() -> None:
    projection = project(
        "2025-06-01", delivery_date=None, odometer_readings=[make_reading("2025-07-01", 9_000)]
    )
    assert projection.anchor is None
    assert projection.estimated_km(day("2025-06-01")) is None


def test_projected_date_is_rate_days_after_the_anchor() -> None:
    projection = project(
        "2026-03-01",
        delivery_date=None,
        odometer_readings=[make_reading("2025-01-01", 10_000), make_reading("2026-01-01", 22_000)],
    )
    assert projection.estimated_km(day("2026-03-01")) == 23_940
    assert projection.projected_date_reaching(30_000) == day("2026-09-02")
    assert projection.recorded_date_reaching(20_000) == day("2026-01-01")
    assert projection.date_reaching(20_000) == day("2026-01-01")
    assert projection.estimated_km(day("2025-07-02")) == 15_984  # interpolated


def test_the_projected_date_reaches_the_target() -> None:
    projection = project(
        "2026-03-01",
        delivery_date=None,
        odometer_readings=[make_reading("2025-01-01", 10_000), make_reading("2026-01-01", 22_000)],
    )
    for target in (22_001, 25_000, 31_337, 100_000):
        when = projection.projected_date_reaching(target)
        assert when is not None
        assert projection.estimated_km(when) >= target  # type: ignore[operator]
        assert projection.estimated_km(when - timedelta(days=1)) < target  # type: ignore[operator]
