"""``/api/v1/customers``: search, the customer card, its timeline and consent changes.

Any signed-in role, scoped to the caller's dealers (another dealer's customer answers 404).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from app.customer import service as customer_service
from app.customer.models import ConsentUpdate, CustomerPublic, CustomersPublic, TimelinePublic
from app.deps import AnyUser, SessionDep
from app.model_base import utcnow

router = APIRouter(prefix="/customers", tags=["customers"])

CustomerId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such customer among your dealers"}
}


@router.get("", response_model=CustomersPublic)
def list_customers(
    caller: AnyUser,
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(min_length=2, max_length=100, description="phone, VIN, plate or name; none: all"),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> CustomersPublic:
    """Customers of your dealers matching a phone number, VIN, registration or name."""
    return customer_service.search_customers(
        session, query=q, dealer_ids=caller.dealer_ids, limit=limit, offset=offset
    )


@router.get("/{customer_id}", response_model=CustomerPublic, responses=NOT_FOUND)
def read_customer(customer_id: CustomerId, caller: AnyUser, session: SessionDep) -> CustomerPublic:
    """The customer card: contact details, consent, phones and vehicles."""
    return customer_service.read_customer(
        session, customer_id=customer_id, dealer_ids=caller.dealer_ids
    )


@router.get("/{customer_id}/timeline", response_model=TimelinePublic, responses=NOT_FOUND)
def read_customer_timeline(
    customer_id: CustomerId,
    caller: AnyUser,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> TimelinePublic:
    """Repair orders, invitations, calls, appointments and consent changes, newest first."""
    return customer_service.read_timeline(
        session, customer_id=customer_id, dealer_ids=caller.dealer_ids, limit=limit, offset=offset
    )


@router.patch(
    "/{customer_id}/consent",
    response_model=CustomerPublic,
    responses={**NOT_FOUND, 409: {"description": "The customer was erased"}},
)
def update_customer_consent(
    customer_id: CustomerId, change: ConsentUpdate, caller: AnyUser, session: SessionDep
) -> CustomerPublic:
    """Change the marketing-calls and do-not-call flags (audited with who, when and how);
    do-not-call closes the customer's open call tasks."""
    return customer_service.update_consent(
        session,
        customer_id=customer_id,
        change=change,
        dealer_ids=caller.dealer_ids,
        actor=caller.actor,
        now=utcnow(),
    )
