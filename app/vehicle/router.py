"""``/api/v1/vehicles``: what the service knows about a vehicle."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel

from app.auth.models import ApiScope
from app.deps import SessionDep
from app.enums import OdometerSource
from app.security.access import ALL_ROLES, allow
from app.security.principal import Principal
from app.vehicle import service as vehicle_service

router = APIRouter(prefix="/vehicles", tags=["vehicles"])

Reader = Annotated[Principal, Depends(allow(roles=ALL_ROLES, scopes={ApiScope.READ}))]


class OdometerReadingPublic(BaseModel):
    reading_date: date
    value_km: int
    source: OdometerSource
    accepted: bool
    rejection_reason: str | None
    odometer_replaced: bool


class OdometerReadingsPublic(BaseModel):
    data: list[OdometerReadingPublic]
    count: int


@router.get("/{vehicle_id}/odometer-readings", response_model=OdometerReadingsPublic)
def list_odometer_readings(
    vehicle_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    caller: Reader,
    session: SessionDep,
) -> OdometerReadingsPublic:
    """Every reading, newest first; rejected ones (backwards, over 500 km/day) with the reason."""
    rows = vehicle_service.list_odometer_readings(
        session, vehicle_id=vehicle_id, dealer_ids=caller.dealer_ids
    )
    return OdometerReadingsPublic(
        data=[OdometerReadingPublic.model_validate(r, from_attributes=True) for r in rows],
        count=len(rows),
    )
