from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from app.audit.models import AuditEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFilter:
    action: str | None = None
    actor_type: str | None = None
    actor_id: int | None = None
    object_type: str | None = None
    object_id: str | None = None
    dealer_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    offset: int = 0


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def list(
        self, *, dealer_ids: frozenset[int] | None, where: AuditFilter
    ) -> tuple[list[AuditEvent], int]:
        """Newest first. A dealer-scoped reader sees only events of its dealers."""
        conditions: list[ColumnElement[bool]] = []
        if dealer_ids is not None:
            conditions.append(col(AuditEvent.dealer_id).in_(sorted(dealer_ids)))
        for name in ("action", "actor_type", "actor_id", "object_type", "object_id", "dealer_id"):
            value = getattr(where, name)
            if value is not None:
                conditions.append(col(getattr(AuditEvent, name)) == value)
        if where.since is not None:
            conditions.append(col(AuditEvent.at) >= where.since)
        if where.until is not None:
            conditions.append(col(AuditEvent.at) < where.until)
        total = self.session.execute(
            select(func.count()).select_from(AuditEvent).where(*conditions)
        ).scalar_one()
        rows = self.session.execute(
            select(AuditEvent)
            .where(*conditions)
            .order_by(col(AuditEvent.id).desc())
            .limit(where.limit)
            .offset(where.offset)
        ).scalars()
        return list(rows), int(total)
