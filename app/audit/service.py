"""Write and read the audit log.

``record`` adds one event to the caller's session and does not commit: the event is written in
the same transaction as the change it describes, by the service's own ``session.commit()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from app.audit.models import ActorType, AuditEvent
from app.audit.repository import AuditFilter, AuditRepository
from app.model_base import utcnow
from app.security.redaction import redact

# Fields never copied into ``before``/``after``: names, contact details, free text, secrets.
PERSONAL_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "company_name",
        "display_name",
        "name",
        "email",
        "number",
        "phone",
        "phones",
        "note",
        "notes",
        "password",
        "password_hash",
        "key",
        "key_hash",
        "token",
        "token_hash",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who made a change: a user, an API key or the system (jobs, the CLI)."""

    type: ActorType
    id: int | None = None
    request_id: str | None = None
    ip: str | None = None


SYSTEM = Actor(type=ActorType.SYSTEM)


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            str(k): _clean(v) for k, v in value.items() if str(k).lower() not in PERSONAL_FIELDS
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return redact(str(value))


def _event(
    actor: Actor,
    action: str,
    object_type: str | None,
    object_id: int | str | None,
    dealer_id: int | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    outcome: str,
) -> dict[str, Any]:
    """An event's columns; ``before``/``after`` cleaned of personal data."""
    return {
        "actor_type": actor.type.value,
        "actor_id": actor.id,
        "action": action,
        "outcome": outcome,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "dealer_id": dealer_id,
        "request_id": actor.request_id,
        "ip": actor.ip,
        "before": None if before is None else _clean(before),
        "after": None if after is None else _clean(after),
    }


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str | None = None,
    object_id: int | str | None = None,
    dealer_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    outcome: str = "success",
) -> AuditEvent:
    """Add an audit event to ``session`` (committed with the caller's transaction).

    ``before``/``after`` hold the changed non-personal fields; names, phone numbers, e-mails,
    notes and secrets are dropped, and phone-like text is masked, whatever the caller passes.
    """
    event = AuditEvent(
        **_event(actor, action, object_type, object_id, dealer_id, before, after, outcome)
    )
    session.add(event)
    return event


_INSERT_EVENT = insert(AuditEvent.__table__)  # type: ignore[attr-defined]


def record_now(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str | None = None,
    object_id: int | str | None = None,
    dealer_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    outcome: str = "success",
) -> None:
    """``record``, written at once by one prebuilt INSERT in the caller's transaction, with no
    ORM object to flush: for the per-request hot paths (claiming a call, its outcome). Loops
    keep ``record``, whose events the flush batches into one statement."""
    values = _event(actor, action, object_type, object_id, dealer_id, before, after, outcome)
    session.connection().execute(_INSERT_EVENT, {**values, "at": utcnow()})


def list_events(
    session: Session, *, dealer_ids: frozenset[int] | None, where: AuditFilter
) -> tuple[list[AuditEvent], int]:
    return AuditRepository(session).list(dealer_ids=dealer_ids, where=where)
