"""Workshop capacity: free slots, bays, holidays."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invitations.workshop import Booking, fits, free_slots, parse_opening_hours

OPENING = parse_opening_hours(
    {"mon": [["07:00", "17:00"]], "tue": [["07:00", "17:00"]], "thu": [["07:00", "17:00"]]}
)


def test_three_bays_take_three_parallel_bookings_not_four() -> None:
    booked = [Booking(start=datetime(2026, 11, 24, 9, 0), duration_minutes=60)] * 3
    assert not fits(
        datetime(2026, 11, 24, 9, 0),
        60,
        bookings=booked,
        opening=OPENING,
        capacity_hours=24,
        country="CZ",
    )
    assert fits(
        datetime(2026, 11, 24, 10, 0),
        60,
        bookings=booked,
        opening=OPENING,
        capacity_hours=24,
        country="CZ",
    )


def test_a_closed_day_or_a_holiday_has_no_slots() -> None:
    assert (
        free_slots(
            date(2026, 11, 25),
            date(2026, 11, 25),
            duration_minutes=60,
            bookings=[],
            opening=OPENING,
            capacity_hours=24,
            country="CZ",
        )
        == []
    )
    assert (
        free_slots(
            date(2026, 12, 24),
            date(2026, 12, 24),
            duration_minutes=60,
            bookings=[],
            opening=OPENING,
            capacity_hours=24,
            country="CZ",
        )
        == []
    )


def test_no_slot_starts_before_not_before() -> None:
    """Today's slots that already started are not offered: at 10:10 the first is 10:30."""
    day = date(2026, 11, 24)  # a Tuesday
    slots = free_slots(
        day,
        day,
        duration_minutes=60,
        bookings=[],
        opening=OPENING,
        capacity_hours=24,
        country="CZ",
        not_before=datetime(2026, 11, 24, 10, 10),
    )
    everything = free_slots(
        day, day, duration_minutes=60, bookings=[], opening=OPENING, capacity_hours=24, country="CZ"
    )
    assert slots[0].start == datetime(2026, 11, 24, 10, 30)
    assert slots == [s for s in everything if s.start >= datetime(2026, 11, 24, 10, 10)]
    assert len(slots) < len(everything)


def test_a_bad_opening_hours_value_names_the_day() -> None:
    with pytest.raises(ValueError, match="tue"):
        parse_opening_hours({"tue": [["17:00", "07:00"]]})


@given(
    st.lists(st.integers(min_value=0, max_value=17), max_size=30),
    st.integers(min_value=1, max_value=30),
)
def test_booking_only_free_slots_never_exceeds_capacity(starts: list[int], capacity: int) -> None:
    booked: list[Booking] = []
    for half_hours in starts:
        at = datetime(2026, 11, 24, 7, 0).replace(
            hour=7 + half_hours // 2, minute=30 * (half_hours % 2)
        )
        if fits(at, 60, bookings=booked, opening=OPENING, capacity_hours=capacity, country="CZ"):
            booked.append(Booking(start=at, duration_minutes=60))
    assert sum(b.duration_minutes for b in booked) <= capacity * 60
