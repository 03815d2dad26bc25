"""Vehicle services."""

from __future__ import annotations

from sqlmodel import Session

from app.errors import NotFound
from app.models import OdometerReading
from app.security.principal import DealerScope
from app.vehicle.repository import VehicleRepository


def list_odometer_readings(
    session: Session, *, vehicle_id: int, dealer_ids: DealerScope
) -> list[OdometerReading]:
    """Every reading of a vehicle, accepted or rejected (with the reason), newest first."""
    repo = VehicleRepository(session)
    if repo.visible(vehicle_id, dealer_ids) is None:
        raise NotFound("vehicle not found")
    return repo.odometer_readings(vehicle_id)
