"""Queries deciding what a dealer-scoped caller may write through the dataset import."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session, col

from app.call.models import Appointment
from app.customer.models import Customer
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


def _chunks(values: Collection[str]) -> list[list[str]]:
    items = sorted(values)
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]


class ImportScopeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

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
        for chunk in _chunks(customers):
            out.customers |= set(
                self.session.execute(
                    select(col(Customer.external_id))
                    .join(Dealer, col(Dealer.id) == col(Customer.dealer_id))
                    .where(
                        col(Customer.source) == source,
                        col(Customer.external_id).in_(chunk),
                        outside,
                    )
                ).scalars()
            )
        for chunk in _chunks(vins):
            out.vehicles |= set(
                self.session.execute(
                    select(col(Vehicle.vin))
                    .join(Dealer, col(Dealer.id) == col(Vehicle.dealer_id))
                    .where(col(Vehicle.vin).in_(chunk), outside)
                ).scalars()
            )
        for chunk in _chunks(repair_orders):
            out.repair_orders |= set(
                self.session.execute(
                    select(col(RepairOrder.external_id))
                    .join(Dealer, col(Dealer.id) == col(RepairOrder.dealer_id))
                    .where(
                        col(RepairOrder.source) == source,
                        col(RepairOrder.external_id).in_(chunk),
                        outside,
                    )
                ).scalars()
            )
        for chunk in _chunks(appointments):
            out.appointments |= {
                str(v)
                for v in self.session.execute(
                    select(col(Appointment.external_id))
                    .join(Dealer, col(Dealer.id) == col(Appointment.dealer_id))
                    .where(
                        col(Appointment.source) == source,
                        col(Appointment.external_id).in_(chunk),
                        outside,
                    )
                ).scalars()
            }
        return out
