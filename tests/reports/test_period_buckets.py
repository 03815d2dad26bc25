"""Day, ISO week, month and quarter buckets of local dates."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.periods import (
    DateRange,
    Grain,
    Period,
    add_months,
    period_containing,
    periods_covering,
    previous_period,
    previous_range,
)


@pytest.mark.parametrize(
    ("day", "grain", "start", "end", "label"),
    [
        (date(2025, 3, 4), Grain.DAY, date(2025, 3, 4), date(2025, 3, 5), "2025-03-04"),
        (date(2025, 3, 5), Grain.WEEK, date(2025, 3, 3), date(2025, 3, 10), "2025-W10"),
        (date(2025, 3, 9), Grain.WEEK, date(2025, 3, 3), date(2025, 3, 10), "2025-W10"),
        # ISO weeks belong to the year of their Thursday.
        (date(2024, 12, 31), Grain.WEEK, date(2024, 12, 30), date(2025, 1, 6), "2025-W01"),
        (date(2021, 1, 3), Grain.WEEK, date(2020, 12, 28), date(2021, 1, 4), "2020-W53"),
        (date(2024, 2, 29), Grain.MONTH, date(2024, 2, 1), date(2024, 3, 1), "2024-02"),
        (date(2025, 12, 31), Grain.MONTH, date(2025, 12, 1), date(2026, 1, 1), "2025-12"),
        (date(2025, 5, 17), Grain.QUARTER, date(2025, 4, 1), date(2025, 7, 1), "2025-Q2"),
        (date(2025, 11, 1), Grain.QUARTER, date(2025, 10, 1), date(2026, 1, 1), "2025-Q4"),
    ],
)
def test_a_date_falls_in_one_period_with_a_readable_label(
    day: date, grain: Grain, start: date, end: date, label: str
) -> None:
    period = period_containing(day, grain)
    assert period.start == start
    assert period.end == end
    assert period.label == label
    assert day in period


def test_a_period_must_start_on_its_grain_boundary() -> None:
    with pytest.raises(ValueError, match="not the first day of a week"):
        Period(grain=Grain.WEEK, start=date(2025, 3, 4))


def test_periods_covering_a_range_include_the_partial_ends() -> None:
    periods = periods_covering(
        DateRange(start=date(2025, 1, 15), end=date(2025, 3, 2)), Grain.MONTH
    )
    assert [p.label for p in periods] == ["2025-01", "2025-02", "2025-03"]


def test_periods_covering_stop_before_the_exclusive_end() -> None:
    periods = periods_covering(
        DateRange(start=date(2025, 1, 1), end=date(2025, 4, 1)), Grain.QUARTER
    )
    assert [p.label for p in periods] == ["2025-Q1"]


def test_an_empty_range_is_covered_by_no_periods() -> None:
    assert (
        periods_covering(DateRange(start=date(2025, 1, 1), end=date(2025, 1, 1)), Grain.DAY) == []
    )


@pytest.mark.parametrize(
    ("day", "grain", "previous_label"),
    [
        (date(2025, 3, 1), Grain.DAY, "2025-02-28"),
        (date(2025, 1, 1), Grain.WEEK, "2024-W52"),
        (date(2025, 3, 31), Grain.MONTH, "2025-02"),
        (date(2025, 1, 15), Grain.MONTH, "2024-12"),
        (date(2025, 2, 10), Grain.QUARTER, "2024-Q4"),
    ],
)
def test_the_previous_period_is_the_previous_bucket_of_the_same_grain(
    day: date, grain: Grain, previous_label: str
) -> None:
    assert previous_period(period_containing(day, grain)).label == previous_label


def test_the_previous_range_has_the_same_number_of_days() -> None:
    current = DateRange(start=date(2025, 3, 1), end=date(2025, 3, 16))
    previous = previous_range(current)
    assert previous == DateRange(start=date(2025, 2, 14), end=date(2025, 3, 1))
    assert previous.days == current.days == 15


def test_a_range_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before its start"):
        DateRange(start=date(2025, 3, 2), end=date(2025, 3, 1))


def test_a_range_knows_its_last_day() -> None:
    assert DateRange(start=date(2025, 3, 1), end=date(2025, 4, 1)).last_day == date(2025, 3, 31)
    assert DateRange(start=date(2025, 3, 1), end=date(2025, 3, 1)).last_day is None


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 11, 15), 2, date(2026, 1, 15)),
        (date(2025, 1, 15), -1, date(2024, 12, 15)),
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
    ],
)
def test_adding_months_clamps_to_the_end_of_the_month(
    day: date, months: int, expected: date
) -> None:
    assert add_months(day, months) == expected


days = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))


@given(days, st.sampled_from(list(Grain)))
def test_every_date_lies_in_its_period_and_periods_tile_the_calendar(
    day: date, grain: Grain
) -> None:
    period = period_containing(day, grain)
    assert period.start <= day < period.end
    assert previous_period(period).end == period.start
    assert period_containing(period.end, grain).start == period.end


@given(days, st.integers(min_value=0, max_value=120), st.sampled_from(list(Grain)))
def test_periods_covering_a_range_are_contiguous_and_cover_every_day(
    start: date, length: int, grain: Grain
) -> None:
    date_range = DateRange(start=start, end=start + timedelta(days=length))
    periods = periods_covering(date_range, grain)
    if length == 0:
        assert periods == []
        return
    assert periods[0].start <= date_range.start
    assert periods[-1].end >= date_range.end
    for before, after in zip(periods, periods[1:], strict=False):
        assert before.end == after.start
