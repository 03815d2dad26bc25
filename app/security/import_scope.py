"""Queries deciding what a dealer-scoped caller may write through the dataset import."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.call.models import Appointment
from app.customer.models import Customer
from app.db import pg_any
from app.dealer.models import Dealer
from app.vehicle.models import RepairOrder, Vehicle

CHUNK = 500


@dataclass(slots=True)
class ForeignKeys:
    """Keys named by a document that are already held by a dealer outside the caller's scope."""

    customers: set[str] = field(default_factory=set)
    vehicles: set[str] = field(default_factory=set)
    repair_orders: set[str] = field(default_factory=set)
    appointments: set[str] = field(default_factory=set)


def _chunks(values: Collection[str], size: int = CHUNK) -> list[list[str]]:
    items = sorted(values)
    return [items[i : i + size] for i in range(0, len(items), size)]


class ImportScopeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._pg = session.get_bind().dialect.name == "postgresql"
        self._chunk = 5000 if self._pg else CHUNK  # one array parameter, whatever its length

    def _in(self, column: Any, values: list[str]) -> Any:
        """``column IN values``; on PostgreSQL one array parameter (``= ANY``): a short,
        constant statement instead of one with a placeholder per value."""
        if self._pg:
            return pg_any(column, values)
        return column.in_(values)

    def dealer_codes(self, dealer_ids: Collection[int]) -> set[str]:
        if not dealer_ids:
            return set()
        rows = self.session.execute(
            select(col(Dealer.code)).where(col(Dealer.id).in_(sorted(dealer_ids)))
        )
        return set(rows.scalars())

    def foreign_keys(
        self,
        *,
        source: str,
        codes: Collection[str],
        customers: Collection[str],
        vins: Collection[str],
        repair_orders: Collection[str],
        appointments: Collection[str],
    ) -> ForeignKeys:
        out = ForeignKeys()
        outside = ~col(Dealer.code).in_(sorted(codes))
        for chunk in _chunks(customers, self._chunk):
            out.customers |= set(
                self.session.execute(
                    select(col(Customer.external_id))
                    .join(Dealer, col(Dealer.id) == col(Customer.dealer_id))
                    .where(
                        col(Customer.source) == source,
                        self._in(col(Customer.external_id), chunk),
                        outside,
                    )
                ).scalars()
            )
        for chunk in _chunks(vins, self._chunk):
            out.vehicles |= set(
                self.session.execute(
                    select(col(Vehicle.vin))
                    .join(Dealer, col(Dealer.id) == col(Vehicle.dealer_id))
                    .where(self._in(col(Vehicle.vin), chunk), outside)
                ).scalars()
            )
        for chunk in _chunks(repair_orders, self._chunk):
            out.repair_orders |= set(
                self.session.execute(
                    select(col(RepairOrder.external_id))
                    .join(Dealer, col(Dealer.id) == col(RepairOrder.dealer_id))
                    .where(
                        col(RepairOrder.source) == source,
                        self._in(col(RepairOrder.external_id), chunk),
                        outside,
                    )
                ).scalars()
            )
        for chunk in _chunks(appointments, self._chunk):
            out.appointments |= {
                str(v)
                for v in self.session.execute(
                    select(col(Appointment.external_id))
                    .join(Dealer, col(Dealer.id) == col(Appointment.dealer_id))
                    .where(
                        col(Appointment.source) == source,
                        self._in(col(Appointment.external_id), chunk),
                        outside,
                    )
                ).scalars()
            }
        return out
