import pytest

from invitations import Confidence, Invitation, ServicePlan
from invitations.rules import next_service
from tests.invitations.builders import (
    day,
    make_customer,
    make_policy,
    make_reading,
    make_ro,
    make_vehicle,
)

# 10 Dec 2024 → 10 Dec 2025 at 15,000 km/year: about 41 km/day.
STEADY = (make_ro("2024-12-10", km=12_000, kind="repair"), make_ro("2025-12-10", km=27_000))
# 100 km/day since a service on 10 Jan 2025 at 10,000 km (no delivery reading to pull it down).
FAST = {
    "delivery_date": None,
    "repair_orders": [make_ro("2025-01-10", km=10_000)],
    "odometer_readings": [make_reading("2025-03-11", 16_000)],
}


def evaluate(today: str, *, policy: object = None, **vehicle: object) -> list[Invitation]:
    return next_service.evaluate(
        make_vehicle(**vehicle),
        customer=make_customer(),
        today=day(today),
        policy=policy or make_policy(),  # type: ignore[arg-type]
    )


def only(today: str, **vehicle: object) -> Invitation:
    [invitation] = evaluate(today, **vehicle)
    return invitation


def test_next_service_is_due_by_time_when_time_comes_first() -> None:
    invitation = only("2026-11-20", repair_orders=STEADY)

    assert invitation.due_date == day("2026-12-10")
    assert invitation.window_expires == day("2027-03-10")
    assert invitation.dedup_key == "next_service:TMBJJ7NE8L0123456:2025-12-10:27000"
    assert invitation.confidence is Confidence.MEDIUM
    assert invitation.explanation.render() == (
        "Last service 10 Dec 2025 at 27,000 km; interval 12 months or 15,000 km; "
        "projected 41 km/day, so due 10 Dec 2026 by time"
    )


def test_next_service_is_due_by_km_when_the_projection_reaches_the_interval_first() -> None:
    # 100 km/day from the last service: 25,000 km is projected 150 days after 10 Jan 2025.
    invitation = only("2025-06-01", **FAST)

    assert invitation.due_date == day("2025-06-09")
    assert invitation.explanation.params["by"] == "km"
    assert invitation.explanation.params["rate"] == 100.0


@pytest.mark.parametrize(
    ("today", "opens"),
    [
        ("2026-11-09", False),
        ("2026-11-10", True),  # lead_days: 30 days before 10 Dec 2026
    ],
)
def test_next_service_window_opens_lead_days_before_the_due_date(today: str, opens: bool) -> None:
    vehicle = {"repair_orders": [make_ro("2025-12-10", km=27_000)], "delivery_date": None}
    # A single reading and no delivery: the default rate (here 10 km/day) applies.
    policy = make_policy(default_km_per_day=10)
    assert bool(evaluate(today, policy=policy, **vehicle)) is opens


def test_next_service_window_opens_when_within_lead_km_of_the_interval() -> None:
    # 100 km/day: 23,500 km (1,500 before 25,000) is projected 135 days after 10 Jan 2025.
    assert evaluate("2025-05-24", **FAST) == []
    assert only("2025-05-25", **FAST).window_opens == day("2025-05-25")


def test_a_projection_past_the_km_due_makes_it_due_today_not_overdue() -> None:
    invitation = only("2025-09-01", **FAST)

    assert invitation.due_date == day("2025-09-01")
    assert invitation.overdue_days(day("2025-09-01")) == 0
    assert invitation.priority == 60
    # Expiry counts from the recorded (time) due date, never from the projection.
    assert invitation.window_expires == day("2026-04-10")


def test_a_recorded_reading_at_the_km_due_makes_it_overdue() -> None:
    invitation = only(
        "2025-07-01",
        delivery_date=None,
        repair_orders=[make_ro("2025-01-10", km=10_000)],
        odometer_readings=[make_reading("2025-03-11", 16_000), make_reading("2025-06-01", 25_100)],
    )

    assert invitation.due_date == day("2025-06-01")
    assert invitation.overdue_days(day("2025-07-01")) == 30
    assert invitation.priority == 64
    assert invitation.window_expires == day("2025-08-30")


def test_without_any_service_the_delivery_is_the_base() -> None:
    invitation = only("2024-01-01", repair_orders=[])

    assert invitation.due_date == day("2024-01-10")
    assert invitation.dedup_key.endswith(":2023-01-10:0")
    assert invitation.explanation.render().startswith("Delivered 10 Jan 2023 at 0 km, no service")
    assert invitation.confidence is Confidence.LOW


@pytest.mark.parametrize(
    ("kind", "base", "today"),
    [
        ("maintenance", "2025-06-01", "2026-05-10"),
        ("inspection", "2025-06-01", "2026-05-10"),
        ("repair", "2025-01-10", "2025-12-20"),
        ("tyres", "2025-01-10", "2025-12-20"),
        ("recall", "2025-01-10", "2025-12-20"),
        ("other", "2025-01-10", "2025-12-20"),
    ],
)
def test_only_maintenance_and_inspection_lines_reset_the_base(
    kind: str, base: str, today: str
) -> None:
    later_visit = make_ro("2025-06-01", km=15_000, kind=kind)
    invitation = only(today, repair_orders=[make_ro("2025-01-10", km=10_000), later_visit])

    assert invitation.explanation.params["last_date"] == day(base)


def test_a_service_without_odometer_has_a_stable_key_and_an_estimated_km() -> None:
    vehicle = {
        "repair_orders": [make_ro("2025-01-10", km=10_000, kind="repair"), make_ro("2025-06-01")],
        "odometer_readings": [make_reading("2025-12-01", 20_000)],
    }
    first = only("2026-05-10", **vehicle)
    later = only("2026-05-20", **vehicle)

    assert first.dedup_key == later.dedup_key == "next_service:TMBJJ7NE8L0123456:2025-06-01:"
    assert first.explanation.params["last_km"] == 14_369  # 142 of 325 days from 10,000 to 20,000


def test_after_an_odometer_replacement_an_older_base_is_time_only() -> None:
    invitation = only(
        "2026-05-10",
        repair_orders=[make_ro("2025-06-01", km=90_000)],
        odometer_readings=[make_reading("2025-09-01", 100, replaced=True)],
    )
    assert invitation.due_date == day("2026-06-01")
    assert invitation.explanation.render() == (
        "Last service 1 Jun 2025; interval 12 months, so due 1 Jun 2026 by time"
    )
    assert invitation.confidence is None


@pytest.mark.parametrize(
    ("base", "months", "due"),
    [
        ("2024-01-31", 1, "2024-02-29"),
        ("2025-01-31", 1, "2025-02-28"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2025-08-31", 6, "2026-02-28"),
        ("2023-03-31", 11, "2024-02-29"),
    ],
)
def test_time_due_uses_calendar_months_clamped_at_month_end(
    base: str, months: int, due: str
) -> None:
    policy = make_policy(service_plans=(ServicePlan(interval_months=months, interval_km=900_000),))
    [invitation] = next_service.evaluate(
        make_vehicle(repair_orders=[make_ro(base, km=1_000)], delivery_date=None),
        customer=make_customer(),
        today=day(due),
        policy=policy,
    )
    assert invitation.due_date == day(due)


def test_the_most_specific_service_plan_sets_the_interval() -> None:
    policy = make_policy(
        service_plans=(
            ServicePlan(make="skoda", interval_months=24, interval_km=30_000),
            ServicePlan(make="SKODA", model="octavia", interval_months=18, interval_km=90_000),
        )
    )
    [invitation] = next_service.evaluate(
        make_vehicle(repair_orders=[make_ro("2025-01-10", km=1_000)], delivery_date=None),
        customer=make_customer(),
        today=day("2026-07-01"),
        policy=policy,
    )
    assert invitation.due_date == day("2026-07-10")


def test_nothing_is_due_long_before_the_window() -> None:
    assert evaluate("2026-01-01", repair_orders=STEADY) == []


def test_a_vehicle_without_delivery_or_service_gets_no_next_service() -> None:
    assert evaluate("2026-01-01", delivery_date=None) == []


def test_same_date_gives_the_same_invitation() -> None:
    assert evaluate("2026-11-20", repair_orders=STEADY) == evaluate(
        "2026-11-20", repair_orders=STEADY
    )
