"""Seasonal campaigns, nightly-run bookkeeping, and the API models of invitations and catalogue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.enums import FuelType, InvitationStatus, InvitationType
from app.model_base import Timestamped, enum_check, tz_datetime
from invitations import CampaignKind


class NightlyRunStatus:
    RUNNING = "running"
    COMPLETED = "completed"


class NightlyRunPhase:
    INVITATIONS = "invitations"
    TASKS = "tasks"
    DONE = "done"


# Tables ------------------------------------------------------------------------------------------


class SeasonalCampaign(Timestamped, table=True):
    """An override of (or an addition to) the engine's built-in seasonal campaigns, by code.

    ``dealer_id`` NULL: for every dealer (the campaign's ``country`` still limits where it runs);
    set: for that dealer only, winning over a catalogue-wide row of the same code.
    """

    __tablename__ = "seasonal_campaign"
    __table_args__ = (
        enum_check("kind", CampaignKind),
        CheckConstraint("start_month BETWEEN 1 AND 12", name="start_month_valid"),
        CheckConstraint("end_month BETWEEN 1 AND 12", name="end_month_valid"),
        CheckConstraint("start_day BETWEEN 1 AND 31", name="start_day_valid"),
        CheckConstraint("end_day BETWEEN 1 AND 31", name="end_day_valid"),
        # One row per code catalogue-wide and one per code and dealer.
        Index(
            "uq_seasonal_campaign_code_all_dealers",
            "code",
            unique=True,
            sqlite_where=text("dealer_id IS NULL"),
            postgresql_where=text("dealer_id IS NULL"),
        ),
        Index(
            "uq_seasonal_campaign_dealer_id_code",
            "dealer_id",
            "code",
            unique=True,
            sqlite_where=text("dealer_id IS NOT NULL"),
            postgresql_where=text("dealer_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64)
    dealer_id: int | None = Field(default=None, foreign_key="dealer.id", ondelete="CASCADE")
    kind: str = Field(max_length=16)
    country: str = Field(max_length=2, description="ISO 3166 alpha-2, or * for every country")
    start_month: int
    start_day: int
    end_month: int
    end_day: int
    after_easter: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    enabled: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})


class NightlyRun(Timestamped, table=True):
    """Progress of the nightly run of one dealer for one date, so an interrupted run resumes.

    ``cursor`` is the last vehicle id (phase ``invitations``) or customer id (phase ``tasks``)
    whose chunk was committed.
    """

    __tablename__ = "nightly_run"
    __table_args__ = (
        UniqueConstraint("dealer_id", "run_date"),
        enum_check("status", ["running", "completed"]),
        enum_check("phase", ["invitations", "tasks", "done"]),
    )

    id: int | None = Field(default=None, primary_key=True)
    dealer_id: int = Field(foreign_key="dealer.id", ondelete="CASCADE")
    run_date: date
    status: str = Field(default=NightlyRunStatus.RUNNING, max_length=16)
    phase: str = Field(default=NightlyRunPhase.INVITATIONS, max_length=16)
    cursor: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    vehicles: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    rows_written: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    started_at: datetime = Field(sa_type=tz_datetime())
    finished_at: datetime | None = Field(default=None, sa_type=tz_datetime())


# API models --------------------------------------------------------------------------------------


class Window(BaseModel):
    opens: date
    expires: date


class InvitationPublic(BaseModel):
    """One invitation with the contract's fields (``shared/contract/README.md``) and more."""

    id: int
    vin: str
    customer: str = PydanticField(description="the customer's external id")
    dealer: str = PydanticField(description="the dealer's code")
    type: InvitationType
    due_date: date
    window: Window
    status: InvitationStatus
    suppression_reason: str | None
    is_control: bool
    dedup_key: str
    priority: int
    explanation: str
    explanation_template: str | None
    explanation_params: dict[str, Any]
    confidence: str | None
    computed_on: date
    call_task_id: int | None


class InvitationsPublic(BaseModel):
    data: list[InvitationPublic]
    count: int = PydanticField(description="matching invitations in total (all pages)")
    limit: int
    offset: int


class InvitationFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dealer: str | None = None
    type: InvitationType | None = None
    status: InvitationStatus | None = None
    due_from: date | None = None
    due_to: date | None = None
    customer: str | None = None
    vin: str | None = None


class NightlyRunSummary(BaseModel):
    """What one nightly run of one dealer did."""

    dealer: str
    run_date: date
    vehicles: int = 0
    invitations_inserted: int = 0
    invitations_updated: int = 0
    invitations_expired: int = 0
    invitations_closed: int = 0
    tasks_inserted: int = 0
    tasks_updated: int = 0
    tasks_closed: int = 0
    invitations_queued: int = 0
    segments_updated: int = 0
    resumed: bool = False
    skipped: bool = False

    @property
    def rows_written(self) -> int:
        return (
            self.invitations_inserted
            + self.invitations_updated
            + self.invitations_expired
            + self.invitations_closed
            + self.tasks_inserted
            + self.tasks_updated
            + self.tasks_closed
            + self.invitations_queued
            + self.segments_updated
        )


# Catalogue (admin) -------------------------------------------------------------------------------


def _fuel(value: str) -> str:
    if value != "*" and value not in set(FuelType):
        raise ValueError(f"fuel must be '*' or one of {', '.join(FuelType)}")
    return value


class ServicePlanBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    first_service_days: int = PydanticField(default=30, gt=0, le=3650)
    first_service_km: int | None = PydanticField(default=None, gt=0)
    interval_months: int = PydanticField(gt=0, le=120)
    interval_km: int = PydanticField(gt=0, le=500_000)


class ServicePlanCreate(ServicePlanBase):
    make: str = PydanticField(min_length=1, max_length=64)
    model: str = PydanticField(min_length=1, max_length=64)
    fuel: str = "*"

    _check_fuel = field_validator("fuel")(_fuel)


class ServicePlanUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_service_days: int | None = PydanticField(default=None, gt=0, le=3650)
    first_service_km: int | None = PydanticField(default=None, gt=0)
    interval_months: int | None = PydanticField(default=None, gt=0, le=120)
    interval_km: int | None = PydanticField(default=None, gt=0, le=500_000)


class ServicePlanPublic(ServicePlanCreate):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: int


class SeasonalCampaignBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: CampaignKind
    country: str = PydanticField(pattern=r"^([A-Z]{2}|\*)$")
    start_month: int = PydanticField(ge=1, le=12)
    start_day: int = PydanticField(ge=1, le=31)
    end_month: int = PydanticField(ge=1, le=12)
    end_day: int = PydanticField(ge=1, le=31)
    after_easter: bool = False
    enabled: bool = True


class SeasonalCampaignCreate(SeasonalCampaignBase):
    code: str = PydanticField(min_length=1, max_length=64)
    dealer: str | None = PydanticField(default=None, description="dealer code; null: every dealer")


class SeasonalCampaignUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: CampaignKind | None = None
    country: str | None = PydanticField(default=None, pattern=r"^([A-Z]{2}|\*)$")
    start_month: int | None = PydanticField(default=None, ge=1, le=12)
    start_day: int | None = PydanticField(default=None, ge=1, le=31)
    end_month: int | None = PydanticField(default=None, ge=1, le=12)
    end_day: int | None = PydanticField(default=None, ge=1, le=31)
    after_easter: bool | None = None
    enabled: bool | None = None


class SeasonalCampaignPublic(SeasonalCampaignBase):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: int
    code: str
    dealer: str | None


__all__ = [
    "InvitationFilter",
    "InvitationPublic",
    "InvitationsPublic",
    "NightlyRun",
    "NightlyRunSummary",
    "SQLModel",
    "SeasonalCampaign",
    "SeasonalCampaignCreate",
    "SeasonalCampaignPublic",
    "SeasonalCampaignUpdate",
    "ServicePlanCreate",
    "ServicePlanPublic",
    "ServicePlanUpdate",
    "Window",
]
