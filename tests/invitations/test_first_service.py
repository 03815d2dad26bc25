from datetime import date

import pytest

from invitations import InvitationType, ServicePlan
from invitations.rules import first_service
from tests.invitations.builders import (
    day,
    make_customer,
    make_policy,
    make_ro,
    make_vehicle,
)

DELIVERED = day("2025-03-10")


def evaluate(today: date, **vehicle: object) -> list:
    values = {"delivery_date": DELIVERED, **vehicle}
    return first_service.evaluate(
        make_vehicle(**values), customer=make_customer(), today=today, policy=make_policy()
    )


@pytest.mark.parametrize(
    ("today", "expected_count"),
    [
        ("2025-04-01", 0),  # window opens 2 Apr
        ("2025-04-02", 1),
        ("2025-04-09", 1),  # due
        ("2025-06-08", 1),  # expires
        ("2025-07-08", 1),  # still reported (as expired) within the 30-day lookback
        ("2025-07-09", 0),
    ],
)
def test_first_service_window_is_seven_days_before_to_sixty_days_after(
    today: str, expected_count: int
) -> None:
    assert len(evaluate(day(today))) == expected_count


def test_first_service_is_due_thirty_days_after_delivery() -> None:
    [invitation] = evaluate(day("2025-04-05"))

    assert invitation.type is InvitationType.FIRST_SERVICE
    assert invitation.due_date == day("2025-04-09")
    assert invitation.window_opens == day("2025-04-02")
    assert invitation.window_expires == day("2025-06-08")
    assert invitation.dedup_key == "first_service:TMBJJ7NE8L0123456:2025-03-10"
    assert invitation.explanation.render() == (
        "Delivered 10 Mar 2025; free first check 30 days after delivery, due 9 Apr 2025"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"sold_by_dealer": False},
        {"delivery_date": None},
        {"repair_orders": [make_ro("2025-03-20", kind="repair")]},
        {"repair_orders": [make_ro("2025-03-10", kind="other")]},
    ],
    ids=["not-sold-by-dealer", "no-delivery-date", "repair-since-delivery", "ro-on-delivery-day"],
)
def test_first_service_is_skipped(overrides: dict[str, object]) -> None:
    assert evaluate(day("2025-04-05"), **overrides) == []


def test_an_ro_before_delivery_does_not_skip_the_first_service() -> None:
    assert len(evaluate(day("2025-04-05"), repair_orders=[make_ro("2025-03-01")])) == 1


def test_a_future_ro_does_not_skip_the_first_service_today() -> None:
    assert len(evaluate(day("2025-04-05"), repair_orders=[make_ro("2025-04-20")])) == 1


def test_a_service_plan_can_set_its_own_first_service_days() -> None:
    policy = make_policy(service_plans=(ServicePlan(make="skoda", first_service_days=60),))
    [invitation] = first_service.evaluate(
        make_vehicle(delivery_date=DELIVERED),
        customer=make_customer(),
        today=day("2025-05-05"),
        policy=policy,
    )
    assert invitation.due_date == day("2025-05-09")


def test_first_service_days_comes_from_the_policy() -> None:
    [invitation] = first_service.evaluate(
        make_vehicle(delivery_date=DELIVERED),
        customer=make_customer(),
        today=day("2025-03-20"),
        policy=make_policy(first_service_days=14),
    )
    assert invitation.due_date == day("2025-03-24")
