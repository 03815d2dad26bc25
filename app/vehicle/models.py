"""Vehicles, warranties, ownerships, repair orders, odometer readings, service plans and recalls."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Numeric, UniqueConstraint, text
from sqlmodel import Field

from app.enums import (
    FuelType,
    OdometerSource,
    PayType,
    RecallStatus,
    ServiceKind,
    VehicleStatus,
    WarrantyKind,
)
from app.model_base import Timestamped, enum_check


class Vehicle(Timestamped, table=True):
    __tablename__ = "vehicle"
    __table_args__ = (
        UniqueConstraint("vin"),
        enum_check("status", VehicleStatus),
        enum_check("fuel", FuelType),
        CheckConstraint("delivery_odometer_km >= 0", name="delivery_odometer_non_negative"),
        CheckConstraint("length(vin) = 17", name="vin_length"),
        Index("ix_vehicle_registration", "registration"),
    )

    id: int | None = Field(default=None, primary_key=True)
    vin: str = Field(max_length=17)
    dealer_id: int = Field(foreign_key="dealer.id", index=True)
    make: str = Field(max_length=64)
    model: str = Field(max_length=64)
    model_year: int | None = None
    fuel: str = Field(default=FuelType.PETROL, max_length=16)
    registration: str | None = Field(default=None, max_length=20)
    delivery_date: date | None = None
    sold_by_dealer: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    delivery_odometer_km: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    status: str = Field(default=VehicleStatus.ACTIVE, max_length=16)


class Warranty(Timestamped, table=True):
    __tablename__ = "warranty"
    __table_args__ = (
        UniqueConstraint("vehicle_id", "kind"),
        enum_check("kind", WarrantyKind),
        CheckConstraint("months > 0", name="months_positive"),
        CheckConstraint("km_limit IS NULL OR km_limit > 0", name="km_limit_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    vehicle_id: int = Field(foreign_key="vehicle.id", ondelete="CASCADE")
    kind: str = Field(max_length=16)
    start_date: date
    months: int
    km_limit: int | None = None


class Ownership(Timestamped, table=True):
    __tablename__ = "ownership"
    __table_args__ = (
        UniqueConstraint("vehicle_id", "customer_id", "start_date"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
    )

    id: int | None = Field(default=None, primary_key=True)
    vehicle_id: int = Field(foreign_key="vehicle.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    start_date: date
    end_date: date | None = None


class RepairOrder(Timestamped, table=True):
    __tablename__ = "repair_order"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        CheckConstraint(
            "odometer_in_km IS NULL OR odometer_in_km >= 0", name="odometer_non_negative"
        ),
        CheckConstraint("closed_date IS NULL OR closed_date >= opened_date", name="dates_ordered"),
        Index("ix_repair_order_vehicle_id_opened_date", "vehicle_id", "opened_date"),
        Index("ix_repair_order_dealer_id_opened_date", "dealer_id", "opened_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    external_id: str = Field(max_length=64)
    dealer_id: int = Field(foreign_key="dealer.id")
    vehicle_id: int = Field(foreign_key="vehicle.id")
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    opened_date: date
    closed_date: date | None = None
    odometer_in_km: int | None = None
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id", index=True)


class RepairOrderLine(Timestamped, table=True):
    __tablename__ = "repair_order_line"
    __table_args__ = (
        UniqueConstraint("repair_order_id", "line_no"),
        enum_check("pay_type", PayType),
        enum_check("service_kind", ServiceKind),
    )

    id: int | None = Field(default=None, primary_key=True)
    repair_order_id: int = Field(foreign_key="repair_order.id", ondelete="CASCADE")
    line_no: int
    op_code: str | None = Field(default=None, max_length=32)
    description: str | None = Field(default=None, max_length=500)
    pay_type: str = Field(max_length=16)
    service_kind: str = Field(max_length=16)
    labor_amount: Decimal = Field(default=Decimal("0"), sa_type=Numeric(12, 2))
    parts_amount: Decimal = Field(default=Decimal("0"), sa_type=Numeric(12, 2))
    campaign_code: str | None = Field(default=None, max_length=32)


class OdometerReading(Timestamped, table=True):
    __tablename__ = "odometer_reading"
    __table_args__ = (
        UniqueConstraint("vehicle_id", "reading_date", "source"),
        enum_check("source", OdometerSource),
        CheckConstraint("value_km >= 0", name="value_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    vehicle_id: int = Field(foreign_key="vehicle.id", ondelete="CASCADE")
    reading_date: date
    value_km: int
    source: str = Field(max_length=16)
    accepted: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    # Why a reading was not accepted (it went backwards, or implies over 500 km a day).
    rejection_reason: str | None = Field(default=None, max_length=200)
    # An instrument-cluster replacement: later readings may legitimately be lower.
    odometer_replaced: bool = Field(
        default=False, sa_column_kwargs={"server_default": text("false")}
    )


class ServicePlan(Timestamped, table=True):
    """Maintenance schedule per make/model/fuel; ``*`` is a wildcard, the most specific wins."""

    __tablename__ = "service_plan"
    __table_args__ = (
        UniqueConstraint("make", "model", "fuel"),
        CheckConstraint("first_service_days > 0", name="first_service_days_positive"),
        CheckConstraint("interval_months > 0", name="interval_months_positive"),
        CheckConstraint("interval_km > 0", name="interval_km_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    make: str = Field(max_length=64)
    model: str = Field(max_length=64)
    fuel: str = Field(max_length=16)
    first_service_days: int = 30
    first_service_km: int | None = None
    interval_months: int
    interval_km: int


class RecallCampaign(Timestamped, table=True):
    __tablename__ = "recall_campaign"
    __table_args__ = (UniqueConstraint("campaign_code"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_code: str = Field(max_length=32)
    make: str | None = Field(default=None, max_length=64)
    title: str = Field(max_length=500)
    component: str | None = Field(default=None, max_length=200)
    remedy_available: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})
    start_date: date | None = None


class RecallVehicle(Timestamped, table=True):
    """A VIN named by a recall campaign. Keyed by VIN, not by our vehicle row: OEM lists name
    every affected VIN, including cars this dealer has never seen."""

    __tablename__ = "recall_vehicle"
    __table_args__ = (
        UniqueConstraint("campaign_id", "vin"),
        enum_check("status", RecallStatus),
        Index("ix_recall_vehicle_vin", "vin"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="recall_campaign.id", ondelete="CASCADE")
    vin: str = Field(max_length=17)
    status: str = Field(default=RecallStatus.OPEN, max_length=24)
