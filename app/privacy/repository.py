"""Queries for customer export, erasure and the inactivity retention job."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, exists, select, update
from sqlmodel import Session, SQLModel, col

from app.call.models import Appointment, CallAttempt, CallTask, Invitation
from app.customer.models import Customer, CustomerPhone
from app.enums import CallTaskStatus, CustomerStatus
from app.security.principal import DealerScope, in_scope
from app.vehicle.models import Ownership, RepairOrder, RepairOrderLine, Vehicle


class PrivacyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def customer(self, customer_id: int, *, dealer_ids: DealerScope) -> Customer | None:
        return self.session.execute(
            select(Customer).where(
                col(Customer.id) == customer_id, in_scope(Customer.dealer_id, dealer_ids)
            )
        ).scalar_one_or_none()

    def _all(self, model: type[SQLModel], *conditions: Any) -> list[Any]:
        pk = model.__table__.primary_key.columns  # type: ignore[attr-defined]
        return list(self.session.execute(select(model).where(*conditions).order_by(*pk)).scalars())

    def phones(self, customer_id: int) -> list[CustomerPhone]:
        return self._all(CustomerPhone, col(CustomerPhone.customer_id) == customer_id)

    def ownerships(self, customer_id: int) -> list[Ownership]:
        return self._all(Ownership, col(Ownership.customer_id) == customer_id)

    def vehicles(self, vehicle_ids: Sequence[int]) -> list[Vehicle]:
        return self._all(Vehicle, col(Vehicle.id).in_(vehicle_ids))

    def repair_orders(self, customer_id: int) -> list[RepairOrder]:
        return self._all(RepairOrder, col(RepairOrder.customer_id) == customer_id)

    def repair_order_lines(self, repair_order_ids: Sequence[int]) -> list[RepairOrderLine]:
        return self._all(
            RepairOrderLine, col(RepairOrderLine.repair_order_id).in_(repair_order_ids)
        )

    def appointments(self, customer_id: int) -> list[Appointment]:
        return self._all(Appointment, col(Appointment.customer_id) == customer_id)

    def invitations(self, customer_id: int) -> list[Invitation]:
        return self._all(Invitation, col(Invitation.customer_id) == customer_id)

    def call_tasks(self, customer_id: int) -> list[CallTask]:
        return self._all(CallTask, col(CallTask.customer_id) == customer_id)

    def call_attempts(self, task_ids: Sequence[int]) -> list[CallAttempt]:
        return self._all(CallAttempt, col(CallAttempt.call_task_id).in_(task_ids))

    def anonymise(self, customer: Customer, *, now: datetime) -> tuple[int, int]:
        """Strip personal data from one customer; returns (phones removed, notes cleared)."""
        assert customer.id is not None
        customer.first_name = None
        customer.last_name = None
        customer.company_name = None
        customer.email = None
        # The DMS key identifies the person in the source system; a later re-import of the same
        # record creates a new customer instead of restoring the erased one.
        customer.external_id = f"erased-{customer.id}"
        customer.status = CustomerStatus.ERASED.value
        customer.erased_at = now
        customer.marketing_calls = False
        customer.do_not_call = True
        self.session.add(customer)
        phones = self.session.execute(
            delete(CustomerPhone).where(col(CustomerPhone.customer_id) == customer.id)
        )
        task_ids = select(col(CallTask.id)).where(col(CallTask.customer_id) == customer.id)
        notes = self.session.execute(
            update(CallAttempt)
            .where(col(CallAttempt.call_task_id).in_(task_ids), col(CallAttempt.note).is_not(None))
            .values(note=None)
        )
        self.session.execute(
            update(CallTask)
            .where(
                col(CallTask.customer_id) == customer.id,
                col(CallTask.status) != CallTaskStatus.CLOSED.value,
            )
            .values(status=CallTaskStatus.CLOSED.value, closed_at=now, lease_agent_id=None)
        )
        return int(phones.rowcount or 0), int(notes.rowcount or 0)  # type: ignore[attr-defined]

    def inactive_customer_ids(self, *, cutoff: datetime, limit: int | None) -> list[int]:
        """Customers (not yet erased) with no RO, appointment, call attempt or import update
        since ``cutoff``."""
        cutoff_date: date = cutoff.date()
        recent_ro = exists().where(
            col(RepairOrder.customer_id) == col(Customer.id),
            col(RepairOrder.opened_date) >= cutoff_date,
        )
        recent_vehicle_ro = exists().where(
            col(Ownership.customer_id) == col(Customer.id),
            col(RepairOrder.vehicle_id) == col(Ownership.vehicle_id),
            col(RepairOrder.opened_date) >= cutoff_date,
        )
        recent_appointment = exists().where(
            col(Appointment.customer_id) == col(Customer.id), col(Appointment.slot_start) >= cutoff
        )
        recent_attempt = exists().where(
            and_(
                col(CallTask.customer_id) == col(Customer.id),
                col(CallAttempt.call_task_id) == col(CallTask.id),
                col(CallAttempt.started_at) >= cutoff,
            )
        )
        stmt = (
            select(col(Customer.id))
            .where(
                col(Customer.status) != CustomerStatus.ERASED.value,
                col(Customer.updated_at) < cutoff,
                ~recent_ro,
                ~recent_vehicle_ro,
                ~recent_appointment,
                ~recent_attempt,
            )
            .order_by(col(Customer.id))
            .limit(limit)
        )
        return [int(i) for i in self.session.execute(stmt).scalars()]

    def customers(self, ids: Sequence[int]) -> list[Customer]:
        return self._all(Customer, col(Customer.id).in_(ids))
