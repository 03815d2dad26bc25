"""DMS integration endpoints: the inbound webhook, the per-dealer configuration and the
delivery state of the booking export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request

from app.auth.models import ApiScope
from app.dataset.router import Importer
from app.dataset.service import ImportResult, ImportScope
from app.deps import AdminUser, SessionDep, SettingsDep
from app.dms import service as dms_service
from app.dms.models import (
    DeliveryStatus,
    IntegrationPublic,
    IntegrationUpdate,
    OutboxesPublic,
    OutboxPublic,
    WebhookResult,
)
from app.enums import Role
from app.model_base import utcnow
from app.security.access import allow, public, request_meta
from app.security.principal import Principal

router = APIRouter(prefix="/dms", tags=["dms"])
webhook_router = APIRouter(prefix="/webhooks", tags=["dms"])

DealerId = Annotated[int, Path(ge=1, le=2**31 - 1)]
OutboxReader = Annotated[
    Principal,
    Depends(allow(roles={Role.ADMIN, Role.SUPERVISOR, Role.MANAGER}, scopes={ApiScope.READ})),
]


async def raw_body(request: Request) -> bytes:
    """The exact bytes that were signed."""
    return await request.body()


@webhook_router.post(
    "/dms",
    response_model=WebhookResult,
    dependencies=[Depends(public())],  # authenticated by the HMAC signature, not a session
    responses={
        401: {"description": "Unknown dealer, bad signature or timestamp outside the window"},
        422: {"description": "The event or its record is invalid; every error is listed"},
    },
)
def receive_dms_webhook(
    body: Annotated[bytes, Depends(raw_body)],
    x_dms_dealer: Annotated[str, Header(min_length=1, max_length=32)],
    x_dms_timestamp: Annotated[str, Header(min_length=1, max_length=20)],
    x_dms_signature: Annotated[str, Header(min_length=1, max_length=200)],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> WebhookResult:
    """A DMS event (a customer, vehicle, ownership, appointment, repair order or odometer
    reading that changed), signed with the dealer's webhook secret (docs/integration.md)."""
    return dms_service.receive_webhook(
        session,
        dealer_code=x_dms_dealer,
        timestamp=x_dms_timestamp,
        signature=x_dms_signature,
        body=body,
        now=utcnow(),
        window_seconds=settings.dms_webhook_window_seconds,
        request_id=request_meta(request)[0],
    )


@router.get("/integrations/{dealer_id}", response_model=IntegrationPublic)
def read_integration(
    dealer_id: DealerId, caller: AdminUser, session: SessionDep
) -> IntegrationPublic:
    """A dealer's DMS configuration (secrets are never returned)."""
    return dms_service.read_integration(session, dealer_id=dealer_id, dealer_ids=caller.dealer_ids)


@router.put("/integrations/{dealer_id}", response_model=IntegrationPublic)
def update_integration(
    dealer_id: DealerId,
    body: IntegrationUpdate,
    caller: AdminUser,
    session: SessionDep,
    settings: SettingsDep,
) -> IntegrationPublic:
    """Create or replace a dealer's DMS configuration; outbound URLs must be allowed."""
    return dms_service.update_integration(
        session,
        dealer_id=dealer_id,
        update=body,
        dealer_ids=caller.dealer_ids,
        allowed_networks=settings.dms_outbound_allow_networks,
        actor=caller.actor,
    )


@router.get("/outbox", response_model=OutboxesPublic)
def list_outbox(
    caller: OutboxReader,
    session: SessionDep,
    status: DeliveryStatus | None = None,
    appointment_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> OutboxesPublic:
    """Booking-export deliveries of the caller's dealers, newest first."""
    rows, total = dms_service.list_outbox(
        session,
        dealer_ids=caller.dealer_ids,
        status=status.value if status else None,
        appointment_id=appointment_id,
        limit=limit,
        offset=offset,
    )
    return OutboxesPublic(
        data=[OutboxPublic.model_validate(r, from_attributes=True) for r in rows], count=total
    )


@router.post(
    "/star/repair-orders",
    response_model=ImportResult,
    responses={
        413: {"description": "More than 5,000 repair orders or 10 MB in one request"},
        422: {"description": "Rejected; every error is listed with the STAR document's index"},
    },
)
def create_star_repair_orders(
    body: Annotated[dict[str, Any], Body()],
    caller: Importer,
    session: SessionDep,
    settings: SettingsDep,
) -> ImportResult:
    """STAR ``RepairOrder`` documents (JSON, snake_case), mapped to repair orders and odometer
    readings and imported all or nothing (mapping: docs/integration.md)."""
    scope = None if caller.dealer_ids is None else ImportScope(dealer_ids=caller.dealer_ids)
    return dms_service.import_star_repair_orders(
        session, body, scope=scope, actor=caller.actor, max_records=settings.bulk_max_records
    )
