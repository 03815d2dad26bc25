"""Customer export and erasure (GDPR art. 15, 17)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from app.deps import AdminUser, SessionDep
from app.enums import Role
from app.model_base import utcnow
from app.privacy import service as privacy_service
from app.privacy.service import CustomerExport, ErasureResult
from app.security.access import allow
from app.security.principal import Principal

router = APIRouter(prefix="/customers", tags=["privacy"])

CustomerId = Annotated[int, Path(ge=1, le=2**31 - 1)]
ManagerOrAdmin = Annotated[Principal, Depends(allow(roles={Role.MANAGER, Role.ADMIN}))]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such customer among your dealers"}
}


@router.get("/{customer_id}/export", response_model=CustomerExport, responses=NOT_FOUND)
def read_customer_export(
    customer_id: CustomerId, caller: ManagerOrAdmin, session: SessionDep
) -> CustomerExport:
    """Everything held about a customer, as JSON (audited)."""
    return privacy_service.export_customer(
        session,
        customer_id=customer_id,
        dealer_ids=caller.dealer_ids,
        actor=caller.actor,
        now=utcnow(),
    )


@router.post("/{customer_id}/erase", response_model=ErasureResult, responses=NOT_FOUND)
def erase_customer(
    customer_id: CustomerId, caller: AdminUser, session: SessionDep
) -> ErasureResult:
    """Anonymise the customer's personal data; anonymous rows stay for report counts."""
    return privacy_service.erase_customer(
        session,
        customer_id=customer_id,
        dealer_ids=caller.dealer_ids,
        actor=caller.actor,
        now=utcnow(),
    )
