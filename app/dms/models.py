"""DMS integration: per-dealer configuration, inbound webhook events, record versions, pull
watermarks and the appointment outbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field

from app.audit.models import UtcDatetime
from app.model_base import Timestamped, enum_check, tz_datetime
from app.types import JsonType


class AppointmentChange(StrEnum):
    BOOKED = "booked"
    MOVED = "moved"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookOutcome(StrEnum):
    APPLIED = "applied"
    STALE = "stale"
    DUPLICATE = "duplicate"


class DmsIntegration(Timestamped, table=True):
    """How one dealer's DMS talks to us and we to it. Secrets are shared with the DMS, so they
    are stored as given (they must be readable to sign and to check signatures)."""

    __tablename__ = "dms_integration"
    __table_args__ = (UniqueConstraint("dealer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    dealer_id: int = Field(foreign_key="dealer.id", ondelete="CASCADE")
    # The dataset `source` of the records this DMS sends (webhooks, the pull connector).
    source: str = Field(max_length=64)
    webhook_secret: str | None = Field(default=None, max_length=200)
    outbound_url: str | None = Field(default=None, max_length=500)
    outbound_secret: str | None = Field(default=None, max_length=200)
    pull_base_url: str | None = Field(default=None, max_length=500)
    pull_token: str | None = Field(default=None, max_length=500)
    pull_enabled: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})


class DmsWebhookEvent(Timestamped, table=True):
    """An inbound event already handled: its id makes a redelivery a no-op."""

    __tablename__ = "dms_webhook_event"
    __table_args__ = (
        UniqueConstraint("dealer_id", "event_id"),
        enum_check("outcome", [WebhookOutcome.APPLIED, WebhookOutcome.STALE]),
    )

    id: int | None = Field(default=None, primary_key=True)
    dealer_id: int = Field(foreign_key="dealer.id", ondelete="CASCADE")
    event_id: str = Field(max_length=128)
    event_type: str = Field(max_length=64)
    source_updated_at: datetime = Field(sa_type=tz_datetime())
    outcome: str = Field(max_length=16)


class DmsRecordVersion(Timestamped, table=True):
    """The DMS's update time of the newest version applied of one record, so an older version
    arriving late (webhooks are not ordered) is recognised and skipped."""

    __tablename__ = "dms_record_version"
    __table_args__ = (UniqueConstraint("dealer_id", "entity", "record_key"),)

    id: int | None = Field(default=None, primary_key=True)
    dealer_id: int = Field(foreign_key="dealer.id", ondelete="CASCADE")
    entity: str = Field(max_length=32)
    record_key: str = Field(max_length=200)
    source_updated_at: datetime = Field(sa_type=tz_datetime())


class DmsWatermark(Timestamped, table=True):
    """The pull connector's progress per dealer and entity."""

    __tablename__ = "dms_watermark"
    __table_args__ = (UniqueConstraint("dealer_id", "entity"),)

    id: int | None = Field(default=None, primary_key=True)
    dealer_id: int = Field(foreign_key="dealer.id", ondelete="CASCADE")
    entity: str = Field(max_length=32)
    updated_since: datetime | None = Field(default=None, sa_type=tz_datetime())
    last_run_at: datetime | None = Field(default=None, sa_type=tz_datetime())
    last_error: str | None = Field(default=None, sa_column=Column(Text))


class AppointmentOutbox(Timestamped, table=True):
    """An appointment change to deliver to the dealer's DMS webhook (written in the booking's
    transaction; delivered later with retries)."""

    __tablename__ = "appointment_outbox"
    __table_args__ = (
        UniqueConstraint("idempotency_key"),
        enum_check("change", AppointmentChange),
        enum_check("status", DeliveryStatus),
        Index("ix_appointment_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_appointment_outbox_dealer_id_id", "dealer_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dealer_id: int = Field(foreign_key="dealer.id", ondelete="CASCADE")
    appointment_id: int = Field(foreign_key="appointment.id", ondelete="CASCADE", index=True)
    change: str = Field(max_length=16)
    payload: dict[str, Any] = Field(sa_column=Column(JsonType, nullable=False))
    idempotency_key: str = Field(max_length=64)
    status: str = Field(default=DeliveryStatus.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=tz_datetime())
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: datetime | None = Field(default=None, sa_type=tz_datetime())


# API models ------------------------------------------------------------------------------------


class IntegrationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = PydanticField(min_length=1, max_length=64)
    webhook_secret: str | None = PydanticField(default=None, min_length=16, max_length=200)
    outbound_url: str | None = PydanticField(default=None, max_length=500)
    outbound_secret: str | None = PydanticField(default=None, min_length=16, max_length=200)
    pull_base_url: str | None = PydanticField(default=None, max_length=500)
    pull_token: str | None = PydanticField(default=None, max_length=500)
    pull_enabled: bool = False


class IntegrationPublic(BaseModel):
    dealer_id: int
    source: str
    has_webhook_secret: bool
    outbound_url: str | None
    has_outbound_secret: bool
    pull_base_url: str | None
    pull_enabled: bool


class OutboxPublic(BaseModel):
    id: int
    dealer_id: int
    appointment_id: int
    change: AppointmentChange
    idempotency_key: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: UtcDatetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: UtcDatetime | None
    created_at: UtcDatetime


class OutboxesPublic(BaseModel):
    data: list[OutboxPublic]
    count: int


class WebhookResult(BaseModel):
    event_id: str
    outcome: WebhookOutcome
