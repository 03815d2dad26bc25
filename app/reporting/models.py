"""Daily aggregate tables of the service funnel, rebuilt from the raw tables (never edited).

``report_funnel_day`` holds the additive figures: per dealer, due date (the dealer's local day),
invitation type, value segment and suppression reason, the invitation counts of every stage and
the attributed revenue by pay type. Distinct customers are not additive across days or groups,
so ``report_funnel_customer_day`` keeps one row per customer of each such day and group with the
stage flags (0/1) that customer reached there; a report counts customers by taking the maximum
of each flag per customer over its groups, which gives exactly the raw query's figures.

Counting customers from ``report_funnel_customer_day`` still hashes one row per customer and day,
so the distinct-customer figures of whole calendar months, quarters and years are also stored:
``report_funnel_period`` holds them per dealer (for every type and segment and for all of them,
``*``), and ``report_funnel_shared_customer`` the flags of the customers who have invitations at
more than one dealer in such a period, which a report over several dealers subtracts so that each
customer counts once.

All are filled by :func:`app.reporting.aggregates.refresh_aggregates` (delete and insert of the
affected due dates and periods in one transaction), by the nightly run for recent due dates and by
``retention report rebuild``. See docs/reports.md, "Aggregates".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Float, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel


class ReportFunnelDay(SQLModel, table=True):
    __tablename__ = "report_funnel_day"
    __table_args__ = (Index("ix_report_funnel_day_dealer_id_due_date", "dealer_id", "due_date"),)

    id: int | None = Field(default=None, primary_key=True)
    dealer_id: int = Field(foreign_key="dealer.id", ondelete="CASCADE")
    due_date: date
    type: str = Field(max_length=24)
    segment: str = Field(max_length=16)
    suppressed_reason: str | None = Field(default=None, max_length=48)
    due: int
    control: int
    control_arrived: int
    targeted: int
    attempted: int
    reached: int
    booked: int
    arrived_from_booking: int
    arrived: int
    revenue_customer_pay: Decimal = Field(sa_type=Numeric(14, 2))
    revenue_warranty: Decimal = Field(sa_type=Numeric(14, 2))
    revenue_internal: Decimal = Field(sa_type=Numeric(14, 2))


class ReportFunnelCustomerDay(SQLModel, table=True):
    __tablename__ = "report_funnel_customer_day"
    __table_args__ = (
        Index("ix_report_funnel_customer_day_dealer_id_due_date", "dealer_id", "due_date"),
        # The refresh of report_funnel_shared_customer looks customers up across dealers.
        Index("ix_report_funnel_customer_day_customer_id_due_date", "customer_id", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dealer_id: int = Field(foreign_key="dealer.id", ondelete="CASCADE")
    due_date: date
    type: str = Field(max_length=24)
    segment: str = Field(max_length=16)
    suppressed_reason: str | None = Field(default=None, max_length=48)
    customer_id: int
    control: int
    control_arrived: int
    targeted: int
    attempted: int
    reached: int
    booked: int
    arrived_from_booking: int
    arrived: int


ALL = "*"
"""The ``type`` / ``segment`` / ``suppressed_reason`` of a ``report_funnel_period`` row that counts
the customers of every value."""


class ReportFunnelPeriod(SQLModel, table=True):
    """Per dealer and calendar month, quarter or year of due dates (``grain``, ``period_start``):
    the distinct customers (``due``) and the customers who reached each stage, for one type or
    all (``*``), one segment or all, and either all customers (``suppressed_reason`` ``*``) or
    those suppressed for one reason. Computed from ``report_funnel_customer_day``, so a report
    of an aligned range reads these counts instead of one row per customer."""

    __tablename__ = "report_funnel_period"
    __table_args__ = (
        UniqueConstraint(
            "grain",
            "period_start",
            "dealer_id",
            "type",
            "segment",
            "suppressed_reason",
            name="uq_report_funnel_period_key",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    dealer_id: int = Field(foreign_key="dealer.id", ondelete="CASCADE")
    grain: str = Field(max_length=8)
    period_start: date
    type: str = Field(max_length=24)
    segment: str = Field(max_length=16)
    suppressed_reason: str = Field(max_length=48)
    due: int
    control: int
    control_arrived: int
    targeted: int
    attempted: int
    reached: int
    booked: int
    arrived_from_booking: int
    arrived: int


class ReportFunnelSharedCustomer(SQLModel, table=True):
    """The ``report_funnel_customer_day`` rows, merged per period, of the customers who have
    invitations at two or more dealers in that calendar month, quarter or year: the only
    customers the per-dealer counts of ``report_funnel_period`` would count more than once."""

    __tablename__ = "report_funnel_shared_customer"
    __table_args__ = (
        Index(
            "ix_report_funnel_shared_customer_period_customer",
            "grain",
            "period_start",
            "customer_id",
        ),
        Index(
            "ix_report_funnel_shared_customer_dealer_period",
            "dealer_id",
            "grain",
            "period_start",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    dealer_id: int = Field(foreign_key="dealer.id", ondelete="CASCADE")
    grain: str = Field(max_length=8)
    period_start: date
    type: str = Field(max_length=24)
    segment: str = Field(max_length=16)
    suppressed_reason: str | None = Field(default=None, max_length=48)
    customer_id: int
    control: int
    control_arrived: int
    targeted: int
    attempted: int
    reached: int
    booked: int
    arrived_from_booking: int
    arrived: int


class ReportAgentDay(SQLModel, table=True):
    """Per agent, dealer and local day of the call attempts: the figures of the agent KPI report
    (``ReportingRepository.agent_days``), which adds days up exactly (the working span is kept
    per day, as the report computes it)."""

    __tablename__ = "report_agent_day"
    __table_args__ = (Index("ix_report_agent_day_dealer_id_day", "dealer_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE")
    dealer_id: int = Field(foreign_key="dealer.id", ondelete="CASCADE")
    day: date
    attempts: int
    contacts: int
    bookings: int
    arrived: int
    handling_seconds: float = Field(sa_type=Float())
    span_seconds: float = Field(sa_type=Float())
