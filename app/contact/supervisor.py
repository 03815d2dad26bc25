"""Supervising the contact centre: queue depth, due callbacks, the agents' day, campaign
switches and reassigning a task. Every write is one audited transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.audit import service as audit
from app.audit.service import Actor
from app.auth.repository import AuthRepository
from app.contact.models import CampaignControl
from app.contact.repository import ContactRepository
from app.contact.schemas import (
    AgentDayPublic,
    AgentsDayPublic,
    BoardPublic,
    CallbackDuePublic,
    CallbacksDuePublic,
    CampaignIn,
    CampaignPublic,
    MyCallbackPublic,
    MyCallbacksPublic,
    QueueDepthPublic,
    QueueDepthRow,
    ReassignIn,
    ReassignPublic,
)
from app.contact.service import customer_name
from app.enums import CallTaskStatus, InvitationType, Role
from app.errors import BadRequest, Conflict, NotFound, PermissionDenied
from app.security.principal import DealerScope

# Roles that take calls, so the ones a task may be handed to.
CALL_TAKERS = frozenset({Role.AGENT.value, Role.SUPERVISOR.value, Role.ADMIN.value})


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def narrow_scope(session: Session, *, dealer_ids: DealerScope, dealer: str | None) -> DealerScope:
    """``dealer_ids`` limited to the dealer with code ``dealer`` (unchanged when None); 404 when
    that dealer is unknown or outside the caller's scope."""
    if dealer is None:
        return dealer_ids
    found = ContactRepository(session).dealer_by_code(dealer, dealer_ids=dealer_ids)
    if found is None or found.id is None:
        raise NotFound(f"dealer {dealer!r} not found")
    return frozenset({found.id})


def my_callbacks(
    session: Session, *, agent_id: int, dealer_ids: DealerScope, now: datetime, limit: int
) -> MyCallbacksPublic:
    """The callbacks the agent agreed (reserved for them), earliest first."""
    rows = ContactRepository(session).agent_callbacks(
        agent_id=agent_id, dealer_ids=dealer_ids, limit=limit
    )
    data = []
    for r in rows:
        data.append(
            MyCallbackPublic(
                task_id=r.id,
                dealer=r.code,
                customer_id=r.customer_id,
                customer_name=customer_name(
                    first_name=r.first_name,
                    last_name=r.last_name,
                    company_name=r.company_name,
                    customer_id=r.customer_id,
                ),
                primary_type=r.primary_type,
                callback_at=_utc(r.callback_at),
                overdue=_utc(r.callback_at) <= now,
            )
        )
    return MyCallbacksPublic(as_of=now, data=data)


def _names(session: Session, user_ids: set[int]) -> dict[int, str]:
    return AuthRepository(session).display_names(user_ids)


def read_board(session: Session, *, dealer_id: int, dealer_ids: DealerScope) -> BoardPublic:
    """The dealer of a supervisor board and its campaigns (every invitation type, with the
    defaults for those never switched). Another dealer's board is refused (403)."""
    if dealer_ids is not None and dealer_id not in dealer_ids:
        raise PermissionDenied("you do not supervise this dealer")
    repo = ContactRepository(session)
    dealer = repo.dealer(dealer_id)
    if dealer is None or dealer.id is None:
        raise NotFound("dealer not found")
    controls = {c.invitation_type: c for c in repo.campaigns(dealer.id)}
    campaigns = []
    for kind in InvitationType:
        control = controls.get(kind.value)
        campaigns.append(
            CampaignPublic(
                dealer=dealer.code,
                invitation_type=kind,
                paused=control.paused if control else False,
                priority_boost=control.priority_boost if control else 0,
            )
        )
    return BoardPublic(
        dealer_id=dealer.id,
        dealer=dealer.code,
        name=dealer.name,
        time_zone=dealer.time_zone,
        campaigns=campaigns,
    )


def queue_depth(session: Session, *, dealer_ids: DealerScope, now: datetime) -> QueueDepthPublic:
    """Open tasks by dealer, reason (the task's primary invitation type) and status."""
    rows = ContactRepository(session).queue_depth(dealer_ids=dealer_ids, now=now)
    return QueueDepthPublic(
        as_of=now,
        data=[
            QueueDepthRow(
                dealer=r.code,
                reason=r.primary_type,
                status=r.status,
                tasks=int(r.tasks),
                callable_now=int(r.callable_now or 0),
            )
            for r in rows
        ],
    )


def callbacks_due(
    session: Session, *, dealer_ids: DealerScope, now: datetime, within: timedelta, limit: int
) -> CallbacksDuePublic:
    """Callbacks agreed for before ``now + within``, the most overdue first."""
    rows = ContactRepository(session).callbacks_due(
        dealer_ids=dealer_ids, until=now + within, limit=limit
    )
    names = _names(session, {r.callback_agent_id for r in rows if r.callback_agent_id})
    return CallbacksDuePublic(
        as_of=now,
        data=[
            CallbackDuePublic(
                task_id=r.id,
                dealer=r.code,
                callback_at=_utc(r.callback_at),
                agent_id=r.callback_agent_id,
                agent_name=names.get(r.callback_agent_id),
                priority=r.priority,
                overdue=_utc(r.callback_at) <= now,
            )
            for r in rows
        ],
    )


def agents_day(session: Session, *, dealer_ids: DealerScope, since: datetime) -> AgentsDayPublic:
    """Per agent since ``since``: calls made, customers reached, bookings, tasks held now."""
    repo = ContactRepository(session)
    held = repo.held_per_agent(dealer_ids=dealer_ids)
    rows = {r.agent_id: r for r in repo.tasks_per_agent(dealer_ids=dealer_ids, since=since)}
    agents = sorted({a for a in rows if a is not None} | set(held))
    names = _names(session, set(agents))
    data = []
    for agent_id in agents:
        row = rows.get(agent_id)
        data.append(
            AgentDayPublic(
                agent_id=agent_id,
                name=names.get(agent_id),
                attempts=int(row.attempts) if row else 0,
                reached=int(row.reached or 0) if row else 0,
                booked=int(row.booked or 0) if row else 0,
                held_now=held.get(agent_id, 0),
            )
        )
    return AgentsDayPublic(since=since, data=data)


def update_campaign(
    session: Session,
    *,
    dealer_code: str,
    kind: InvitationType,
    body: CampaignIn,
    dealer_ids: DealerScope,
    now: datetime,
    actor: Actor,
) -> CampaignPublic:
    """Pause/resume a campaign (an invitation type at a dealer) or change its priority boost.

    A new boost shifts the priority of the campaign's open tasks by the difference to the old one,
    so setting it back to 0 restores their planned priorities.
    """
    if body.paused is None and body.priority_boost is None:
        raise BadRequest("paused: give paused and/or priority_boost")
    repo = ContactRepository(session)
    dealer = repo.dealer_by_code(dealer_code, dealer_ids=dealer_ids)
    if dealer is None or dealer.id is None:
        raise NotFound(f"dealer {dealer_code!r} not found")
    control = repo.campaign(dealer.id, kind.value)
    if control is None:
        control = CampaignControl(dealer_id=dealer.id, invitation_type=kind.value)
    before = {"paused": control.paused, "priority_boost": control.priority_boost}
    shifted = 0
    if body.paused is not None:
        control.paused = body.paused
    if body.priority_boost is not None and body.priority_boost != control.priority_boost:
        shifted = repo.shift_priority(
            dealer_id=dealer.id,
            kind=kind.value,
            delta=body.priority_boost - control.priority_boost,
            now=now,
        )
        control.priority_boost = body.priority_boost
    control.updated_at = now
    session.add(control)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="campaign.update",
        object_type="campaign_control",
        object_id=control.id,
        dealer_id=dealer.id,
        before=before,
        after={
            "invitation_type": kind.value,
            "paused": control.paused,
            "priority_boost": control.priority_boost,
            "tasks_reprioritised": shifted,
        },
    )
    session.commit()
    return CampaignPublic(
        dealer=dealer.code,
        invitation_type=kind,
        paused=control.paused,
        priority_boost=control.priority_boost,
        tasks_reprioritised=shifted,
    )


def reassign_task(
    session: Session,
    *,
    task_id: int,
    body: ReassignIn,
    dealer_ids: DealerScope,
    now: datetime,
    actor: Actor,
) -> ReassignPublic:
    """Hand an open task to an agent (as a callback reserved for them from ``callback_at``,
    default now) or, with no agent, back to the shared queue. A lease held by anyone ends: the
    holder's claim token becomes stale."""
    repo = ContactRepository(session)
    row = repo.task_for_update(task_id, dealer_ids=dealer_ids)
    if row is None:
        raise NotFound(f"call task {task_id} not found")
    if row.status == CallTaskStatus.CLOSED.value:
        raise Conflict(f"call task {task_id} is closed")
    if body.agent_id is not None:
        _check_agent(session, body.agent_id, dealer_id=row.dealer_id)
    before: dict[str, Any] = {
        "status": row.status,
        "lease_agent_id": row.lease_agent_id,
        "callback_agent_id": row.callback_agent_id,
    }
    lease_free = {"lease_agent_id": None, "lease_expires_at": None, "claim_token": None}
    if body.agent_id is None:
        if body.callback_at is not None:
            raise BadRequest("callback_at: only with agent_id (a reserved callback)")
        values: dict[str, Any] = {
            "status": CallTaskStatus.READY.value,
            "next_attempt_at": now,
            "callback_at": None,
            "callback_agent_id": None,
        }
    else:
        values = {
            "status": CallTaskStatus.CALLBACK.value,
            "callback_at": body.callback_at or now,
            "callback_agent_id": body.agent_id,
        }
    repo.update_task(task_id, updated_at=now, **values, **lease_free)
    audit.record(
        session,
        actor=actor,
        action="call_task.reassign",
        object_type="call_task",
        object_id=task_id,
        dealer_id=row.dealer_id,
        before=before,
        after={k: v for k, v in values.items() if k != "next_attempt_at"},
    )
    session.commit()
    return ReassignPublic(
        task_id=task_id,
        status=values["status"],
        agent_id=body.agent_id,
        callback_at=values["callback_at"],
    )


def _check_agent(session: Session, agent_id: int, *, dealer_id: int) -> None:
    auth = AuthRepository(session)
    user = auth.user(agent_id)
    if user is None or not user.is_active or user.role not in CALL_TAKERS:
        raise BadRequest(f"agent_id: {agent_id} is not an active agent")
    scope = auth.dealer_ids_of(user)
    if scope is not None and dealer_id not in scope:
        raise BadRequest(f"agent_id: agent {agent_id} does not work for this task's dealer")


def release_expired_leases(session: Session, *, now: datetime, batch: int = 500) -> int:
    """Return every task whose lease expired to the queue; one commit per batch."""
    released = 0
    while True:
        count = ContactRepository(session).release_expired_leases(now=now, limit=batch)
        session.commit()
        released += count
        if count < batch:
            return released
