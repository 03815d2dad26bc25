"""Keyword-only builders for report data, and ``build_known_dataset``: a small dealer whose every
funnel, agent, retention and recall figure is worked out by hand in ``test_reports.py``.

The rows are written directly (the nightly run and the contact centre are other features); each
builder takes only what the reports read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlmodel import Session

from app.auth.models import User
from app.enums import Role
from app.models import (
    Appointment,
    CallAttempt,
    CallTask,
    Customer,
    Dealer,
    DealerGroup,
    Disposition,
    Invitation,
    RecallCampaign,
    RecallVehicle,
    RepairOrder,
    RepairOrderLine,
    Vehicle,
)
from app.reporting.aggregates import refresh_aggregates
from tests.app.auth.factories import create_user


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _id(obj: object) -> int:
    value = getattr(obj, "id", None)
    assert isinstance(value, int)
    return value


def utc(y: int, m: int, d: int, hh: int = 9, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


def create_group_dealer(session: Session, *, code: str, zone: str = "Europe/Prague") -> Dealer:
    group = DealerGroup(name=f"Group of {code} {_tag()}")
    session.add(group)
    session.flush()
    dealer = Dealer(
        code=code,
        name=f"Dealer {code}",
        group_id=_id(group),
        country="CZ",
        time_zone=zone,
        locale="cs",
        currency="CZK",
    )
    session.add(dealer)
    session.flush()
    return dealer


def create_report_customer(
    session: Session, *, dealer: Dealer, segment: str = "standard"
) -> Customer:
    customer = Customer(
        group_id=dealer.group_id,
        dealer_id=_id(dealer),
        source="test",
        external_id=f"C-{_tag()}",
        value_segment=segment,
    )
    session.add(customer)
    session.flush()
    return customer


def create_report_vehicle(session: Session, *, dealer: Dealer, status: str = "active") -> Vehicle:
    vin = ("TMB" + uuid.uuid4().hex.upper())[:17].replace("O", "0").replace("I", "1")
    vehicle = Vehicle(vin=vin, dealer_id=_id(dealer), make="Skoda", model="Octavia", status=status)
    session.add(vehicle)
    session.flush()
    return vehicle


def create_disposition(
    session: Session,
    *,
    dealer: Dealer,
    code: str,
    contact_made: bool = False,
    booked: bool = False,
    counts_as_attempt: bool = True,
) -> Disposition:
    disposition = Disposition(
        group_id=dealer.group_id,
        code=code,
        label=code,
        contact_made=contact_made,
        booked=booked,
        counts_as_attempt=counts_as_attempt,
    )
    session.add(disposition)
    session.flush()
    return disposition


def create_task(session: Session, *, dealer: Dealer, customer: Customer) -> CallTask:
    task = CallTask(
        dealer_id=_id(dealer),
        customer_id=_id(customer),
        primary_type="next_service",
        status="closed",
    )
    session.add(task)
    session.flush()
    return task


def create_invitation(
    session: Session,
    *,
    dealer: Dealer,
    customer: Customer,
    vehicle: Vehicle,
    type: str = "next_service",
    due: date,
    task: CallTask | None = None,
    control: bool = False,
    suppression_reason: str | None = None,
) -> Invitation:
    status = "control" if control else "suppressed" if suppression_reason else "queued"
    if suppression_reason == "expired":
        status = "expired"
    invitation = Invitation(
        dedup_key=f"{type}:{_id(vehicle)}:{_tag()}",
        dealer_id=_id(dealer),
        vehicle_id=_id(vehicle),
        customer_id=_id(customer),
        type=type,
        due_date=due,
        opens_date=due,
        expires_date=date(due.year + 1, due.month, 1),
        status=status,
        suppression_reason=suppression_reason,
        is_control=control,
        explanation="test",
        computed_on=due,
        call_task_id=None if task is None else _id(task),
    )
    session.add(invitation)
    session.flush()
    return invitation


def create_attempt(
    session: Session,
    *,
    task: CallTask,
    agent: User,
    disposition: Disposition,
    started: datetime,
    seconds: int,
) -> CallAttempt:
    attempt = CallAttempt(
        call_task_id=_id(task),
        agent_id=agent.id,
        disposition_id=_id(disposition),
        started_at=started,
        ended_at=datetime.fromtimestamp(started.timestamp() + seconds, UTC),
    )
    session.add(attempt)
    session.flush()
    return attempt


def create_appointment(
    session: Session,
    *,
    dealer: Dealer,
    vehicle: Vehicle,
    customer: Customer,
    task: CallTask | None,
    booked_at: datetime,
    slot: datetime,
    status: str = "booked",
) -> Appointment:
    appointment = Appointment(
        dealer_id=_id(dealer),
        vehicle_id=_id(vehicle),
        customer_id=_id(customer),
        slot_start=slot,
        status=status,
        origin="call",
        call_task_id=None if task is None else _id(task),
        created_at=booked_at,
    )
    session.add(appointment)
    session.flush()
    return appointment


def create_ro(
    session: Session,
    *,
    dealer: Dealer,
    vehicle: Vehicle,
    customer: Customer | None,
    opened: date,
    lines: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
    appointment: Appointment | None = None,
) -> RepairOrder:
    """An RO; ``lines`` are (pay type, labour, parts)."""
    ro = RepairOrder(
        source="test",
        external_id=f"RO-{_tag()}",
        dealer_id=_id(dealer),
        vehicle_id=_id(vehicle),
        customer_id=None if customer is None else _id(customer),
        opened_date=opened,
        appointment_id=None if appointment is None else _id(appointment),
    )
    session.add(ro)
    session.flush()
    for n, (pay_type, labour, parts) in enumerate(lines, start=1):
        session.add(
            RepairOrderLine(
                repair_order_id=_id(ro),
                line_no=n,
                pay_type=pay_type,
                service_kind="maintenance",
                labor_amount=Decimal(labour),
                parts_amount=Decimal(parts),
            )
        )
    session.flush()
    return ro


@dataclass
class KnownDataset:
    dealer: Dealer
    other_dealer: Dealer
    agent_a: User
    agent_b: User
    invitations: dict[str, Invitation] = field(default_factory=dict)


def build_known_dataset(session: Session) -> KnownDataset:
    """Dealer D1 (Europe/Prague) with invitations due in 2025-Q4 and 2026-Q1, their calls,
    bookings and ROs; visits in 2022-2024 for retention; one recall campaign; and an
    out-of-scope dealer D2. The comments give each invitation's fate."""
    tag = _tag()
    d1 = create_group_dealer(session, code=f"D1-{tag}")
    d2 = create_group_dealer(session, code=f"D2-{tag}")
    agent_a = create_user(session, role=Role.AGENT, dealers=[d1])
    agent_b = create_user(session, role=Role.AGENT, dealers=[d1])
    na = create_disposition(session, dealer=d1, code="no_answer")
    reach = create_disposition(session, dealer=d1, code="declined", contact_made=True)
    book = create_disposition(session, dealer=d1, code="booked", contact_made=True, booked=True)
    abandoned = create_disposition(session, dealer=d1, code="abandoned", counts_as_attempt=False)

    c1 = create_report_customer(session, dealer=d1, segment="vip")
    c2 = create_report_customer(session, dealer=d1, segment="high")
    c3 = create_report_customer(session, dealer=d1, segment="low")
    c4, c5, c6, c7, c8 = (create_report_customer(session, dealer=d1) for _ in range(5))
    v1, v2, v3, v4, v5, v6, v7, v8 = (create_report_vehicle(session, dealer=d1) for _ in range(8))
    v9 = create_report_vehicle(session, dealer=d1, status="sold")

    t1 = create_task(session, dealer=d1, customer=c1)
    t2 = create_task(session, dealer=d1, customer=c2)
    t3 = create_task(session, dealer=d1, customer=c3)
    t4 = create_task(session, dealer=d1, customer=c6)

    inv: dict[str, Invitation] = {}

    def invite(name: str, **kw: object) -> None:
        inv[name] = create_invitation(session, dealer=d1, **kw)  # type: ignore[arg-type]

    # 2026-Q1 cohort (invitation ids ascend i1 … i11: i1 owns RO r1's revenue, not i7).
    invite("i1", customer=c1, vehicle=v1, due=date(2026, 1, 10), task=t1)
    invite("i2", customer=c2, vehicle=v2, due=date(2026, 1, 15), task=t2)
    invite("i3", customer=c3, vehicle=v3, due=date(2026, 2, 1), task=t3)
    invite("i4", customer=c3, vehicle=v4, due=date(2026, 2, 3), task=t3)
    invite("i5", customer=c4, vehicle=v5, due=date(2026, 2, 10), control=True)
    invite("i6", customer=c5, vehicle=v6, due=date(2026, 3, 5), suppression_reason="do_not_call")
    invite("i7", customer=c1, vehicle=v1, type="warranty_expiry", due=date(2026, 1, 20), task=t1)
    invite("i8", customer=c6, vehicle=v7, type="warranty_expiry", due=date(2026, 3, 10), task=t4)
    invite(
        "i9", customer=c7, vehicle=v8, type="warranty_expiry", due=date(2026, 3, 20), control=True
    )
    invite(
        "i10",
        customer=c8,
        vehicle=v9,
        type="lapsed",
        due=date(2026, 3, 25),
        suppression_reason="expired",
    )
    # Queued on t2, then expired: it was handed to the contact centre, so it stays targeted.
    invite(
        "i11",
        customer=c2,
        vehicle=v2,
        type="lapsed",
        due=date(2026, 3, 28),
        task=t2,
        suppression_reason="expired",
    )
    # 2025-Q4 (the previous period) and outside the range.
    invite("i12", customer=c1, vehicle=v1, due=date(2025, 11, 10))
    invite("i13", customer=c2, vehicle=v2, due=date(2025, 12, 1), suppression_reason="sold")
    invite("i14", customer=c4, vehicle=v5, due=date(2026, 4, 2))
    # Another dealer (another group): never in D1's figures.
    c_other = create_report_customer(session, dealer=d2)
    v_other = create_report_vehicle(session, dealer=d2)
    inv["other"] = create_invitation(
        session, dealer=d2, customer=c_other, vehicle=v_other, due=date(2026, 2, 1)
    )

    # Calls (UTC). Agent A: t1 no answer, t1 booked, t4 booked.
    create_attempt(
        session, task=t1, agent=agent_a, disposition=na, started=utc(2026, 1, 11, 10), seconds=60
    )
    create_attempt(
        session, task=t1, agent=agent_a, disposition=book, started=utc(2026, 1, 12, 9), seconds=300
    )
    create_attempt(
        session, task=t4, agent=agent_a, disposition=book, started=utc(2026, 3, 2, 8), seconds=240
    )
    # Agent B: t2 declined twice; t3 no answer at 23:30 UTC on 31 January = 00:30 on 1 February in
    # Prague, then an abandoned dial (not an attempt) at 00:10 UTC.
    create_attempt(
        session,
        task=t2,
        agent=agent_b,
        disposition=reach,
        started=utc(2026, 1, 16, 10),
        seconds=180,
    )
    create_attempt(
        session,
        task=t3,
        agent=agent_b,
        disposition=na,
        started=utc(2026, 1, 31, 23, 30),
        seconds=60,
    )
    create_attempt(
        session,
        task=t3,
        agent=agent_b,
        disposition=abandoned,
        started=utc(2026, 2, 1, 0, 10),
        seconds=30,
    )
    create_attempt(
        session,
        task=t2,
        agent=agent_b,
        disposition=reach,
        started=utc(2026, 3, 20, 10),
        seconds=120,
    )

    # Bookings and visits.
    a1 = create_appointment(
        session,
        dealer=d1,
        vehicle=v1,
        customer=c1,
        task=t1,
        booked_at=utc(2026, 1, 12, 9, 5),
        slot=utc(2026, 1, 20, 7),
        status="arrived",
    )
    a4 = create_appointment(
        session,
        dealer=d1,
        vehicle=v7,
        customer=c6,
        task=t4,
        booked_at=utc(2026, 3, 2, 8, 4),
        slot=utc(2026, 3, 9, 7),
        status="no_show",
    )
    del a4
    create_ro(
        session,
        dealer=d1,
        vehicle=v1,
        customer=c1,
        opened=date(2026, 1, 20),
        appointment=a1,
        lines=[("customer_pay", "100.00", "50.00"), ("warranty", "30.00", "0")],
    )  # r1
    create_ro(
        session,
        dealer=d1,
        vehicle=v2,
        customer=c2,
        opened=date(2026, 2, 20),
        lines=[("customer_pay", "120.00", "80.00")],
    )  # r2: organic, 36 days after i2's due
    create_ro(
        session,
        dealer=d1,
        vehicle=v3,
        customer=c3,
        opened=date(2026, 4, 15),
        lines=[("customer_pay", "999.00", "0")],
    )  # r3: 73 days after i3's due: too late
    create_ro(
        session,
        dealer=d1,
        vehicle=v5,
        customer=c4,
        opened=date(2026, 3, 1),
        lines=[("customer_pay", "500.00", "0")],
    )  # r5: the control i5 came in
    create_ro(
        session,
        dealer=d1,
        vehicle=v7,
        customer=c6,
        opened=date(2026, 4, 20),
        lines=[("internal", "80.00", "0")],
    )  # r8: 49 days after the no-show booking

    # Visit history for retention (base period 2024-Q1) and reactivation (lapsed on 2024-01-01).
    create_ro(session, dealer=d1, vehicle=v1, customer=c1, opened=date(2024, 2, 10))
    create_ro(session, dealer=d1, vehicle=v2, customer=c2, opened=date(2024, 3, 5))
    create_ro(session, dealer=d1, vehicle=v2, customer=c2, opened=date(2024, 9, 1))
    create_ro(session, dealer=d1, vehicle=v3, customer=c3, opened=date(2024, 1, 15))
    create_ro(session, dealer=d1, vehicle=v6, customer=c5, opened=date(2022, 6, 1))
    create_ro(session, dealer=d1, vehicle=v6, customer=c5, opened=date(2024, 2, 20))
    create_ro(session, dealer=d1, vehicle=v7, customer=c6, opened=date(2022, 12, 15))
    create_ro(session, dealer=d1, vehicle=v8, customer=c7, opened=date(2023, 6, 1))

    # Recall 26V001000: v1 open, v2 completed here, v3 elsewhere, v4 not applicable; a VIN we do
    # not know and D2's vehicle are not D1's population.
    campaign = RecallCampaign(campaign_code=f"26V{tag[:6]}", title="Airbag inflator")
    session.add(campaign)
    session.flush()
    for vin, status in (
        (v1.vin, "open"),
        (v2.vin, "completed_here"),
        (v3.vin, "completed_elsewhere"),
        (v4.vin, "not_applicable"),
        ("TMBZZZ1ZZZ0000001", "open"),
        (v_other.vin, "open"),
    ):
        session.add(RecallVehicle(campaign_id=_id(campaign), vin=vin, status=status))
    session.flush()
    # The funnel reports read the daily aggregates: fill them as the nightly run / rebuild does.
    for dealer in (d1, d2):
        refresh_aggregates(session, _id(dealer), date(2024, 1, 1), date(2027, 1, 1))
    session.flush()
    return KnownDataset(
        dealer=d1, other_dealer=d2, agent_a=agent_a, agent_b=agent_b, invitations=inv
    )
