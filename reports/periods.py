"""Reporting periods: days, ISO weeks, months and quarters of local dates.

All dates are *local dates in the dealer's time zone*: the app converts timestamps (call attempts,
RO openings) to the dealer's zone before bucketing, so a call at 23:30 in Prague on 31 March counts
in March even though it is 21:30 UTC. This module is pure calendar arithmetic.

Ranges are half-open: ``DateRange(start=date(2025, 3, 1), end=date(2025, 4, 1))`` is the whole of
March, i.e. every day ``d`` with ``start ≤ d < end``; this matches SQL ``>= start AND < end``.

Grains and labels
-----------------
=========  =====================================================  ==================
grain      period containing a date                               label
=========  =====================================================  ==================
day        that day                                               ``2025-03-04``
week       Monday to Sunday (ISO 8601); labelled by its ISO year   ``2025-W10``
month      1st of the month to the end of the month               ``2025-03``
quarter    Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec                     ``2025-Q1``
=========  =====================================================  ==================

The ISO week of 30 December 2024 (a Monday) is ``2025-W01``: a week belongs to the year that holds
its Thursday.

Period over period
------------------
- :func:`previous_period` of a calendar period is the previous bucket of the same grain (March →
  February, 2025-Q1 → 2024-Q4), whatever the number of days.
- :func:`previous_range` of any range is the range of the same number of days that ends where it
  starts (1–15 March → 14–28 February).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

__all__ = [
    "DateRange",
    "Grain",
    "Period",
    "add_months",
    "period_containing",
    "periods_covering",
    "previous_period",
    "previous_range",
]


class Grain(StrEnum):
    """The size of a reporting period."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


@dataclass(frozen=True, slots=True, kw_only=True)
class DateRange:
    """The days ``start ≤ d < end`` (half-open).

    Raises:
        ValueError: if ``end`` is before ``start`` (``end == start`` is the empty range).
    """

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"range end {self.end} is before its start {self.start}")

    @property
    def days(self) -> int:
        """The number of days in the range."""
        return (self.end - self.start).days

    @property
    def last_day(self) -> date | None:
        """The last day inside the range, or ``None`` for an empty range."""
        return self.end - timedelta(days=1) if self.days else None

    def __contains__(self, day: object) -> bool:
        """``start ≤ day < end``."""
        return isinstance(day, date) and self.start <= day < self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class Period:
    """One calendar bucket (a day, ISO week, month or quarter) with its label.

    Build it with :func:`period_containing`; the constructor checks the bounds fit the grain.

    Raises:
        ValueError: if ``start`` is not the first day of a ``grain`` bucket.
    """

    grain: Grain
    start: date

    def __post_init__(self) -> None:
        if _bucket_start(self.start, self.grain) != self.start:
            raise ValueError(f"{self.start} is not the first day of a {self.grain}")

    @property
    def end(self) -> date:
        """The first day after the period."""
        if self.grain is Grain.DAY:
            return self.start + timedelta(days=1)
        if self.grain is Grain.WEEK:
            return self.start + timedelta(days=7)
        return add_months(self.start, 1 if self.grain is Grain.MONTH else 3)

    @property
    def range(self) -> DateRange:
        """The period's days as a half-open :class:`DateRange`."""
        return DateRange(start=self.start, end=self.end)

    @property
    def label(self) -> str:
        """``2025-03-04``, ``2025-W10``, ``2025-03`` or ``2025-Q1``."""
        if self.grain is Grain.DAY:
            return self.start.isoformat()
        if self.grain is Grain.WEEK:
            iso = self.start.isocalendar()
            return f"{iso.year:04d}-W{iso.week:02d}"
        if self.grain is Grain.MONTH:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        return f"{self.start.year:04d}-Q{(self.start.month - 1) // 3 + 1}"

    def __contains__(self, day: object) -> bool:
        """Whether ``day`` falls in the period."""
        return day in self.range


def add_months(day: date, months: int) -> date:
    """Move ``day`` by whole calendar months, clamping to the month's last day.

    >>> add_months(date(2025, 1, 31), 1), add_months(date(2024, 2, 29), 12)
    (datetime.date(2025, 2, 28), datetime.date(2025, 2, 28))
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = (next_month - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def _bucket_start(day: date, grain: Grain) -> date:
    if grain is Grain.DAY:
        return day
    if grain is Grain.WEEK:
        return day - timedelta(days=day.weekday())
    if grain is Grain.MONTH:
        return day.replace(day=1)
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def period_containing(day: date, grain: Grain) -> Period:
    """The period of ``grain`` that contains the local date ``day``.

    >>> period_containing(date(2024, 12, 31), Grain.WEEK).label
    '2025-W01'
    >>> period_containing(date(2025, 5, 17), Grain.QUARTER).start
    datetime.date(2025, 4, 1)
    """
    return Period(grain=grain, start=_bucket_start(day, Grain(grain)))


def periods_covering(date_range: DateRange, grain: Grain) -> list[Period]:
    """Every period of ``grain`` that shares at least one day with ``date_range``, in order.

    The first and last periods may extend beyond the range; an empty range gives ``[]``.

    >>> [p.label for p in periods_covering(DateRange(start=date(2025, 1, 15),
    ...                                               end=date(2025, 3, 2)), Grain.MONTH)]
    ['2025-01', '2025-02', '2025-03']
    """
    periods: list[Period] = []
    if not date_range.days:
        return periods
    period = period_containing(date_range.start, grain)
    while period.start < date_range.end:
        periods.append(period)
        period = Period(grain=period.grain, start=period.end)
    return periods


def previous_period(period: Period) -> Period:
    """The calendar period of the same grain just before ``period`` (March → February).

    >>> previous_period(period_containing(date(2025, 2, 10), Grain.QUARTER)).label
    '2024-Q4'
    """
    return period_containing(period.start - timedelta(days=1), period.grain)


def previous_range(date_range: DateRange) -> DateRange:
    """The range of the same number of days that ends where ``date_range`` starts.

    >>> previous_range(DateRange(start=date(2025, 3, 1), end=date(2025, 3, 16)))
    DateRange(start=datetime.date(2025, 2, 14), end=datetime.date(2025, 3, 1))
    """
    return DateRange(start=date_range.start - timedelta(days=date_range.days), end=date_range.start)
