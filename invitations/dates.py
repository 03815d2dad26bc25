"""Calendar arithmetic: calendar months with day clamping, and working days per country.

Month arithmetic follows ``dateutil.relativedelta``, which clamps to the last day of the month:
31 Jan + 1 month = 28 Feb (29 in a leap year) and 29 Feb + 12 months = 28 Feb.
Public holidays come from the ``holidays`` package; an unknown country has weekends only.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta
from functools import lru_cache

import holidays

__all__ = ["add_months", "holiday_dates", "is_working_day", "next_working_day"]

# ISO 3166 calls the United Kingdom GB; dealers often write UK.
_COUNTRY_ALIASES = {"UK": "GB"}


@lru_cache(maxsize=1 << 16)
def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day.

    >>> add_months(date(2025, 1, 31), 1), add_months(date(2024, 2, 29), 12)
    (datetime.date(2025, 2, 28), datetime.date(2025, 2, 28))

    Memoised: a nightly run adds the same few intervals to the same dates over and over. The
    arithmetic is ``relativedelta``'s (month shift, then clamp the day), written out because it
    is hot.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = monthrange(year, month)[1]
    return day.replace(year=year, month=month, day=min(day.day, last))


@lru_cache(maxsize=512)
def holiday_dates(country: str | None, year: int) -> frozenset[date]:
    """Public holidays of ``country`` (ISO 3166 alpha-2) in ``year``; empty when unknown."""
    if not country:
        return frozenset()
    code = _COUNTRY_ALIASES.get(country.upper(), country.upper())
    try:
        calendar = holidays.country_holidays(code, years=year)
    except NotImplementedError:
        return frozenset()
    return frozenset(calendar.keys())


def is_working_day(day: date, country: str | None) -> bool:
    """Monday to Friday and not a public holiday of ``country``."""
    return day.weekday() < 5 and day not in holiday_dates(country, day.year)


def next_working_day(day: date, country: str | None) -> date:
    """The first working day strictly after ``day``.

    >>> next_working_day(date(2025, 12, 24), "CZ")  # 25 and 26 Dec are holidays
    datetime.date(2025, 12, 29)
    """
    candidate = day + timedelta(days=1)
    while not is_working_day(candidate, country):
        candidate += timedelta(days=1)
    return candidate
