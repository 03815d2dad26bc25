"""Shared column helpers for every table: timestamps and enumeration checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, DateTime, func
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Timestamped(SQLModel):
    """``created_at`` and ``updated_at`` (timestamptz) on every table."""

    created_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "nullable": False},
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "onupdate": utcnow, "nullable": False},
    )


def tz_datetime() -> DateTime:
    return DateTime(timezone=True)


def enum_check(
    column: str, values: Iterable[str] | type[StrEnum], name: str | None = None
) -> CheckConstraint:
    """A CHECK constraint keeping ``column`` inside an enumeration (portable, unlike ENUM)."""
    items = [v.value if isinstance(v, StrEnum) else v for v in values]
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in items)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_valid")
