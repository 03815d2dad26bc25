"""English rendering of explanation parameters (dates, numbers) without depending on the locale.

The app formats parameters for other locales itself (for example with Babel); this module only
produces the English sentence that ``Explanation.render()`` returns.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

__all__ = ["format_date", "format_number", "format_param"]

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_date(value: date) -> str:
    """``date(2025, 12, 10)`` → ``"10 Dec 2025"`` (English month names, whatever the locale)."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"


def format_number(value: int | float | Decimal) -> str:
    """Thousands separators; floats of 10 or more as whole numbers, smaller ones with one decimal.

    >>> format_number(27000), format_number(41.26), format_number(2.54)
    ('27,000', '41', '2.5')
    """
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if abs(value) >= 10:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def format_param(value: date | int | float | str | Decimal) -> str:
    """Render one explanation parameter in English."""
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, str):
        return value
    return format_number(value)
