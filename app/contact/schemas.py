"""Request and response bodies of the contact-centre API (input models forbid unknown fields)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.enums import CallTaskOutcome, InvitationType


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.utcoffset() is None:
        raise ValueError("must include a time zone offset, e.g. 2026-11-24T10:00:00+01:00")
    return value


class LeaseIn(_In):
    claim_token: str = Field(min_length=1, max_length=64)


class BookingIn(_In):
    vehicle_id: int
    slot_start: datetime
    duration_minutes: int = Field(default=60, gt=0, le=600)
    service_types: list[str] = Field(default_factory=list, max_length=10)

    _check = field_validator("slot_start")(_aware)


class OutcomeIn(_In):
    claim_token: str = Field(min_length=1, max_length=64)
    disposition: str = Field(min_length=1, max_length=32)
    note: str | None = Field(default=None, max_length=2000)
    reason: str | None = Field(default=None, max_length=200, description="why declined")
    callback_at: datetime | None = None
    phone_id: int | None = Field(default=None, description="the phone dialled (default: primary)")
    vehicle_id: int | None = Field(default=None, description="the car sold (sold the car)")
    booking: BookingIn | None = None

    _check = field_validator("callback_at")(_aware)


class LeasePublic(BaseModel):
    task_id: int
    claim_token: str
    lease_expires_at: datetime


class PhonePublic(BaseModel):
    id: int
    number: str
    type: str
    is_primary: bool


class ReasonPublic(BaseModel):
    invitation_id: int
    type: str
    due_date: date
    priority: int
    explanation: str
    confidence: str | None


class VehiclePublic(BaseModel):
    id: int
    vin: str
    make: str
    model: str
    model_year: int | None
    registration: str | None
    reasons: list[ReasonPublic]


class VisitPublic(BaseModel):
    repair_order_id: int
    vehicle_id: int
    opened_date: date
    odometer_km: int | None
    total: Decimal


class AttemptPublic(BaseModel):
    started_at: datetime
    agent_id: int | None
    disposition: str
    label: str
    note: str | None


class AppointmentPublic(BaseModel):
    id: int
    dealer_id: int
    vehicle_id: int
    slot_start: datetime
    duration_minutes: int
    status: str


class CustomerCard(BaseModel):
    id: int
    name: str
    language: str | None
    value_segment: str
    marketing_calls: bool


class DispositionPublic(BaseModel):
    code: str
    label: str
    contact_made: bool
    final: bool
    booked: bool
    dnc: bool
    bad_number: bool
    callback: bool
    ends_ownership: bool


class CallCard(BaseModel):
    task_id: int
    claim_token: str
    lease_expires_at: datetime
    dealer_id: int
    dealer: str = Field(description="the dealer's code (for GET /dealers/{code}/slots)")
    priority: int
    primary_type: str
    purpose: str
    attempts: int
    time_zone: str
    customer: CustomerCard
    phones: list[PhonePublic]
    vehicles: list[VehiclePublic]
    last_visits: list[VisitPublic]
    earlier_attempts: list[AttemptPublic]
    appointments: list[AppointmentPublic]
    dispositions: list[DispositionPublic]
    script: str


class OutcomePublic(BaseModel):
    task_id: int
    status: str
    outcome: str | None
    attempts: int
    next_attempt_at: datetime | None
    callback_at: datetime | None
    appointment: AppointmentPublic | None = None
    closed_task_ids: list[int] = Field(default_factory=list)


class SlotPublic(BaseModel):
    start: datetime
    duration_minutes: int


class SlotsPublic(BaseModel):
    dealer: str
    time_zone: str
    data: list[SlotPublic]


class CampaignIn(_In):
    paused: bool | None = None
    priority_boost: int | None = Field(default=None, ge=-100, le=100)


class CampaignPublic(BaseModel):
    dealer: str
    invitation_type: InvitationType
    paused: bool
    priority_boost: int
    tasks_reprioritised: int = 0


class ReassignIn(_In):
    agent_id: int | None = Field(
        description="the agent who gets the task as a callback; null: anyone"
    )
    callback_at: datetime | None = None

    _check = field_validator("callback_at")(_aware)


class ReassignPublic(BaseModel):
    task_id: int
    status: str
    agent_id: int | None
    callback_at: datetime | None


class QueueDepthRow(BaseModel):
    dealer: str
    reason: str
    status: str
    tasks: int
    callable_now: int


class QueueDepthPublic(BaseModel):
    as_of: datetime
    data: list[QueueDepthRow]


class CallbackDuePublic(BaseModel):
    task_id: int
    dealer: str
    callback_at: datetime
    agent_id: int | None
    agent_name: str | None = Field(default=None, description="the agent's display name")
    priority: int
    overdue: bool


class CallbacksDuePublic(BaseModel):
    as_of: datetime
    data: list[CallbackDuePublic]


class AgentDayPublic(BaseModel):
    agent_id: int
    name: str | None = Field(default=None, description="the agent's display name")
    attempts: int
    reached: int
    booked: int
    held_now: int


class AgentsDayPublic(BaseModel):
    since: datetime
    data: list[AgentDayPublic]


class MyCallbackPublic(BaseModel):
    task_id: int
    dealer: str
    customer_id: int
    customer_name: str
    primary_type: str
    callback_at: datetime
    overdue: bool


class MyCallbacksPublic(BaseModel):
    as_of: datetime
    data: list[MyCallbackPublic]


class BoardPublic(BaseModel):
    """The supervisor board's fixed part: the dealer and the state of each of its campaigns."""

    dealer_id: int
    dealer: str
    name: str
    time_zone: str
    campaigns: list[CampaignPublic]


# Disposition administration (per dealer group) --------------------------------------------------

DispositionCode = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")


class _DispositionFlags(_In):
    label: str = Field(min_length=1, max_length=100)
    contact_made: bool = False
    final: bool = False
    booked: bool = False
    dnc: bool = False
    bad_number: bool = False
    callback: bool = False
    ends_ownership: bool = False
    counts_as_attempt: bool = True
    retry_after_minutes: int | None = Field(default=None, gt=0, le=60 * 24 * 60)
    other_part_of_day: bool = False
    closes_as: CallTaskOutcome | None = None
    sort_order: int = Field(default=0, ge=0, le=10_000)
    is_active: bool = True


class DispositionCreate(_DispositionFlags):
    code: str = DispositionCode


class DispositionUpdate(_In):
    """Only the fields sent change; the code is the disposition's name and never changes."""

    label: str | None = Field(default=None, min_length=1, max_length=100)
    contact_made: bool | None = None
    final: bool | None = None
    booked: bool | None = None
    dnc: bool | None = None
    bad_number: bool | None = None
    callback: bool | None = None
    ends_ownership: bool | None = None
    counts_as_attempt: bool | None = None
    retry_after_minutes: int | None = Field(default=None, gt=0, le=60 * 24 * 60)
    other_part_of_day: bool | None = None
    closes_as: CallTaskOutcome | None = None
    sort_order: int | None = Field(default=None, ge=0, le=10_000)
    is_active: bool | None = None


class DispositionAdminPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    group_id: int
    code: str
    label: str
    contact_made: bool
    final: bool
    booked: bool
    dnc: bool
    bad_number: bool
    callback: bool
    ends_ownership: bool
    counts_as_attempt: bool
    retry_after_minutes: int | None
    other_part_of_day: bool
    closes_as: str | None
    sort_order: int
    is_active: bool
