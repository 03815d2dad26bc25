from datetime import date, datetime
from decimal import Decimal

import pytest

from invitations import (
    Explanation,
    InvitationStatus,
    RepairOrder,
    ServiceKind,
    SuppressionReason,
    VehicleStatus,
)
from tests.invitations.builders import (
    day,
    make_customer,
    make_invitation,
    make_reading,
    make_recall,
    make_ro,
    make_vehicle,
    make_warranty,
)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: make_vehicle(vin=""), "vin"),
        (lambda: make_vehicle(vin="TMB 123"), "whitespace"),
        (lambda: make_vehicle(status="lost"), "status must be one of"),
        (lambda: make_vehicle(delivery_date="2025-01-01"), "delivery_date must be a date"),
        (lambda: make_vehicle(delivery_date=datetime(2025, 1, 1)), "delivery_date must be a date"),
        (lambda: make_vehicle(delivery_odometer_km=-1), "delivery_odometer_km must be >= 0"),
        (lambda: make_vehicle(repair_orders=[object()]), "RepairOrder items"),
        (lambda: make_vehicle(recalls=[make_recall(), make_recall()]), "recall campaign twice"),
        (lambda: make_ro("2025-01-01", kind="wash"), "service_kind must be one of"),
        (lambda: make_ro("2025-01-01", km=-5), "odometer_in must be >= 0"),
        (lambda: make_reading("2025-01-01", -1), "value_km"),
        (lambda: make_warranty(months=0), "months must be >= 1"),
        (lambda: make_warranty(kind="paint"), "kind must be one of"),
        (lambda: make_customer(id=""), "id"),
        (lambda: make_customer(marketing_calls=None), "marketing_calls must be a bool"),
        (lambda: make_customer(segment="gold"), "segment must be one of"),
        (lambda: make_invitation(window_opens=day("2026-02-01")), "window_opens <= due_date"),
        (lambda: make_invitation(status="suppressed"), "suppression reason is required"),
        (lambda: make_invitation(suppression_reason="expired"), "suppression reason is required"),
        (lambda: Explanation(message="Due {due}", params={}), "does not match"),
        (lambda: Explanation(message="Due {due}", params={"due": [1]}), "unsupported value"),
    ],
)
def test_invalid_facts_are_rejected_with_a_value_error(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_enum_fields_accept_their_string_values() -> None:
    vehicle = make_vehicle(status="sold", repair_orders=[make_ro("2025-01-01", kind="inspection")])
    assert vehicle.status is VehicleStatus.SOLD
    assert vehicle.repair_orders[0].lines[0].service_kind is ServiceKind.INSPECTION
    invitation = make_invitation(status="suppressed", suppression_reason="expired")
    assert invitation.status is InvitationStatus.SUPPRESSED
    assert invitation.suppression_reason is SuppressionReason.EXPIRED


def test_collections_are_sorted_so_load_order_does_not_matter() -> None:
    ros = [make_ro("2025-06-01"), make_ro("2024-01-01"), make_ro("2025-01-01")]
    assert make_vehicle(repair_orders=ros) == make_vehicle(repair_orders=list(reversed(ros)))
    assert [ro.date.year for ro in make_vehicle(repair_orders=ros).repair_orders] == [
        2024,
        2025,
        2025,
    ]
    customer = make_customer(visit_dates=[day("2025-02-01"), day("2024-01-01"), day("2025-02-01")])
    assert customer.visit_dates == (day("2024-01-01"), day("2025-02-01"))


def test_a_repair_order_is_a_service_only_with_maintenance_or_inspection() -> None:
    assert make_ro("2025-01-01", kind="maintenance").is_service
    assert make_ro("2025-01-01", kind="inspection").is_service
    assert not make_ro("2025-01-01", kind="repair").is_service
    assert not RepairOrder(date=day("2025-01-01")).is_service


def test_customer_pay_amount_sums_only_customer_pay_lines() -> None:
    assert make_ro("2025-01-01", amount=120).customer_pay_amount == Decimal(120)
    assert make_ro("2025-01-01", pay_type="warranty", amount=120).customer_pay_amount == 0


@pytest.mark.parametrize(
    ("params", "rendered"),
    [
        ({"d": date(2025, 12, 10)}, "10 Dec 2025"),
        ({"d": date(2026, 1, 1)}, "1 Jan 2026"),
        ({"d": 27000}, "27,000"),
        ({"d": 1234567}, "1,234,567"),
        ({"d": 41.07}, "41"),
        ({"d": 2.54}, "2.5"),
        ({"d": 12_345.6}, "12,346"),
        ({"d": Decimal("1234.5")}, "1,234.50"),
        ({"d": "time"}, "time"),
    ],
)
def test_explanations_render_dates_and_numbers_in_english(
    params: dict[str, object], rendered: str
) -> None:
    assert Explanation(message="{d}", params=params).render() == rendered  # type: ignore[arg-type]


def test_explanation_renders_the_documented_next_service_sentence() -> None:
    explanation = Explanation(
        message=(
            "Last service {last_date} at {last_km} km; interval {months} months or {km} km; "
            "projected {rate} km/day, so due {due_date} by {by}"
        ),
        params={
            "last_date": date(2025, 12, 10),
            "last_km": 27_000,
            "months": 12,
            "km": 15_000,
            "rate": 41.1,
            "due_date": date(2026, 12, 10),
            "by": "time",
        },
    )
    assert explanation.render() == (
        "Last service 10 Dec 2025 at 27,000 km; interval 12 months or 15,000 km; "
        "projected 41 km/day, so due 10 Dec 2026 by time"
    )


def test_invitations_are_hashable_and_comparable() -> None:
    assert len({make_invitation(), make_invitation()}) == 1
