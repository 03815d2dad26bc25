"""Dealer groups and dealers (rooftops) with their settings overrides."""

from __future__ import annotations

from typing import Any

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
    settings: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JsonType, nullable=False, server_default="{}")
    )
