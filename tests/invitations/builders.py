"""Tiny keyword-only builders with sensible defaults for engine tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from invitations import (
    Appointment,
    AppointmentStatus,
    CustomerFacts,
    DealerPolicy,
    Explanation,
    Invitation,
    InvitationType,
    OdometerReading,
    Recall,
    RepairOrder,
    RepairOrderLine,
    ServiceKind,
    VehicleFacts,
    Warranty,
    WarrantyKind,
)

VIN = "TMBJJ7NE8L0123456"
CUSTOMER = "C-1"


def day(text: str) -> date:
    """``day("2025-12-10")`` → ``date(2025, 12, 10)``."""
    return date.fromisoformat(text)


def make_policy(**overrides: Any) -> DealerPolicy:
    """A CZ dealer with no control group (so rule tests see plain ``due``)."""
    values: dict[str, Any] = {"country": "CZ", "holdout_pct": 0}
    values.update(overrides)
    return DealerPolicy(**values)


def make_customer(**overrides: Any) -> CustomerFacts:
    """A reachable customer who consents to marketing calls."""
    values: dict[str, Any] = {
        "id": CUSTOMER,
        "marketing_calls": True,
        "do_not_call": False,
        "has_valid_phone": True,
    }
    values.update(overrides)
    return CustomerFacts(**values)


def make_ro(
    when: str,
    *,
    km: int | None = None,
    kind: ServiceKind | str = ServiceKind.MAINTENANCE,
    pay_type: str = "customer_pay",
    amount: int = 200,
    number: str = "",
) -> RepairOrder:
    """A one-line repair order."""
    return RepairOrder(
        date=day(when),
        number=number or f"RO-{when}",
        odometer_in=km,
        lines=(RepairOrderLine(service_kind=kind, pay_type=pay_type, amount=Decimal(amount)),),
    )


def make_reading(when: str, km: int, *, replaced: bool = False) -> OdometerReading:
    """An agent-captured odometer reading."""
    return OdometerReading(date=day(when), value_km=km, odometer_replaced=replaced)


def make_recall(code: str = "23V123000", *, start: str = "2025-03-01", **overrides: Any) -> Recall:
    """An open recall with the remedy available."""
    values: dict[str, Any] = {
        "campaign_code": code,
        "remedy_available": True,
        "start_date": day(start),
    }
    values.update(overrides)
    return Recall(**values)


def make_warranty(
    kind: WarrantyKind | str = WarrantyKind.BASIC,
    *,
    start: str = "2023-06-01",
    months: int = 36,
    km_limit: int | None = None,
) -> Warranty:
    """A warranty cover."""
    return Warranty(kind=kind, start_date=day(start), months=months, km_limit=km_limit)


def make_appointment(
    when: str, *, status: AppointmentStatus | str = "booked", id: str = "A-1"
) -> Appointment:
    """A workshop appointment."""
    return Appointment(id=id, date=day(when), status=status)


def make_vehicle(**overrides: Any) -> VehicleFacts:
    """An active Skoda Octavia owned by ``CUSTOMER``, delivered new on 10 Jan 2023, no history."""
    values: dict[str, Any] = {
        "vin": VIN,
        "customer_id": CUSTOMER,
        "make": "Skoda",
        "model": "Octavia",
        "fuel": "petrol",
        "delivery_date": day("2023-01-10"),
        "sold_by_dealer": True,
    }
    values.update(overrides)
    return VehicleFacts(**values)


def make_invitation(**overrides: Any) -> Invitation:
    """A due next_service invitation of ``VIN`` for ``CUSTOMER``."""
    values: dict[str, Any] = {
        "vin": VIN,
        "customer_id": CUSTOMER,
        "type": InvitationType.NEXT_SERVICE,
        "dedup_key": f"next_service:{VIN}:2025-01-10:12000",
        "due_date": day("2026-01-10"),
        "window_opens": day("2025-12-11"),
        "window_expires": day("2026-04-10"),
        "priority": 60,
        "explanation": Explanation(message="Due {due}", params={"due": day("2026-01-10")}),
    }
    values.update(overrides)
    if "dedup_key" not in overrides:
        values["dedup_key"] = f"{values['type']}:{values['vin']}:{values['due_date']}"
    return Invitation(**values)
