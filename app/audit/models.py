"""The append-only audit log. Database triggers (migration 0002) reject UPDATE and DELETE."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel
from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from app.model_base import enum_check, tz_datetime, utcnow
from app.types import JsonType


def _as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes for timestamptz columns; they are UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# A datetime for API responses: always with an offset (RFC 3339), whatever the database.
UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


class ActorType(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    SYSTEM = "system"


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        enum_check("actor_type", ActorType),
        Index("ix_audit_event_dealer_id_at", "dealer_id", "at"),
        Index("ix_audit_event_object_type_object_id", "object_type", "object_id"),
        Index("ix_audit_event_action_at", "action", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=tz_datetime())
    actor_type: str = Field(max_length=16)
    # No foreign keys: the log outlives the users, keys and dealers it names.
    actor_id: int | None = None
    action: str = Field(max_length=64)
    outcome: str = Field(default="success", max_length=16)
    object_type: str | None = Field(default=None, max_length=64)
    object_id: str | None = Field(default=None, max_length=64)
    dealer_id: int | None = None
    request_id: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonType))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonType))


class AuditEventPublic(BaseModel):
    id: int
    at: UtcDatetime
    actor_type: ActorType
    actor_id: int | None
    action: str
    outcome: str
    object_type: str | None
    object_id: str | None
    dealer_id: int | None
    request_id: str | None
    ip: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditEventsPublic(BaseModel):
    data: list[AuditEventPublic]
    count: int
