"""Invitations, call tasks, call attempts, dispositions and workshop appointments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field

from app.enums import (
    AppointmentOrigin,
    AppointmentStatus,
    CallPurpose,
    CallTaskOutcome,
    CallTaskStatus,
    InvitationStatus,
    InvitationType,
)
from app.model_base import Timestamped, enum_check, tz_datetime
from app.types import JsonType


class Appointment(Timestamped, table=True):
    __tablename__ = "appointment"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        enum_check("status", AppointmentStatus),
        enum_check("origin", AppointmentOrigin),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        Index("ix_appointment_dealer_id_slot_start", "dealer_id", "slot_start"),
        Index("ix_appointment_vehicle_id_slot_start", "vehicle_id", "slot_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Appointments made by our agents have no source/external id until the DMS acknowledges them.
    source: str | None = Field(default=None, max_length=64)
    external_id: str | None = Field(default=None, max_length=64)
    dealer_id: int = Field(foreign_key="dealer.id")
    vehicle_id: int = Field(foreign_key="vehicle.id")
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    slot_start: datetime = Field(sa_type=tz_datetime())
    duration_minutes: int = 60
    service_types: list[str] = Field(
        default_factory=list, sa_column=Column(JsonType, nullable=False, server_default="[]")
    )
    status: str = Field(default=AppointmentStatus.BOOKED, max_length=16)
    origin: str = Field(default=AppointmentOrigin.DMS, max_length=8)
    call_task_id: int | None = Field(default=None, foreign_key="call_task.id", index=True)


class Disposition(Timestamped, table=True):
    """A call result code with the semantic flags that drive its effects (DESIGN §2)."""

    __tablename__ = "disposition"
    __table_args__ = (
        UniqueConstraint("group_id", "code"),
        enum_check("closes_as", CallTaskOutcome),
        CheckConstraint(
            "retry_after_minutes IS NULL OR retry_after_minutes > 0", name="retry_positive"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="dealer_group.id")
    code: str = Field(max_length=32)
    label: str = Field(max_length=100)
    contact_made: bool = False
    final: bool = False
    booked: bool = False
    dnc: bool = False
    bad_number: bool = False
    callback: bool = False
    ends_ownership: bool = False
    counts_as_attempt: bool = True
    retry_after_minutes: int | None = None
    # A retry lands in another part of the day than the unanswered attempt (no answer).
    other_part_of_day: bool = Field(
        default=False, sa_column_kwargs={"server_default": text("false")}
    )
    closes_as: str | None = Field(default=None, max_length=16)
    sort_order: int = 0
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})


class CallTask(Timestamped, table=True):
    """One customer's merged reasons to call: the contact centre's unit of work."""

    __tablename__ = "call_task"
    __table_args__ = (
        enum_check("status", CallTaskStatus),
        enum_check("outcome", CallTaskOutcome),
        enum_check("purpose", CallPurpose),
        enum_check("primary_type", InvitationType),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        # One customer, one open call task (DESIGN §3.2).
        Index(
            "uq_call_task_customer_id_open",
            "customer_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        Index("ix_call_task_queue", "dealer_id", "status", "priority", "next_attempt_at"),
        Index("ix_call_task_lease_expires_at", "lease_expires_at"),
        # The agent queue, walked in order by "next call" (app/contact/repository.py). PostgreSQL
        # only: SQLite cannot reflect an expression index, and sorts its (smaller) queues itself.
        Index(
            "ix_call_task_ready_queue",
            "dealer_id",
            text("priority DESC"),
            "next_attempt_at",
            postgresql_where=text("status = 'ready'"),
        ).ddl_if(dialect="postgresql"),
        # The same queue in exactly "next call"'s order, for any dealer scope: an agent of a
        # dealer group sees several dealers, whose merged queue the index above cannot give
        # in order (PostgreSQL would sort every ready task of the group on every claim).
        Index(
            "ix_call_task_ready_order",
            text("priority DESC"),
            text("next_attempt_at NULLS FIRST"),
            "id",
            postgresql_where=text("status = 'ready'"),
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_call_task_callback_at",
            "callback_at",
            sqlite_where=text("status = 'callback'"),
            postgresql_where=text("status = 'callback'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    dealer_id: int = Field(foreign_key="dealer.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: str = Field(default=CallTaskStatus.READY, max_length=16)
    priority: int = 0
    primary_type: str = Field(max_length=24)
    purpose: str = Field(default=CallPurpose.SERVICE_REMINDER, max_length=24)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=tz_datetime())
    lease_agent_id: int | None = Field(default=None, foreign_key="app_user.id")
    lease_expires_at: datetime | None = Field(default=None, sa_type=tz_datetime())
    claim_token: str | None = Field(default=None, max_length=64)
    callback_at: datetime | None = Field(default=None, sa_type=tz_datetime())
    callback_agent_id: int | None = Field(default=None, foreign_key="app_user.id")
    outcome: str | None = Field(default=None, max_length=16)
    closed_at: datetime | None = Field(default=None, sa_type=tz_datetime())
    # The customer's calling time zone and country (from the phone number, else the dealer's);
    # filled by the contact centre the first time the task reaches the head of the queue.
    time_zone: str | None = Field(default=None, max_length=64)
    country: str | None = Field(default=None, max_length=2)


class Invitation(Timestamped, table=True):
    """One reason to invite one vehicle, with the facts that made it due."""

    __tablename__ = "invitation"
    __table_args__ = (
        UniqueConstraint("dedup_key"),
        enum_check("type", InvitationType),
        enum_check("status", InvitationStatus),
        CheckConstraint("expires_date >= opens_date", name="window_ordered"),
        Index("ix_invitation_dealer_id_due_date", "dealer_id", "due_date"),
        Index("ix_invitation_customer_id_status", "customer_id", "status"),
        Index("ix_invitation_status_expires_date", "status", "expires_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(max_length=200)
    dealer_id: int = Field(foreign_key="dealer.id")
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True)
    customer_id: int = Field(foreign_key="customer.id")
    type: str = Field(max_length=24)
    due_date: date
    opens_date: date
    expires_date: date
    priority: int = 0
    status: str = Field(default=InvitationStatus.DUE, max_length=16)
    suppression_reason: str | None = Field(default=None, max_length=48)
    is_control: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    explanation: str = Field(sa_column=Column(Text, nullable=False))
    # The untranslated message template and its parameters, so the UI can show it in any language.
    explanation_template: str | None = Field(default=None, sa_column=Column(Text))
    explanation_params: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonType, nullable=False, server_default="{}")
    )
    confidence: str | None = Field(default=None, max_length=8)
    computed_on: date
    call_task_id: int | None = Field(default=None, foreign_key="call_task.id", index=True)


class CallAttempt(Timestamped, table=True):
    __tablename__ = "call_attempt"
    __table_args__ = (
        enum_check("purpose", CallPurpose),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="times_ordered"),
        Index("ix_call_attempt_agent_id_started_at", "agent_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    call_task_id: int = Field(foreign_key="call_task.id", index=True)
    agent_id: int | None = Field(default=None, foreign_key="app_user.id")
    phone_id: int | None = Field(default=None, foreign_key="customer_phone.id", ondelete="SET NULL")
    disposition_id: int = Field(foreign_key="disposition.id")
    started_at: datetime = Field(sa_type=tz_datetime())
    ended_at: datetime | None = Field(default=None, sa_type=tz_datetime())
    purpose: str = Field(default=CallPurpose.SERVICE_REMINDER, max_length=24)
    legal_basis: str = Field(default="legitimate_interest", max_length=32)
    note: str | None = Field(default=None, sa_column=Column(Text))
    callback_at: datetime | None = Field(default=None, sa_type=tz_datetime())
