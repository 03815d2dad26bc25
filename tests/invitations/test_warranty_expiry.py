import pytest

from invitations import Confidence, Invitation, InvitationType
from invitations.rules import warranty_expiry
from tests.invitations.builders import (
    day,
    make_customer,
    make_policy,
    make_reading,
    make_vehicle,
    make_warranty,
)


def evaluate(today: str, **vehicle: object) -> list[Invitation]:
    values = {"delivery_date": day("2023-06-01"), **vehicle}
    return warranty_expiry.evaluate(
        make_vehicle(**values), customer=make_customer(), today=day(today), policy=make_policy()
    )


@pytest.mark.parametrize(
    ("today", "count"),
    [
        ("2026-04-01", 0),
        ("2026-04-02", 1),  # 60 days before 1 Jun 2026
        ("2026-06-01", 1),
        ("2026-07-01", 1),  # reported as expired during the lookback
        ("2026-07-02", 0),
    ],
)
def test_warranty_invitation_opens_sixty_days_before_the_end(today: str, count: int) -> None:
    assert len(evaluate(today, warranties=[make_warranty()])) == count


def test_warranty_expiry_by_time_explains_the_end_date() -> None:
    [invitation] = evaluate("2026-05-01", warranties=[make_warranty()])

    assert invitation.type is InvitationType.WARRANTY_EXPIRY
    assert invitation.due_date == invitation.window_expires == day("2026-06-01")
    assert invitation.dedup_key == "warranty_expiry:TMBJJ7NE8L0123456:basic:2026-06-01"
    assert invitation.explanation.render() == (
        "The basic warranty from 1 Jun 2023 ends 1 Jun 2026 after 36 months"
    )


def test_a_projected_km_limit_brings_the_end_forward() -> None:
    # 63,800 km in 580 days since delivery: 110 km/day, so 100,000 km 330 days after 1 Jan 2025.
    vehicle = {
        "warranties": [make_warranty(km_limit=100_000)],
        "odometer_readings": [make_reading("2025-01-01", 63_800)],
    }
    [invitation] = evaluate("2025-11-01", **vehicle)

    assert invitation.due_date == day("2025-11-27")
    assert invitation.window_opens == day("2025-09-28")
    assert invitation.window_expires == day("2026-06-01")  # cover certainly ends by time
    assert invitation.confidence is Confidence.MEDIUM
    assert invitation.explanation.render() == (
        "The basic warranty ends at 100,000 km, projected at 110 km/day to be reached "
        "27 Nov 2025, before its time limit 1 Jun 2026"
    )


def test_a_projected_km_end_in_the_past_is_due_today_not_overdue() -> None:
    vehicle = {
        "warranties": [make_warranty(km_limit=100_000)],
        "odometer_readings": [make_reading("2025-01-01", 63_800)],
    }
    [invitation] = evaluate("2026-01-15", **vehicle)

    assert invitation.due_date == day("2026-01-15")
    assert invitation.overdue_days(day("2026-01-15")) == 0


def test_a_recorded_reading_at_the_km_limit_ends_the_cover() -> None:
    vehicle = {
        "warranties": [make_warranty(km_limit=100_000)],
        "odometer_readings": [make_reading("2025-10-01", 101_000)],
    }
    [invitation] = evaluate("2025-10-10", **vehicle)

    assert invitation.due_date == invitation.window_expires == day("2025-10-01")
    assert invitation.explanation.params["km_limit"] == 100_000


def test_each_warranty_cover_gets_its_own_invitation() -> None:
    vehicle = {
        "warranties": [
            make_warranty("basic", months=36),
            make_warranty("powertrain", months=36),
            make_warranty("extended", months=60),
        ]
    }
    kinds = [inv.dedup_key.split(":")[2] for inv in evaluate("2026-05-01", **vehicle)]

    assert kinds == ["basic", "powertrain"]


def test_unlimited_km_warranty_ignores_the_odometer() -> None:
    vehicle = {
        "warranties": [make_warranty(km_limit=None)],
        "odometer_readings": [make_reading("2025-01-01", 250_000)],
    }
    [invitation] = evaluate("2026-05-01", **vehicle)
    assert invitation.due_date == day("2026-06-01")
