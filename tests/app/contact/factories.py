"""Keyword-only builders for the contact centre: a dealer, agents, customers with call tasks.

The nightly run creates call tasks from invitations; these tests write them directly.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlmodel import Session

from app.enums import Role
from app.models import (
    CallTask,
    Customer,
    CustomerPhone,
    Dealer,
    DealerGroup,
    Invitation,
    Ownership,
    Vehicle,
)
from tests.app.auth.factories import create_user

# A Tuesday, 10:00 in Prague (CET): inside the EU calling window.
TUESDAY_10_PRAGUE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def create_dealer(
    session: Session,
    *,
    country: str = "CZ",
    time_zone: str = "Europe/Prague",
    capacity_hours: int = 24,
    opening_hours: dict[str, list[list[str]]] | None = None,
) -> Dealer:
    group = DealerGroup(name=f"Group {_tag()}")
    session.add(group)
    session.flush()
    assert group.id is not None
    dealer = Dealer(
        code=f"D{_tag()}",
        name="Dealer",
        group_id=group.id,
        country=country,
        time_zone=time_zone,
        locale="cs",
        currency="CZK",
        workshop_capacity_per_day=capacity_hours,
        opening_hours=opening_hours,
    )
    session.add(dealer)
    session.flush()
    return dealer


def create_agent(session: Session, *, dealer: Dealer, role: Role = Role.AGENT) -> int:
    user = create_user(session, role=role, dealers=[dealer])
    assert user.id is not None
    return user.id


def create_task(
    session: Session,
    *,
    dealer: Dealer,
    phone: str | None = "+420601123456",
    priority: int = 60,
    kind: str = "next_service",
    language: str = "cs",
    marketing_calls: bool = True,
    vehicles: int = 1,
    next_attempt_at: datetime | None = None,
    extra_phones: tuple[str, ...] = (),
) -> CallTask:
    """A customer with ``vehicles`` owned cars, one ``kind`` invitation each, and their task."""
    assert dealer.id is not None
    customer = Customer(
        group_id=dealer.group_id,
        dealer_id=dealer.id,
        source="dms",
        external_id=f"C-{_tag()}",
        first_name="Jana",
        last_name="Nováková",
        language=language,
        marketing_calls=marketing_calls,
    )
    session.add(customer)
    session.flush()
    assert customer.id is not None
    for index, number in enumerate(((phone,) if phone else ()) + extra_phones):
        session.add(CustomerPhone(customer_id=customer.id, number=number, is_primary=index == 0))
    task = CallTask(
        dealer_id=dealer.id,
        customer_id=customer.id,
        primary_type=kind,
        priority=priority,
        purpose="safety_recall" if kind == "recall" else "service_reminder",
        next_attempt_at=next_attempt_at,
    )
    session.add(task)
    session.flush()
    assert task.id is not None
    for _ in range(vehicles):
        vin = ("TMB" + uuid.uuid4().hex.upper())[:17].replace("O", "0").replace("I", "1")
        vehicle = Vehicle(vin=vin, dealer_id=dealer.id, make="Skoda", model="Octavia")
        session.add(vehicle)
        session.flush()
        assert vehicle.id is not None
        session.add(
            Ownership(vehicle_id=vehicle.id, customer_id=customer.id, start_date=date(2021, 3, 15))
        )
        session.add(
            Invitation(
                dedup_key=f"{kind}:{vehicle.id}:{_tag()}",
                dealer_id=dealer.id,
                vehicle_id=vehicle.id,
                customer_id=customer.id,
                type=kind,
                due_date=date(2026, 11, 1),
                opens_date=date(2026, 10, 1),
                expires_date=date(2027, 2, 1),
                priority=priority,
                status="queued",
                explanation="12 months since the last service",
                computed_on=date(2026, 11, 20),
                call_task_id=task.id,
            )
        )
    session.flush()
    return task
