"""The contact-centre API: next call, leases, outcomes, workshop slots."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from fastapi.responses import StreamingResponse

from app.auth.models import ApiScope
from app.contact import dialer as dialer_service
from app.contact import dispositions as disposition_service
from app.contact import service as contact_service
from app.contact import supervisor as supervisor_service
from app.contact.schemas import (
    AgentsDayPublic,
    CallbacksDuePublic,
    CallCard,
    CampaignIn,
    CampaignPublic,
    DispositionAdminPublic,
    DispositionCreate,
    DispositionUpdate,
    LeaseIn,
    LeasePublic,
    MyCallbacksPublic,
    OutcomeIn,
    OutcomePublic,
    QueueDepthPublic,
    ReassignIn,
    ReassignPublic,
    SlotsPublic,
)
from app.deps import AdminUser, SessionDep
from app.enums import InvitationType, Role
from app.errors import BadRequest
from app.model_base import utcnow
from app.security.access import allow
from app.security.principal import Principal

router = APIRouter(tags=["contact centre"])

# Agents take calls; supervisors and administrators may too (covering a shift).
Agent = Annotated[Principal, Depends(allow(roles={Role.AGENT, Role.SUPERVISOR, Role.ADMIN}))]
Staff = Annotated[
    Principal, Depends(allow(roles={Role.AGENT, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}))
]
Supervisor = Annotated[Principal, Depends(allow(roles={Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}))]
# The dialer integration: a supervisor, or a dealer's API key.
DialerReader = Annotated[
    Principal,
    Depends(allow(roles={Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}, scopes={ApiScope.READ})),
]
DialerWriter = Annotated[
    Principal,
    Depends(
        allow(roles={Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}, scopes={ApiScope.IMPORT_WRITE})
    ),
]
TaskId = Annotated[int, Path(ge=1, le=2**31 - 1)]
DealerFilter = Annotated[
    str | None,
    Query(min_length=1, max_length=32, description="only this dealer (code); default: all yours"),
]


async def get_now() -> datetime:
    """The request's clock (tests pin it through ``dependency_overrides``). ``async``: FastAPI
    runs a plain ``def`` dependency in the thread pool, a hand-off per request for a clock."""
    return utcnow()


Now = Annotated[datetime, Depends(get_now)]


@router.post(
    "/agent/next-call",
    response_model=CallCard,
    responses={204: {"description": "Nothing is callable now for the agent's dealers"}},
)
def create_next_call(caller: Agent, session: SessionDep, now: Now) -> CallCard | Response:
    """Claim the highest-priority call task callable now, with a 5-minute lease and its card."""
    card = contact_service.claim_next(
        session, agent_id=caller.id, dealer_ids=caller.dealer_ids, now=now, actor=caller.actor
    )
    return Response(status_code=204) if card is None else card


@router.get("/agent/callbacks", response_model=MyCallbacksPublic)
def list_my_callbacks(
    caller: Agent,
    session: SessionDep,
    now: Now,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> MyCallbacksPublic:
    """The callbacks the caller agreed with customers (reserved for them), earliest first."""
    return supervisor_service.my_callbacks(
        session, agent_id=caller.id, dealer_ids=caller.dealer_ids, now=now, limit=limit
    )


@router.post(
    "/call-tasks/{task_id}/lease",
    response_model=LeasePublic,
    responses={409: {"description": "The claim token is stale"}},
)
def update_lease(
    task_id: TaskId, body: LeaseIn, caller: Agent, session: SessionDep, now: Now
) -> LeasePublic:
    """Renew the lease while the card is open."""
    return contact_service.renew_lease(
        session,
        task_id=task_id,
        token=body.claim_token,
        agent_id=caller.id,
        dealer_ids=caller.dealer_ids,
        now=now,
    )


@router.post(
    "/call-tasks/{task_id}/outcome",
    response_model=OutcomePublic,
    responses={409: {"description": "Stale claim token, or the booked slot is full"}},
)
def create_outcome(
    task_id: TaskId, body: OutcomeIn, caller: Agent, session: SessionDep, now: Now
) -> OutcomePublic:
    """Record the call: disposition, note, callback time or booking, with all their effects."""
    return contact_service.record_outcome(
        session,
        task_id=task_id,
        body=body,
        agent_id=caller.id,
        dealer_ids=caller.dealer_ids,
        now=now,
        actor=caller.actor,
    )


@router.get("/dealers/{code}/slots", response_model=SlotsPublic)
def list_slots(
    code: Annotated[str, Path(min_length=1, max_length=32)],
    caller: Staff,
    session: SessionDep,
    now: Now,
    first: Annotated[date | None, Query(alias="from", description="default: today")] = None,
    last: Annotated[date | None, Query(alias="to", description="default: from + 13 days")] = None,
    duration: Annotated[int, Query(ge=15, le=600)] = 60,
) -> SlotsPublic:
    """Free workshop slots (dealer-local times) from ``from`` to ``to`` inclusive."""
    first = first or now.date()
    last = last or first + timedelta(days=13)
    return contact_service.list_slots(
        session,
        dealer_code=code,
        first=first,
        last=last,
        duration_minutes=duration,
        dealer_ids=caller.dealer_ids,
        now=now,
    )


# Supervision -------------------------------------------------------------------------------


@router.get("/supervisor/queue", response_model=QueueDepthPublic)
def read_queue_depth(
    caller: Supervisor, session: SessionDep, now: Now, dealer: DealerFilter = None
) -> QueueDepthPublic:
    """Open tasks by dealer, reason and status, with how many are callable now."""
    scope = supervisor_service.narrow_scope(session, dealer_ids=caller.dealer_ids, dealer=dealer)
    return supervisor_service.queue_depth(session, dealer_ids=scope, now=now)


@router.get("/supervisor/callbacks", response_model=CallbacksDuePublic)
def list_callbacks_due(
    caller: Supervisor,
    session: SessionDep,
    now: Now,
    within_minutes: Annotated[int, Query(ge=0, le=7 * 24 * 60)] = 60,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    dealer: DealerFilter = None,
) -> CallbacksDuePublic:
    """Callbacks agreed for before now + ``within_minutes``, the most overdue first."""
    scope = supervisor_service.narrow_scope(session, dealer_ids=caller.dealer_ids, dealer=dealer)
    return supervisor_service.callbacks_due(
        session,
        dealer_ids=scope,
        now=now,
        within=timedelta(minutes=within_minutes),
        limit=limit,
    )


@router.get("/supervisor/agents", response_model=AgentsDayPublic)
def list_agents_day(
    caller: Supervisor,
    session: SessionDep,
    now: Now,
    day: Annotated[date | None, Query(description="default: today in time_zone")] = None,
    time_zone: Annotated[str, Query(max_length=64)] = "UTC",
    dealer: DealerFilter = None,
) -> AgentsDayPublic:
    """Calls, contacts and bookings per agent on ``day`` (in ``time_zone``), and tasks held now."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadRequest(f"time_zone: unknown time zone {time_zone!r}") from exc
    since = datetime.combine(day or now.astimezone(zone).date(), datetime.min.time(), tzinfo=zone)
    scope = supervisor_service.narrow_scope(session, dealer_ids=caller.dealer_ids, dealer=dealer)
    return supervisor_service.agents_day(session, dealer_ids=scope, since=since)


@router.patch("/dealers/{code}/campaigns/{invitation_type}", response_model=CampaignPublic)
def update_campaign(
    code: Annotated[str, Path(min_length=1, max_length=32)],
    invitation_type: InvitationType,
    body: CampaignIn,
    caller: Supervisor,
    session: SessionDep,
    now: Now,
) -> CampaignPublic:
    """Pause or resume a campaign (an invitation type at a dealer), or re-prioritise it."""
    return supervisor_service.update_campaign(
        session,
        dealer_code=code,
        kind=invitation_type,
        body=body,
        dealer_ids=caller.dealer_ids,
        now=now,
        actor=caller.actor,
    )


@router.post("/call-tasks/{task_id}/reassign", response_model=ReassignPublic)
def create_reassignment(
    task_id: TaskId, body: ReassignIn, caller: Supervisor, session: SessionDep, now: Now
) -> ReassignPublic:
    """Give an open task to an agent (a callback reserved for them), or back to the queue."""
    return supervisor_service.reassign_task(
        session,
        task_id=task_id,
        body=body,
        dealer_ids=caller.dealer_ids,
        now=now,
        actor=caller.actor,
    )


# Dialer ------------------------------------------------------------------------------------


@router.get(
    "/dialer/queue.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The callable queue"}},
)
def read_dialer_queue(caller: DialerReader, session: SessionDep, now: Now) -> StreamingResponse:
    """The callable queue for a predictive dialer (columns: see app/contact/dialer.py)."""
    return StreamingResponse(
        dialer_service.export_queue(session, dealer_ids=caller.dealer_ids, now=now),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="call-queue.csv"'},
    )


@router.post(
    "/dialer/results",
    responses={422: {"description": "Nothing applied; every bad row is listed with its number"}},
)
def create_dialer_results(
    data: Annotated[bytes, Body(media_type="text/csv")],
    caller: DialerWriter,
    session: SessionDep,
    now: Now,
) -> dict[str, object]:
    """Apply a dialer's results (dispositions) CSV, all or nothing, with the outcome's effects."""
    return dialer_service.import_results(
        session, data=data, dealer_ids=caller.dealer_ids, now=now, actor=caller.actor
    )


# Disposition administration (per dealer group) --------------------------------------------------

GroupId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Code = Annotated[str, Path(min_length=1, max_length=32)]


@router.get("/dealer-groups/{group_id}/dispositions", response_model=list[DispositionAdminPublic])
def list_dispositions(
    group_id: GroupId, caller: AdminUser, session: SessionDep
) -> list[DispositionAdminPublic]:
    """The group's call result codes with their semantic flags (the default set the first
    time), active and deactivated."""
    rows = disposition_service.list_dispositions(
        session, group_id=group_id, dealer_ids=caller.dealer_ids
    )
    return [DispositionAdminPublic.model_validate(r) for r in rows]


@router.post(
    "/dealer-groups/{group_id}/dispositions",
    response_model=DispositionAdminPublic,
    status_code=201,
    responses={409: {"description": "The code exists already in the group"}},
)
def create_disposition(
    group_id: GroupId, data: DispositionCreate, caller: AdminUser, session: SessionDep
) -> DispositionAdminPublic:
    row = disposition_service.create_disposition(
        session, group_id=group_id, data=data, actor=caller.actor, dealer_ids=caller.dealer_ids
    )
    return DispositionAdminPublic.model_validate(row)


@router.patch(
    "/dealer-groups/{group_id}/dispositions/{disposition_code}",
    response_model=DispositionAdminPublic,
)
def update_disposition(
    group_id: GroupId,
    disposition_code: Code,
    data: DispositionUpdate,
    caller: AdminUser,
    session: SessionDep,
) -> DispositionAdminPublic:
    row = disposition_service.update_disposition(
        session,
        group_id=group_id,
        code=disposition_code,
        data=data,
        actor=caller.actor,
        dealer_ids=caller.dealer_ids,
    )
    return DispositionAdminPublic.model_validate(row)


@router.delete(
    "/dealer-groups/{group_id}/dispositions/{disposition_code}",
    status_code=204,
    responses={409: {"description": "Recorded calls use it: deactivate it instead"}},
)
def delete_disposition(
    group_id: GroupId, disposition_code: Code, caller: AdminUser, session: SessionDep
) -> None:
    disposition_service.delete_disposition(
        session,
        group_id=group_id,
        code=disposition_code,
        actor=caller.actor,
        dealer_ids=caller.dealer_ids,
    )
