"""Queries of vehicles and their odometer readings."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from app.dataset.repository import table_of
from app.models import OdometerReading, Vehicle
from app.security.principal import DealerScope, in_scope


class VehicleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def visible(self, vehicle_id: int, dealer_ids: DealerScope) -> Vehicle | None:
        v = table_of(Vehicle)
        stmt = select(Vehicle).where(v.c.id == vehicle_id, in_scope(v.c.dealer_id, dealer_ids))
        return self.session.execute(stmt).scalar_one_or_none()

    def odometer_readings(self, vehicle_id: int) -> list[OdometerReading]:
        o = table_of(OdometerReading)
        stmt = (
            select(OdometerReading)
            .where(o.c.vehicle_id == vehicle_id)
            .order_by(o.c.reading_date.desc(), o.c.source)
        )
        return list(self.session.execute(stmt).scalars())
