"""``GET /api/v1/audit``: the audit log, for administrators, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service as audit_service
from app.audit.models import ActorType, AuditEventPublic, AuditEventsPublic
from app.audit.repository import AuditFilter
from app.deps import AdminUser, SessionDep

router = APIRouter(prefix="/audit", tags=["audit"])

Id = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
Text = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.get("", response_model=AuditEventsPublic)
def list_audit_events(
    caller: AdminUser,
    session: SessionDep,
    action: Text = None,
    actor_type: ActorType | None = None,
    actor_id: Id = None,
    object_type: Text = None,
    object_id: Text = None,
    dealer_id: Id = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> AuditEventsPublic:
    """Audit events of the administrator's dealers (a platform administrator sees all)."""
    events, total = audit_service.list_events(
        session,
        dealer_ids=caller.dealer_ids,
        where=AuditFilter(
            action=action,
            actor_type=actor_type.value if actor_type else None,
            actor_id=actor_id,
            object_type=object_type,
            object_id=object_id,
            dealer_id=dealer_id,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        ),
    )
    return AuditEventsPublic(
        data=[AuditEventPublic.model_validate(e, from_attributes=True) for e in events],
        count=total,
    )
