"""Customers (per dealer group, keyed by the source system's external id) and their phones."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field

from app.audit.models import UtcDatetime
from app.enums import CustomerStatus, PhoneType, ValueSegment
from app.model_base import Timestamped, enum_check, tz_datetime


class Customer(Timestamped, table=True):
    __tablename__ = "customer"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        enum_check("status", CustomerStatus),
        enum_check("value_segment", ValueSegment),
        Index("ix_customer_group_id_last_name", "group_id", "last_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="dealer_group.id")
    dealer_id: int = Field(foreign_key="dealer.id", index=True)
    source: str = Field(max_length=64)
    external_id: str = Field(max_length=64)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    company_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    language: str | None = Field(default=None, max_length=16)
    marketing_calls: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    do_not_call: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    tyre_hotel: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    status: str = Field(default=CustomerStatus.ACTIVE, max_length=16)
    value_segment: str = Field(default=ValueSegment.STANDARD, max_length=16)
    erased_at: datetime | None = Field(default=None, sa_type=tz_datetime())


class CustomerPhone(Timestamped, table=True):
    __tablename__ = "customer_phone"
    __table_args__ = (
        UniqueConstraint("customer_id", "number"),
        enum_check("type", PhoneType),
        Index("ix_customer_phone_number", "number"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    number: str = Field(max_length=20, description="E.164")
    type: str = Field(default=PhoneType.MOBILE, max_length=16)
    is_primary: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # Cleared by a "wrong number" disposition; an invalid phone is never dialled again.
    is_valid: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})


# API models --------------------------------------------------------------------------------------


class ConsentChannel(StrEnum):
    """How the customer told us (DESIGN §5: consent changes are audited with who, when and how)."""

    PHONE = "phone"
    EMAIL = "email"
    IN_PERSON = "in_person"
    LETTER = "letter"
    WEB = "web"


class PhonePublic(BaseModel):
    id: int
    number: str
    type: PhoneType
    is_primary: bool
    is_valid: bool


class VehicleSummary(BaseModel):
    id: int
    vin: str
    make: str
    model: str
    model_year: int | None
    registration: str | None
    status: str
    owned_from: date
    owned_until: date | None


class CustomerSummary(BaseModel):
    id: int
    dealer_id: int
    dealer_code: str
    name: str
    status: CustomerStatus
    primary_phone: str | None
    vehicles: list[str] = PydanticField(description="VIN (and registration) of current vehicles")


class CustomersPublic(BaseModel):
    data: list[CustomerSummary]
    count: int = PydanticField(description="matching customers in total (all pages)")
    limit: int
    offset: int


class Consent(BaseModel):
    marketing_calls: bool
    do_not_call: bool


class CustomerPublic(BaseModel):
    id: int
    dealer_id: int
    dealer_code: str
    dealer_name: str
    time_zone: str
    currency: str
    distance_unit: str
    source: str
    external_id: str
    name: str
    first_name: str | None
    last_name: str | None
    company_name: str | None
    email: str | None
    language: str | None
    status: CustomerStatus
    value_segment: ValueSegment
    tyre_hotel: bool
    consent: Consent
    phones: list[PhonePublic]
    vehicles: list[VehicleSummary]


class ConsentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    marketing_calls: bool | None = None
    do_not_call: bool | None = None
    channel: ConsentChannel = PydanticField(description="how the customer told us")


class TimelineKind(StrEnum):
    REPAIR_ORDER = "repair_order"
    INVITATION = "invitation"
    CALL = "call"
    APPOINTMENT = "appointment"
    CONSENT = "consent"


class TimelineEvent(BaseModel):
    at: UtcDatetime = PydanticField(description="when; midnight UTC for date-only events")
    date_only: bool
    kind: TimelineKind
    vin: str | None
    data: dict[str, Any]


class TimelinePublic(BaseModel):
    data: list[TimelineEvent]
    count: int
    limit: int
    offset: int
