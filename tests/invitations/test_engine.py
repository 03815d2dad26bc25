import pytest

from invitations import (
    EXPLANATION_MESSAGES,
    InvitationStatus,
    InvitationType,
    SuppressionReason,
    due_invitations,
    evaluate_vehicle,
)
from tests.invitations.builders import (
    CUSTOMER,
    day,
    make_appointment,
    make_customer,
    make_policy,
    make_recall,
    make_ro,
    make_vehicle,
    make_warranty,
)

TODAY = day("2026-04-20")
BUSY = {
    "repair_orders": [
        make_ro("2024-12-10", km=12_000, kind="repair"),
        make_ro("2025-03-10", km=15_000),
    ],
    "recalls": [make_recall(start="2026-04-01")],
    "warranties": [make_warranty(start="2023-06-01", months=36)],
    "appointments": [make_appointment("2026-04-15", status="no_show")],
}


def test_due_invitations_covers_every_rule_in_type_order() -> None:
    found = due_invitations(
        [make_vehicle(**BUSY)],
        customers={CUSTOMER: make_customer()},
        today=TODAY,
        policy=make_policy(),
    )
    assert [inv.type for inv in found] == [
        InvitationType.RECALL,
        InvitationType.WARRANTY_EXPIRY,
        InvitationType.NO_SHOW,
        InvitationType.NEXT_SERVICE,
        InvitationType.SEASONAL,  # ac_check
        InvitationType.SEASONAL,  # cz_spring_tyres
    ]
    assert all(inv.status is InvitationStatus.DUE for inv in found)


def test_output_is_ordered_by_vin_whatever_the_input_order() -> None:
    vehicles = [make_vehicle(vin=vin, **BUSY) for vin in ("VIN-C", "VIN-A", "VIN-B")]
    customers = {CUSTOMER: make_customer()}
    forward = due_invitations(vehicles, customers=customers, today=TODAY, policy=make_policy())
    backward = due_invitations(
        vehicles[::-1], customers=customers, today=TODAY, policy=make_policy()
    )
    assert forward == backward
    assert [inv.vin for inv in forward] == sorted(inv.vin for inv in forward)


def test_suppressed_invitations_are_kept_with_their_reason() -> None:
    found = due_invitations(
        [make_vehicle(**BUSY)],
        customers={CUSTOMER: make_customer(marketing_calls=False)},
        today=TODAY,
        policy=make_policy(),
    )
    reasons = {inv.type: inv.suppression_reason for inv in found}
    assert reasons[InvitationType.RECALL] is None
    assert reasons[InvitationType.NEXT_SERVICE] is SuppressionReason.MARKETING_OPT_OUT


def test_a_vehicle_without_owner_is_suppressed_for_no_customer() -> None:
    found = due_invitations(
        [make_vehicle(customer_id=None, **BUSY)], customers={}, today=TODAY, policy=make_policy()
    )
    assert found
    assert {inv.suppression_reason for inv in found} == {SuppressionReason.NO_CUSTOMER}


def test_a_missing_customer_is_an_error_not_a_silent_skip() -> None:
    with pytest.raises(ValueError, match="not in customers"):
        due_invitations([make_vehicle()], customers={}, today=TODAY, policy=make_policy())


def test_a_vehicle_given_twice_is_an_error() -> None:
    customers = {CUSTOMER: make_customer()}
    with pytest.raises(ValueError, match="given twice"):
        due_invitations(
            [make_vehicle(), make_vehicle()], customers=customers, today=TODAY, policy=make_policy()
        )


def test_evaluate_vehicle_checks_the_customer_belongs_to_the_vehicle() -> None:
    with pytest.raises(ValueError, match="belongs to"):
        evaluate_vehicle(
            make_vehicle(), customer=make_customer(id="C-9"), today=TODAY, policy=make_policy()
        )


def test_every_explanation_msgid_is_listed_once() -> None:
    assert len(EXPLANATION_MESSAGES) == len(set(EXPLANATION_MESSAGES)) == 13
    found = due_invitations(
        [make_vehicle(**BUSY)],
        customers={CUSTOMER: make_customer()},
        today=TODAY,
        policy=make_policy(),
    )
    assert {inv.explanation.message for inv in found} <= set(EXPLANATION_MESSAGES)
