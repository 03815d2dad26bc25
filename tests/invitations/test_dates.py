from datetime import date

import pytest

from invitations import add_months, next_working_day
from invitations.dates import holiday_dates, is_working_day
from tests.invitations.builders import day


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2025-01-31", 1, "2025-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2024-02-29", 48, "2028-02-29"),
        ("2025-03-31", 1, "2025-04-30"),
        ("2025-05-31", -3, "2025-02-28"),
        ("2025-12-15", 1, "2026-01-15"),
        ("2025-10-31", 4, "2026-02-28"),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(start: str, months: int, expected: str) -> None:
    assert add_months(day(start), months) == day(expected)


@pytest.mark.parametrize(
    ("start", "country", "expected"),
    [
        ("2025-12-24", "CZ", "2025-12-29"),
        ("2025-12-24", None, "2025-12-25"),
        ("2025-12-31", "DE", "2026-01-02"),
        ("2025-04-17", "DE", "2025-04-22"),  # Good Friday, weekend, Easter Monday
        ("2025-05-07", "CZ", "2025-05-09"),  # 8 May: Liberation Day
        ("2025-08-22", "XX", "2025-08-25"),  # unknown country: weekends only
        ("2025-12-25", "UK", "2025-12-29"),  # UK is an alias of GB
    ],
)
def test_next_working_day_skips_weekends_and_public_holidays(
    start: str, country: str | None, expected: str
) -> None:
    assert next_working_day(day(start), country) == day(expected)


def test_holidays_of_an_unknown_country_are_empty() -> None:
    assert holiday_dates("XX", 2025) == frozenset()
    assert date(2025, 1, 1) in holiday_dates("CZ", 2025)
    assert is_working_day(day("2025-01-02"), "CZ")
