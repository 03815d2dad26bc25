"""Keyword-only builders for dealers, users, sign-ins, API keys and a customer with history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit import Actor, ActorType
from app.auth import service as auth_service
from app.auth.models import ApiScope, User
from app.enums import Role
from app.models import (
    Appointment,
    CallAttempt,
    CallTask,
    Customer,
    CustomerPhone,
    Dealer,
    DealerGroup,
    Disposition,
    Invitation,
    Ownership,
    RepairOrder,
    RepairOrderLine,
    Vehicle,
)
from app.security.access import CSRF_HEADER, SESSION_COOKIE
from app.settings import get_settings

PASSWORD = "correct horse battery staple"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def create_dealer(session: Session, *, code: str | None = None, group: str | None = None) -> Dealer:
    grp = DealerGroup(name=group or f"Group {_tag()}")
    session.add(grp)
    session.flush()
    assert grp.id is not None
    dealer = Dealer(
        code=code or f"D{_tag()}",
        name="Dealer",
        group_id=grp.id,
        country="CZ",
        time_zone="Europe/Prague",
        locale="cs",
        currency="CZK",
    )
    session.add(dealer)
    session.flush()
    return dealer


def create_user(
    session: Session,
    *,
    role: Role = Role.AGENT,
    dealers: list[Dealer] | None = None,
    email: str | None = None,
    password: str = PASSWORD,
) -> User:
    """A user scoped to ``dealers``; an admin without dealers is a platform administrator."""
    return auth_service.create_user(
        session,
        email=email or f"{role.value}-{_tag()}@example.test",
        display_name=f"Test {role.value}",
        role=role,
        password=password,
        dealers=[d.code for d in dealers or []],
    )


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    csrf: str


def sign_in(session: Session, user: User, *, now: datetime | None = None) -> SignedIn:
    """A session opened through the service (the HTTP login is rate-limited)."""
    new = auth_service.login(
        session,
        email=user.email,
        password=PASSWORD,
        actor=Actor(type=ActorType.USER),
        now=now or datetime.now(UTC),
    )
    secret = get_settings().secret_key.get_secret_value()
    return SignedIn(new.token, auth_service.csrf_token_for(new.token, secret=secret))


def use_session(client: TestClient, signed_in: SignedIn) -> TestClient:
    client.cookies.set(SESSION_COOKIE, signed_in.token)
    client.headers[CSRF_HEADER] = signed_in.csrf
    return client


def create_api_key(
    session: Session, *, dealer: Dealer, scopes: list[ApiScope] | None = None
) -> str:
    assert dealer.id is not None
    _, secret = auth_service.create_api_key(
        session,
        dealer_id=dealer.id,
        name="test key",
        scopes=scopes or [ApiScope.IMPORT_WRITE],
        actor=Actor(type=ActorType.SYSTEM),
        dealer_ids=None,
        now=datetime.now(UTC),
    )
    return secret


def create_customer(
    session: Session, *, dealer: Dealer, with_history: bool = True, phone: str = "+420601123456"
) -> Customer:
    """A customer with a phone and, with history, a vehicle, an RO with a line, an appointment,
    an invitation, a call task and an attempt with a note."""
    assert dealer.id is not None
    customer = Customer(
        group_id=dealer.group_id,
        dealer_id=dealer.id,
        source="dms",
        external_id=f"C-{_tag()}",
        first_name="Jana",
        last_name="Nováková",
        email="jana@example.cz",
    )
    session.add(customer)
    session.flush()
    assert customer.id is not None
    session.add(CustomerPhone(customer_id=customer.id, number=phone, is_primary=True))
    if not with_history:
        session.flush()
        return customer
    vin = ("TMB" + uuid.uuid4().hex.upper())[:17].replace("O", "0").replace("I", "1")
    vehicle = Vehicle(vin=vin, dealer_id=dealer.id, make="Skoda", model="Octavia")
    session.add(vehicle)
    session.flush()
    assert vehicle.id is not None
    session.add(
        Ownership(vehicle_id=vehicle.id, customer_id=customer.id, start_date=date(2021, 3, 15))
    )
    ro = RepairOrder(
        source="dms",
        external_id=f"RO-{_tag()}",
        dealer_id=dealer.id,
        vehicle_id=vehicle.id,
        customer_id=customer.id,
        opened_date=date(2025, 3, 1),
    )
    session.add(ro)
    session.flush()
    assert ro.id is not None
    session.add(
        RepairOrderLine(
            repair_order_id=ro.id,
            line_no=1,
            pay_type="customer_pay",
            service_kind="maintenance",
            labor_amount=Decimal("2400.00"),
        )
    )
    session.add(
        Appointment(
            dealer_id=dealer.id,
            vehicle_id=vehicle.id,
            customer_id=customer.id,
            slot_start=datetime(2026, 12, 3, 7, 30, tzinfo=UTC),
        )
    )
    task = CallTask(dealer_id=dealer.id, customer_id=customer.id, primary_type="next_service")
    session.add(task)
    disposition = Disposition(group_id=dealer.group_id, code=f"NA{_tag()}", label="No answer")
    session.add(disposition)
    session.flush()
    assert task.id is not None
    assert disposition.id is not None
    session.add(
        Invitation(
            dedup_key=f"next_service:{vehicle.id}:{_tag()}",
            dealer_id=dealer.id,
            vehicle_id=vehicle.id,
            customer_id=customer.id,
            type="next_service",
            due_date=date(2026, 3, 1),
            opens_date=date(2026, 2, 1),
            expires_date=date(2026, 6, 1),
            explanation="12 months since the last service",
            computed_on=date(2026, 1, 1),
            call_task_id=task.id,
        )
    )
    session.add(
        CallAttempt(
            call_task_id=task.id,
            disposition_id=disposition.id,
            started_at=datetime(2026, 2, 2, 10, 0, tzinfo=UTC),
            note="Call Jana back on +420 601 123 456",
        )
    )
    session.flush()
    return customer


def open_session(session: Session, user: User, *, now: datetime | None = None) -> SignedIn:
    """A session row written directly (no password check): cheap, for the access matrix."""
    from app.auth.models import UserSession

    assert user.id is not None
    token = uuid.uuid4().hex + uuid.uuid4().hex
    at = now or datetime.now(UTC)
    session.add(
        UserSession(
            token_hash=auth_service.sha256_hex(token),
            user_id=user.id,
            created_at=at,
            last_seen_at=at,
        )
    )
    session.flush()
    secret = get_settings().secret_key.get_secret_value()
    return SignedIn(token, auth_service.csrf_token_for(token, secret=secret))
