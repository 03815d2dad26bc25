from datetime import timedelta
from decimal import Decimal

import pytest

from invitations import (
    ContactOutcome,
    ContactRecord,
    InvitationStatus,
    InvitationType,
    SuppressionReason,
    ValueSegment,
    customer_pay_revenue,
    in_control_group,
    plan_call_tasks,
    priority,
    value_segments,
)
from invitations.contact import assess, suppression_reason
from tests.invitations.builders import (
    CUSTOMER,
    day,
    make_appointment,
    make_customer,
    make_invitation,
    make_policy,
    make_ro,
    make_vehicle,
)

TODAY = day("2026-01-05")


@pytest.mark.parametrize(
    ("kind", "segment", "overdue", "expected"),
    [
        (InvitationType.RECALL, ValueSegment.STANDARD, 0, 100),
        (InvitationType.WARRANTY_EXPIRY, ValueSegment.STANDARD, 0, 80),
        (InvitationType.FIRST_SERVICE, ValueSegment.STANDARD, 0, 70),
        (InvitationType.NO_SHOW, ValueSegment.STANDARD, 0, 65),
        (InvitationType.NEXT_SERVICE, ValueSegment.STANDARD, 0, 60),
        (InvitationType.CHURN_RISK, ValueSegment.STANDARD, 0, 50),
        (InvitationType.LAPSED, ValueSegment.STANDARD, 0, 40),
        (InvitationType.SEASONAL, ValueSegment.STANDARD, 0, 30),
        (InvitationType.NEXT_SERVICE, ValueSegment.VIP, 0, 75),
        (InvitationType.NEXT_SERVICE, ValueSegment.HIGH, 0, 68),
        (InvitationType.NEXT_SERVICE, ValueSegment.LOW, 0, 55),
        (InvitationType.NEXT_SERVICE, ValueSegment.STANDARD, 6, 60),
        (InvitationType.NEXT_SERVICE, ValueSegment.STANDARD, 7, 61),
        (InvitationType.NEXT_SERVICE, ValueSegment.VIP, 23, 78),
        (InvitationType.NEXT_SERVICE, ValueSegment.STANDARD, 500, 70),  # urgency capped at 10
        (InvitationType.SEASONAL, ValueSegment.STANDARD, -10, 30),
    ],
)
def test_priority_is_type_base_plus_segment_plus_capped_urgency(
    kind: InvitationType, segment: ValueSegment, overdue: int, expected: int
) -> None:
    assert priority(kind, segment=segment, overdue_days=overdue) == expected


def reason(
    *,
    kind: InvitationType = InvitationType.NEXT_SERVICE,
    customer: object = "default",
    **vehicle: object,
) -> SuppressionReason | None:
    return suppression_reason(
        make_invitation(type=kind),
        vehicle=make_vehicle(**vehicle),
        customer=make_customer() if customer == "default" else customer,  # type: ignore[arg-type]
        today=TODAY,
        policy=make_policy(),
    )


@pytest.mark.parametrize(
    ("kind", "customer", "vehicle", "expected"),
    [
        ("next_service", make_customer(), {}, None),
        ("next_service", None, {}, "no_customer"),
        ("next_service", make_customer(status="erased"), {}, "customer_erased"),
        ("next_service", make_customer(status="deceased"), {}, "customer_deceased"),
        ("recall", make_customer(do_not_call=True), {}, "do_not_call"),
        ("next_service", make_customer(marketing_calls=False), {}, "marketing_opt_out"),
        ("recall", make_customer(marketing_calls=False), {}, None),
        ("recall", make_customer(has_valid_phone=False), {}, "no_valid_phone"),
        ("next_service", make_customer(), {"status": "sold"}, "vehicle_sold"),
        ("next_service", make_customer(), {"status": "scrapped"}, "vehicle_scrapped"),
        ("recall", make_customer(), {"status": "stolen"}, "vehicle_stolen"),
        ("next_service", make_customer(), {"status": "exported"}, "vehicle_exported"),
        ("next_service", make_customer(), {"ownership_end": day("2026-01-05")}, "ownership_ended"),
        ("next_service", make_customer(), {"ownership_end": day("2026-01-06")}, None),
        (
            "recall",
            make_customer(),
            {"appointments": [make_appointment("2026-03-06", status="confirmed")]},
            "appointment_booked",
        ),
        (
            "next_service",
            make_customer(),
            {"appointments": [make_appointment("2026-03-07")]},  # beyond 60 days
            None,
        ),
        (
            "next_service",
            make_customer(),
            {"appointments": [make_appointment("2026-02-01", status="cancelled")]},
            None,
        ),
        ("lapsed", make_customer(), {"repair_orders": [make_ro("2025-12-07")]}, "recent_visit"),
        ("lapsed", make_customer(), {"repair_orders": [make_ro("2025-12-06")]}, None),
        ("recall", make_customer(), {"repair_orders": [make_ro("2026-01-02")]}, None),
        # the first reason in the documented order wins
        ("next_service", make_customer(do_not_call=True, marketing_calls=False), {}, "do_not_call"),
        ("next_service", make_customer(status="erased"), {"status": "sold"}, "customer_erased"),
    ],
)
def test_suppression_reasons(
    kind: str, customer: object, vehicle: dict[str, object], expected: str | None
) -> None:
    found = reason(kind=InvitationType(kind), customer=customer, **vehicle)
    assert found == (None if expected is None else SuppressionReason(expected))


def test_an_expired_invitation_is_suppressed_as_expired() -> None:
    invitation = make_invitation(
        window_opens=day("2025-11-01"),
        window_expires=TODAY - timedelta(days=1),
        due_date=day("2025-12-01"),
    )
    assessed = assess(
        invitation,
        vehicle=make_vehicle(),
        customer=make_customer(),
        today=TODAY,
        policy=make_policy(),
    )
    assert assessed.status is InvitationStatus.SUPPRESSED
    assert assessed.suppression_reason is SuppressionReason.EXPIRED


def test_the_control_group_is_stable_for_a_customer_type_and_month() -> None:
    month = day("2026-01-01")
    decisions = {
        in_control_group(f"C-{n}", InvitationType.LAPSED, month, holdout_pct=5) for n in range(3)
    }
    assert decisions  # evaluated
    for n in range(200):
        first = in_control_group(f"C-{n}", InvitationType.LAPSED, month, holdout_pct=5)
        assert first == in_control_group(
            f"C-{n}", InvitationType.LAPSED, day("2026-01-31"), holdout_pct=5
        )


def test_recalls_are_never_held_out() -> None:
    assert not any(
        in_control_group(f"C-{n}", InvitationType.RECALL, TODAY, holdout_pct=50) for n in range(500)
    )


@pytest.mark.parametrize("pct", [0, 5, 20])
def test_the_control_share_is_close_to_the_setting(pct: int) -> None:
    held = sum(
        in_control_group(f"C-{n}", InvitationType.NEXT_SERVICE, TODAY, holdout_pct=pct)
        for n in range(20_000)
    )
    assert abs(held / 20_000 * 100 - pct) <= 1.5


def test_a_held_out_invitation_is_marked_control_not_suppressed() -> None:
    policy = make_policy(holdout_pct=50)
    statuses = {
        assess(
            make_invitation(customer_id=f"C-{n}"),
            vehicle=make_vehicle(customer_id=f"C-{n}"),
            customer=make_customer(id=f"C-{n}"),
            today=TODAY,
            policy=policy,
        ).status
        for n in range(40)
    }
    assert statuses == {InvitationStatus.CONTROL, InvitationStatus.DUE}


CUSTOMERS = {CUSTOMER: make_customer(), "C-2": make_customer(id="C-2", marketing_calls=False)}


def test_a_customers_invitations_across_vehicles_merge_into_one_task() -> None:
    invitations = [
        make_invitation(vin="VIN-A", priority=60),
        make_invitation(vin="VIN-B", type=InvitationType.WARRANTY_EXPIRY, priority=80),
        make_invitation(vin="VIN-B", type=InvitationType.SEASONAL, priority=30),
    ]
    [task] = plan_call_tasks(invitations, customers=CUSTOMERS, today=TODAY, policy=make_policy())

    assert task.customer_id == CUSTOMER
    assert task.primary.type is InvitationType.WARRANTY_EXPIRY
    assert task.priority == 80
    assert [inv.priority for inv in task.invitations] == [80, 60, 30]
    assert task.vins == ("VIN-B", "VIN-A")
    assert not task.recall_only


def test_an_opted_out_customer_gets_a_recall_only_task() -> None:
    invitations = [
        make_invitation(customer_id="C-2", type=InvitationType.RECALL, priority=100),
        make_invitation(customer_id="C-2", type=InvitationType.NEXT_SERVICE, priority=60),
    ]
    [task] = plan_call_tasks(invitations, customers=CUSTOMERS, today=TODAY, policy=make_policy())
    assert task.recall_only
    assert [inv.type for inv in task.invitations] == [InvitationType.RECALL]


def test_suppressed_control_and_closed_window_invitations_are_not_planned() -> None:
    invitations = [
        make_invitation(status="suppressed", suppression_reason="recent_visit"),
        make_invitation(status="control", type=InvitationType.LAPSED),
        make_invitation(
            type=InvitationType.SEASONAL, window_opens=day("2026-01-06"), due_date=day("2026-01-06")
        ),
        make_invitation(
            type=InvitationType.CHURN_RISK,
            window_expires=day("2026-01-04"),
            due_date=day("2026-01-04"),
            window_opens=day("2026-01-01"),
        ),
    ]
    assert (
        plan_call_tasks(invitations, customers=CUSTOMERS, today=TODAY, policy=make_policy()) == []
    )


def history(outcome: str, days_ago: int) -> list[ContactRecord]:
    return [
        ContactRecord(customer_id=CUSTOMER, date=TODAY - timedelta(days=days_ago), outcome=outcome)
    ]


@pytest.mark.parametrize(
    ("outcome", "days_ago", "planned"),
    [
        ("reached", 59, ["recall"]),
        ("reached", 60, ["recall", "next_service"]),
        ("unreachable", 29, []),
        ("unreachable", 30, ["recall", "next_service"]),
    ],
)
def test_frequency_caps_hold_back_new_tasks(
    outcome: str, days_ago: int, planned: list[str]
) -> None:
    invitations = [
        make_invitation(type=InvitationType.RECALL, priority=100),
        make_invitation(priority=60),
    ]
    tasks = plan_call_tasks(
        invitations,
        customers=CUSTOMERS,
        today=TODAY,
        policy=make_policy(),
        contact_history=history(outcome, days_ago),
    )
    assert [inv.type.value for task in tasks for inv in task.invitations] == planned


def test_a_contact_of_another_customer_does_not_cap() -> None:
    other = [ContactRecord(customer_id="C-9", date=TODAY, outcome=ContactOutcome.REACHED)]
    tasks = plan_call_tasks(
        [make_invitation()],
        customers=CUSTOMERS,
        today=TODAY,
        policy=make_policy(),
        contact_history=other,
    )
    assert len(tasks) == 1


def test_plan_rechecks_consent_that_changed_since_the_invitation() -> None:
    customers = {CUSTOMER: make_customer(do_not_call=True)}
    invitation = make_invitation(type=InvitationType.RECALL)
    assert (
        plan_call_tasks([invitation], customers=customers, today=TODAY, policy=make_policy()) == []
    )


def test_tasks_are_ordered_by_priority() -> None:
    customers = {f"C-{n}": make_customer(id=f"C-{n}") for n in range(3)}
    invitations = [
        make_invitation(customer_id="C-0", priority=40),
        make_invitation(customer_id="C-1", priority=90),
        make_invitation(customer_id="C-2", priority=60),
    ]
    tasks = plan_call_tasks(invitations, customers=customers, today=TODAY, policy=make_policy())
    assert [t.customer_id for t in tasks] == ["C-1", "C-2", "C-0"]


def test_value_segments_split_paying_customers_ten_twenty_seventy() -> None:
    revenue = {f"C-{n:02}": Decimal(100 * (n + 1)) for n in range(20)}
    revenue |= {"NONE": Decimal(0)}
    segments = value_segments(revenue)

    assert [segments[f"C-{n:02}"] for n in (19, 18)] == [ValueSegment.VIP] * 2
    assert [segments[f"C-{n:02}"] for n in (17, 16, 15, 14)] == [ValueSegment.HIGH] * 4
    assert segments["C-13"] is ValueSegment.STANDARD
    assert segments["C-00"] is ValueSegment.STANDARD
    assert segments["NONE"] is ValueSegment.LOW


def test_customers_with_equal_revenue_share_a_segment() -> None:
    revenue = {f"C-{n}": Decimal(500) for n in range(10)}
    assert set(value_segments(revenue).values()) == {ValueSegment.VIP}


def test_customer_pay_revenue_counts_the_last_24_months_only() -> None:
    ros = [
        make_ro("2024-01-05", amount=1_000),  # exactly 24 months ago: outside
        make_ro("2024-01-06", amount=100),
        make_ro("2025-06-01", amount=50, pay_type="warranty"),
        make_ro("2026-01-05", amount=10),
        make_ro("2026-01-06", amount=7),  # future
    ]
    assert customer_pay_revenue(ros, today=TODAY) == Decimal(110)
