"""``/api/v1/dealers``: the caller's dealers, and their settings (administrators)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app.dealer import service as dealer_service
from app.dealer.models import DealerSettingsPublic, DealerSettingsUpdate, DealersPublic
from app.deps import AdminUser, AnyUser, SessionDep

router = APIRouter(prefix="/dealers", tags=["dealers"])

DealerId = Annotated[int, Path(ge=1, le=2**31 - 1)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such dealer among yours"}}


@router.get("", response_model=DealersPublic)
def list_dealers(
    caller: AnyUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> DealersPublic:
    """The dealers you work on, by code."""
    return dealer_service.list_dealers(
        session, dealer_ids=caller.dealer_ids, limit=limit, offset=offset
    )


@router.get("/{dealer_id}/settings", response_model=DealerSettingsPublic, responses=NOT_FOUND)
def read_dealer_settings(
    dealer_id: DealerId, caller: AdminUser, session: SessionDep
) -> DealerSettingsPublic:
    """Rule overrides (with every default), calling windows, capacity and opening hours."""
    return dealer_service.read_dealer_settings(
        session, dealer_id=dealer_id, dealer_ids=caller.dealer_ids
    )


@router.patch("/{dealer_id}/settings", response_model=DealerSettingsPublic, responses=NOT_FOUND)
def update_dealer_settings(
    dealer_id: DealerId, change: DealerSettingsUpdate, caller: AdminUser, session: SessionDep
) -> DealerSettingsPublic:
    """Change the dealer's settings (validated like the import; audited)."""
    return dealer_service.update_dealer_settings(
        session,
        dealer_id=dealer_id,
        change=change,
        dealer_ids=caller.dealer_ids,
        actor=caller.actor,
    )
