"""The stored period counts (``report_funnel_period``, ``report_funnel_shared_customer``) give
exactly the raw-table funnel, also for customers with invitations at several dealers, and stay
exact when one dealer's days are refreshed after new data or refreshed again."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlmodel import Session

from app.enums import Role
from app.models import Customer, Dealer, Invitation, ReportFunnelPeriod, ReportFunnelSharedCustomer
from app.reporting import service as reporting_service
from app.reporting.aggregates import refresh_aggregates, stored_customer_rows
from app.reporting.repository import FunnelFilter
from reports import Grain
from tests.app.auth.factories import create_user
from tests.app.reporting.factories import (
    create_appointment,
    create_attempt,
    create_disposition,
    create_group_dealer,
    create_invitation,
    create_report_customer,
    create_report_vehicle,
    create_ro,
    create_task,
    utc,
)

YEAR = {"start": date(2025, 1, 1), "end": date(2026, 1, 1)}
Q2 = {"start": date(2025, 4, 1), "end": date(2025, 7, 1)}
TYPES = ("next_service", "warranty_expiry", "lapsed")
SEGMENTS = ("vip", "standard", "low")


@dataclass
class Shared:
    dealers: list[Dealer]
    customers: list[Customer]

    @property
    def scope(self) -> frozenset[int]:
        return frozenset(d.id for d in self.dealers if d.id is not None)


def _sister_dealer(session: Session, *, of: Dealer, code: str) -> Dealer:
    dealer = Dealer(
        code=code,
        name=f"Dealer {code}",
        group_id=of.group_id,
        country="CZ",
        time_zone=of.time_zone,
        locale="cs",
        currency="CZK",
    )
    session.add(dealer)
    session.flush()
    return dealer


def _refresh(session: Session, dealer: Dealer, since: date, until: date) -> None:
    assert dealer.id is not None
    refresh_aggregates(session, dealer.id, since, until)


def _invite(
    session: Session, rnd: random.Random, *, dealer: Dealer, customer: Customer, due: date
) -> Invitation:
    """One invitation of ``customer`` at ``dealer`` with a random fate: control, suppressed, or
    called (not reached, reached, or booked, arrived or not), sometimes an RO in the window."""
    vehicle = create_report_vehicle(session, dealer=dealer)
    kind = rnd.choice(("control", "suppressed", "called", "called", "called"))
    type_ = rnd.choice(TYPES)
    if kind == "control":
        invitation = create_invitation(
            session,
            dealer=dealer,
            customer=customer,
            vehicle=vehicle,
            type=type_,
            due=due,
            control=True,
        )
    elif kind == "suppressed":
        invitation = create_invitation(
            session,
            dealer=dealer,
            customer=customer,
            vehicle=vehicle,
            type=type_,
            due=due,
            suppression_reason=rnd.choice(("do_not_call", "sold")),
        )
    else:
        task = create_task(session, dealer=dealer, customer=customer)
        invitation = create_invitation(
            session,
            dealer=dealer,
            customer=customer,
            vehicle=vehicle,
            type=type_,
            due=due,
            task=task,
        )
        agent = create_user(session, role=Role.AGENT, dealers=[dealer])
        outcome = rnd.choice(("no_answer", "declined", "booked"))
        disposition = create_disposition(
            session,
            dealer=dealer,
            code=f"{outcome}-{rnd.random()}",
            contact_made=outcome != "no_answer",
            booked=outcome == "booked",
        )
        called = utc(due.year, due.month, due.day, 10)
        create_attempt(
            session, task=task, agent=agent, disposition=disposition, started=called, seconds=90
        )
        if outcome == "booked":
            slot = called + timedelta(days=3)
            arrived = rnd.random() < 0.7
            appointment = create_appointment(
                session,
                dealer=dealer,
                vehicle=vehicle,
                customer=customer,
                task=task,
                booked_at=called,
                slot=slot,
                status="arrived" if arrived else "booked",
            )
            if arrived:
                create_ro(
                    session,
                    dealer=dealer,
                    vehicle=vehicle,
                    customer=customer,
                    opened=slot.date(),
                    lines=[("customer_pay", "100.00", "50.00")],
                    appointment=appointment,
                )
    if kind != "called" and rnd.random() < 0.3:  # an organic visit within the window
        create_ro(
            session,
            dealer=dealer,
            vehicle=vehicle,
            customer=customer,
            opened=due + timedelta(days=5),
            lines=[("warranty", "80.00", "20.00")],
        )
    return invitation


@pytest.fixture
def shared(session: Session) -> Shared:
    """Dealers A and B of one group and C of another; 24 customers with 1 to 4 invitations due
    in 2025 at random dealers, so that many have invitations at two or three dealers in the
    same month, quarter or year."""
    rnd = random.Random(20261123)
    a = create_group_dealer(session, code=f"PA-{rnd.random()}")
    b = _sister_dealer(session, of=a, code=f"PB-{rnd.random()}")
    c = create_group_dealer(session, code=f"PC-{rnd.random()}")
    dealers = [a, b, c]
    customers = []
    for _ in range(24):
        home = rnd.choice(dealers)
        customer = create_report_customer(session, dealer=home, segment=rnd.choice(SEGMENTS))
        customers.append(customer)
        month = rnd.randint(1, 12)
        for _ in range(rnd.randint(1, 4)):
            dealer = home if rnd.random() < 0.5 else rnd.choice(dealers)
            # Mostly near each other (same month or quarter), sometimes anywhere in the year.
            due_month = month if rnd.random() < 0.6 else rnd.randint(1, 12)
            due = date(2025, due_month, rnd.randint(1, 28))
            _invite(session, rnd, dealer=dealer, customer=customer, due=due)
    for dealer in dealers:
        _refresh(session, dealer, date(2024, 1, 1), date(2027, 1, 1))
    session.flush()
    return Shared(dealers=dealers, customers=customers)


REPORTS: list[dict[str, Any]] = [
    {**YEAR},
    {**YEAR, "grain": Grain.QUARTER},
    {**YEAR, "dimension": "dealer"},
    {**YEAR, "dimension": "group"},
    {**YEAR, "grain": Grain.QUARTER, "dimension": "type"},
    {**YEAR, "grain": Grain.QUARTER, "dimension": "segment"},
    {**YEAR, "type": "next_service"},
    {**YEAR, "segment": "vip", "dimension": "group"},
    {**Q2},
    {**Q2, "dimension": "group"},
    {**Q2, "grain": Grain.QUARTER, "type": "lapsed", "segment": "standard"},
    {"start": date(2025, 5, 1), "end": date(2025, 6, 1), "dimension": "type"},
    # Not aligned to stored periods: the day rows are read instead (the same figures).
    {"start": date(2025, 3, 15), "end": date(2025, 8, 15)},
    {**Q2, "grain": Grain.WEEK, "dimension": "group"},
]


def _report(session: Session, scope: frozenset[int], source: str, **kw: Any) -> dict[str, Any]:
    return reporting_service.funnel_report(session, **kw, dealer_ids=scope, source=source).data


def _shared_rows(session: Session, grain: str) -> int:
    table = ReportFunnelSharedCustomer.__table__  # type: ignore[attr-defined]
    return int(
        session.execute(
            select(func.count()).select_from(table).where(table.c.grain == grain)
        ).scalar_one()
    )


class TestStoredPeriods:
    def test_the_dataset_has_customers_at_several_dealers_in_each_stored_grain(
        self, session: Session, shared: Shared
    ) -> None:
        for grain in ("month", "quarter", "year"):
            assert _shared_rows(session, grain) > 0
        period = ReportFunnelPeriod.__table__  # type: ignore[attr-defined]
        assert session.execute(select(func.count()).select_from(period)).scalar_one() > 0

    @pytest.mark.parametrize("kwargs", REPORTS)
    def test_the_report_equals_the_raw_queries(
        self, session: Session, shared: Shared, kwargs: dict[str, Any]
    ) -> None:
        raw = _report(session, shared.scope, "raw", **kwargs)
        assert raw["total"]["customers"]["due"] > 0
        assert _report(session, shared.scope, "aggregates", **kwargs) == raw

    @pytest.mark.parametrize("kwargs", [{**YEAR, "dimension": "group"}, {**Q2}])
    def test_a_narrower_scope_counts_only_its_dealers(
        self, session: Session, shared: Shared, kwargs: dict[str, Any]
    ) -> None:
        a, b, _ = shared.dealers
        assert a.id is not None
        assert b.id is not None
        scope = frozenset({a.id, b.id})
        raw = _report(session, scope, "raw", **kwargs)
        assert _report(session, scope, "aggregates", **kwargs) == raw
        assert raw != _report(session, shared.scope, "raw", **kwargs)

    def test_aligned_ranges_read_the_stored_periods_and_others_do_not(
        self, session: Session, shared: Shared
    ) -> None:
        def stored(start: date, end: date, group_by: list[str], grain: str) -> bool:
            f = FunnelFilter(start=start, end=end, dealer_ids=shared.scope)
            return stored_customer_rows(session, f, group_by=group_by, grain=grain) is not None

        year, q2 = (YEAR["start"], YEAR["end"]), (Q2["start"], Q2["end"])
        assert stored(*year, ["period", "dealer"], "month")
        assert stored(*year, [], "month")  # the year's total
        assert stored(*q2, ["period"], "quarter")
        assert stored(*q2, [], "month")
        assert not stored(*q2, ["period"], "week")
        assert not stored(date(2025, 1, 1), date(2025, 3, 1), [], "month")  # two months
        assert not stored(date(2025, 3, 15), date(2025, 4, 15), ["period"], "month")

    def test_periods_not_stored_yet_are_counted_from_the_day_rows(
        self, session: Session, shared: Shared
    ) -> None:
        # As after migration 0013 before `retention report rebuild`: April is not stored.
        table = ReportFunnelPeriod.__table__  # type: ignore[attr-defined]
        session.execute(
            delete(table).where(table.c.grain == "month", table.c.period_start == date(2025, 4, 1))
        )
        f = FunnelFilter(start=Q2["start"], end=Q2["end"], dealer_ids=shared.scope)
        assert stored_customer_rows(session, f, group_by=["period"], grain="month") is None
        assert stored_customer_rows(session, f, group_by=[], grain="month") is not None
        raw = _report(session, shared.scope, "raw", **Q2)
        assert _report(session, shared.scope, "aggregates", **Q2) == raw

    def test_a_refresh_after_new_data_and_a_repeated_refresh_stay_exact(
        self, session: Session, shared: Shared
    ) -> None:
        a, b, c = shared.dealers
        rnd = random.Random(7)
        # A customer of A only so far gets invitations at B and C in May: they become shared.
        newcomer = create_report_customer(session, dealer=a, segment="vip")
        _invite(session, rnd, dealer=a, customer=newcomer, due=date(2025, 5, 3))
        _refresh(session, a, date(2025, 5, 1), date(2025, 6, 1))
        for dealer in (b, c):
            _invite(session, rnd, dealer=dealer, customer=newcomer, due=date(2025, 5, 20))
            _refresh(session, dealer, date(2025, 5, 15), date(2025, 5, 25))
        for kwargs in REPORTS:
            raw = _report(session, shared.scope, "raw", **kwargs)
            assert _report(session, shared.scope, "aggregates", **kwargs) == raw, kwargs
        table = ReportFunnelSharedCustomer.__table__  # type: ignore[attr-defined]
        assert newcomer.id is not None
        rows = session.execute(
            select(table.c.dealer_id).where(
                table.c.customer_id == newcomer.id, table.c.grain == "month"
            )
        ).scalars()
        assert set(rows) == {a.id, b.id, c.id}

        # Refreshing again, in other chunks, changes nothing.
        before = [_report(session, shared.scope, "aggregates", **kw) for kw in REPORTS]
        for dealer in (a, b, c):
            for since, until in (
                (date(2025, 2, 10), date(2025, 7, 1)),
                (date(2025, 1, 1), YEAR["end"]),
            ):
                _refresh(session, dealer, since, until)
        assert [_report(session, shared.scope, "aggregates", **kw) for kw in REPORTS] == before

        # B's invitation goes away: the customer is shared by A and C only.
        invitation = session.execute(
            select(Invitation).where(
                Invitation.customer_id == newcomer.id, Invitation.dealer_id == b.id
            )
        ).scalar_one()
        invitation.due_date = date(2024, 5, 20)  # moved out of 2025 (as if corrected)
        session.add(invitation)
        session.flush()
        _refresh(session, b, date(2024, 5, 1), date(2025, 6, 1))
        for kwargs in REPORTS:
            raw = _report(session, shared.scope, "raw", **kwargs)
            assert _report(session, shared.scope, "aggregates", **kwargs) == raw, kwargs
        rows = session.execute(
            select(table.c.dealer_id).where(
                table.c.customer_id == newcomer.id,
                table.c.grain == "month",
                table.c.period_start == date(2025, 5, 1),
            )
        ).scalars()
        assert set(rows) == {a.id, c.id}
