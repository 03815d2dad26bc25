"""Queries for customer search, the customer card, its timeline and consent changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.call.models import Appointment, CallAttempt, CallTask, Disposition, Invitation
from app.customer.models import Customer, CustomerPhone
from app.dealer.models import Dealer
from app.enums import CallTaskOutcome, CallTaskStatus
from app.security.principal import DealerScope, in_scope
from app.vehicle.models import Ownership, RepairOrder, RepairOrderLine, Vehicle

CONSENT_ACTION = "customer.consent"


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What a search box text may be: any of these that is set is matched (OR)."""

    phones: tuple[str, ...] = ()
    vin: str | None = None
    registration: str | None = None
    name: str | None = None
    everyone: bool = False  # no search text: every customer in scope


class CustomerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def countries(self, dealer_ids: DealerScope) -> list[str]:
        return sorted(
            self.session.execute(
                select(col(Dealer.country)).where(in_scope(Dealer.id, dealer_ids)).distinct()
            ).scalars()
        )

    def search(
        self, terms: SearchTerms, *, dealer_ids: DealerScope, limit: int, offset: int
    ) -> tuple[list[Customer], int]:
        matches: list[Any] = []
        if terms.phones:
            matches.append(
                col(Customer.id).in_(
                    select(col(CustomerPhone.customer_id)).where(
                        col(CustomerPhone.number).in_(terms.phones)
                    )
                )
            )
        vehicle_match = []
        if terms.vin:
            vehicle_match.append(col(Vehicle.vin) == terms.vin)
        if terms.registration:
            plate = func.upper(
                func.replace(func.replace(col(Vehicle.registration), " ", ""), "-", "")
            )
            vehicle_match.append(plate == terms.registration)
        if vehicle_match:
            matches.append(
                col(Customer.id).in_(
                    select(col(Ownership.customer_id))
                    .join(Vehicle, col(Vehicle.id) == col(Ownership.vehicle_id))
                    .where(or_(*vehicle_match))
                )
            )
        if terms.name:
            each_word = []
            for word in terms.name.lower().split()[:4]:
                pattern = word.replace("\\", "").replace("%", "").replace("_", "") + "%"
                each_word.append(
                    or_(
                        func.lower(col(Customer.last_name)).like(pattern),
                        func.lower(col(Customer.first_name)).like(pattern),
                        func.lower(col(Customer.company_name)).like(pattern),
                    )
                )
            matches.append(and_(*each_word))
        if not matches and not terms.everyone:
            return [], 0
        where = [in_scope(Customer.dealer_id, dealer_ids)]
        if matches:
            where.append(or_(*matches))
        total = self.session.execute(
            select(func.count()).select_from(Customer).where(*where)
        ).scalar_one()
        rows = self.session.execute(
            select(Customer)
            .where(*where)
            .order_by(col(Customer.last_name), col(Customer.first_name), col(Customer.id))
            .limit(limit)
            .offset(offset)
        ).scalars()
        return list(rows), int(total)

    def customer(self, customer_id: int, *, dealer_ids: DealerScope) -> Customer | None:
        return self.session.execute(
            select(Customer).where(
                col(Customer.id) == customer_id, in_scope(Customer.dealer_id, dealer_ids)
            )
        ).scalar_one_or_none()

    def dealers(self, dealer_ids: Iterable[int]) -> dict[int, Dealer]:
        rows = self.session.execute(select(Dealer).where(col(Dealer.id).in_(list(dealer_ids))))
        return {int(d.id or 0): d for d in rows.scalars()}

    def phones(self, customer_ids: Sequence[int]) -> list[CustomerPhone]:
        return list(
            self.session.execute(
                select(CustomerPhone)
                .where(col(CustomerPhone.customer_id).in_(customer_ids))
                .order_by(col(CustomerPhone.is_primary).desc(), col(CustomerPhone.id))
            ).scalars()
        )

    def vehicles(self, customer_ids: Sequence[int]) -> list[tuple[Ownership, Vehicle]]:
        rows = self.session.execute(
            select(Ownership, Vehicle)
            .join(Vehicle, col(Vehicle.id) == col(Ownership.vehicle_id))
            .where(col(Ownership.customer_id).in_(customer_ids))
            .order_by(col(Ownership.start_date).desc(), col(Vehicle.id))
        )
        return [(o, v) for o, v in rows.tuples()]

    # Timeline ----------------------------------------------------------------------------------

    def repair_orders(self, customer_id: int) -> list[tuple[RepairOrder, str, Decimal, Decimal]]:
        """(RO, VIN, customer-pay total, total) of the customer's ROs and their vehicles' ROs
        while they owned them."""
        totals = (
            select(
                col(RepairOrderLine.repair_order_id).label("ro_id"),
                func.sum(
                    col(RepairOrderLine.labor_amount) + col(RepairOrderLine.parts_amount)
                ).label("total"),
                func.sum(
                    case(
                        (
                            col(RepairOrderLine.pay_type) == "customer_pay",
                            col(RepairOrderLine.labor_amount) + col(RepairOrderLine.parts_amount),
                        ),
                        else_=0,
                    )
                ).label("customer_pay"),
            )
            .group_by(col(RepairOrderLine.repair_order_id))
            .subquery()
        )
        owned = select(col(Ownership.vehicle_id)).where(col(Ownership.customer_id) == customer_id)
        rows = self.session.execute(
            select(RepairOrder, col(Vehicle.vin), totals.c.customer_pay, totals.c.total)
            .join(Vehicle, col(Vehicle.id) == col(RepairOrder.vehicle_id))
            .outerjoin(totals, totals.c.ro_id == col(RepairOrder.id))
            .where(
                or_(
                    col(RepairOrder.customer_id) == customer_id,
                    col(RepairOrder.vehicle_id).in_(owned) & col(RepairOrder.customer_id).is_(None),
                )
            )
        )
        return [
            (ro, vin, Decimal(str(cp or 0)), Decimal(str(total or 0)))
            for ro, vin, cp, total in rows.tuples()
        ]

    def invitations(self, customer_id: int) -> list[tuple[Invitation, str]]:
        rows = self.session.execute(
            select(Invitation, col(Vehicle.vin))
            .join(Vehicle, col(Vehicle.id) == col(Invitation.vehicle_id))
            .where(col(Invitation.customer_id) == customer_id)
        )
        return [(i, vin) for i, vin in rows.tuples()]

    def appointments(self, customer_id: int) -> list[tuple[Appointment, str]]:
        rows = self.session.execute(
            select(Appointment, col(Vehicle.vin))
            .join(Vehicle, col(Vehicle.id) == col(Appointment.vehicle_id))
            .where(col(Appointment.customer_id) == customer_id)
        )
        return [(a, vin) for a, vin in rows.tuples()]

    def calls(self, customer_id: int) -> list[tuple[CallAttempt, Disposition]]:
        rows = self.session.execute(
            select(CallAttempt, Disposition)
            .join(CallTask, col(CallTask.id) == col(CallAttempt.call_task_id))
            .join(Disposition, col(Disposition.id) == col(CallAttempt.disposition_id))
            .where(col(CallTask.customer_id) == customer_id)
        )
        return [(a, d) for a, d in rows.tuples()]

    def consent_changes(self, customer_id: int) -> list[AuditEvent]:
        return list(
            self.session.execute(
                select(AuditEvent).where(
                    col(AuditEvent.object_type) == "customer",
                    col(AuditEvent.object_id) == str(customer_id),
                    col(AuditEvent.action) == CONSENT_ACTION,
                )
            ).scalars()
        )

    # Writes ------------------------------------------------------------------------------------

    def close_open_tasks(self, customer_id: int, *, now: datetime) -> int:
        """A do-not-call closes every open call task of the customer (DESIGN §3.2)."""
        result = self.session.execute(
            update(CallTask)
            .where(
                col(CallTask.customer_id) == customer_id,
                col(CallTask.status) != CallTaskStatus.CLOSED.value,
            )
            .values(
                status=CallTaskStatus.CLOSED.value,
                outcome=CallTaskOutcome.DNC.value,
                closed_at=now,
                lease_agent_id=None,
                lease_expires_at=None,
                claim_token=None,
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
