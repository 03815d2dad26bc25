"""Dealer groups and dealers (rooftops) with their settings overrides."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import CheckConstraint, Column, UniqueConstraint
from sqlmodel import Field

from app.enums import DistanceUnit
from app.model_base import Timestamped, enum_check
from app.types import JsonType


class DealerGroup(Timestamped, table=True):
    __tablename__ = "dealer_group"
    __table_args__ = (UniqueConstraint("name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # Rule overrides for every dealer of the group; a dealer's own settings win.
    settings: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonType, nullable=False, server_default="{}")
    )


class Dealer(Timestamped, table=True):
    __tablename__ = "dealer"
    __table_args__ = (
        UniqueConstraint("code"),
        enum_check("distance_unit", DistanceUnit),
        CheckConstraint("workshop_capacity_per_day >= 0", name="capacity_non_negative"),
        CheckConstraint("length(country) = 2", name="country_alpha2"),
        CheckConstraint("length(currency) = 3", name="currency_alpha3"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32)
    name: str = Field(max_length=200)
    group_id: int = Field(foreign_key="dealer_group.id", index=True)
    country: str = Field(max_length=2)
    time_zone: str = Field(max_length=64)
    locale: str = Field(max_length=16)
    distance_unit: str = Field(default=DistanceUnit.KM, max_length=2)
    currency: str = Field(max_length=3)
    workshop_capacity_per_day: int = 0
    # {"mon": [["08:00", "17:00"]], ...}; null means the country default.
    opening_hours: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonType))
    # When agents may call, same shape as opening_hours; null means the country default.
    calling_windows: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonType))
    settings: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonType, nullable=False, server_default="{}")
    )


# API models --------------------------------------------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# {"mon": [["08:00", "17:00"]], ...}: the same shape as the dataset's opening_hours.
WeeklyHours = dict[str, list[tuple[str, str]]]


def hours_problem(value: WeeklyHours) -> str | None:
    """Why ``value`` is not a weekly schedule, or None."""
    for day, spans in value.items():
        if day not in WEEKDAYS:
            return f"day {day!r} must be one of {', '.join(WEEKDAYS)}"
        if len(spans) > 4:
            return f"{day}: at most 4 spans a day"
        previous_end = ""
        for start, end in sorted(spans):
            for t in (start, end):
                if not _HHMM.match(t):
                    return f"{day}: time {t!r} must be HH:MM"
            if start >= end:
                return f"{day}: span {start}-{end} must end after it starts"
            if start < previous_end:
                return f"{day}: spans overlap"
            previous_end = end
    return None


class DealerPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    group_id: int
    country: str
    time_zone: str
    locale: str
    currency: str
    distance_unit: DistanceUnit


class DealersPublic(BaseModel):
    data: list[DealerPublic]
    count: int
    limit: int
    offset: int


class DealerSettingsPublic(DealerPublic):
    workshop_capacity_per_day: int
    opening_hours: WeeklyHours | None
    calling_windows: WeeklyHours | None
    settings: dict[str, Any] = PydanticField(description="the dealer's rule overrides")
    group_settings: dict[str, Any] = PydanticField(description="the group's rule overrides")
    defaults: dict[str, Any] = PydanticField(description="every rule setting's built-in default")


class DealerSettingsUpdate(BaseModel):
    """Fields given replace the stored value; ``settings`` replaces every override at once."""

    model_config = ConfigDict(extra="forbid")

    workshop_capacity_per_day: int | None = PydanticField(default=None, ge=0, le=10_000)
    opening_hours: WeeklyHours | None = None
    calling_windows: WeeklyHours | None = None
    settings: dict[str, Any] | None = PydanticField(default=None, max_length=100)
    clear: list[str] = PydanticField(
        default_factory=list,
        max_length=2,
        description="opening_hours and/or calling_windows to reset to the country default",
    )

    @field_validator("opening_hours", "calling_windows")
    @classmethod
    def _hours(cls, value: WeeklyHours | None) -> WeeklyHours | None:
        if value is not None:
            problem = hours_problem(value)
            if problem:
                raise ValueError(problem)
        return value

    @field_validator("clear")
    @classmethod
    def _clear(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in ("opening_hours", "calling_windows"):
                raise ValueError("only opening_hours and calling_windows can be cleared")
        return value
