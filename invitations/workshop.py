"""Workshop capacity (DESIGN §3.4): which appointment slots are free on a day.

A dealer's ``capacity_hours`` per day is the workshop time it can sell (bay-hours). A day is open
when the dealer has opening hours that weekday and it is not a public holiday. Slots start every
``step_minutes`` (30) inside the opening hours and must end by closing time. A slot of
``duration_minutes`` is free when

* the day's booked minutes plus the duration stay within ``capacity_hours * 60``, and
* at every moment of the slot fewer appointments overlap than the workshop has bays, where
  ``bays = ceil(capacity minutes / opening minutes of the day)``.

Example: 24 bay-hours over a 07:00–17:00 day are 3 bays; a fourth 60-minute booking at 09:00 does
not fit there, though 09:30 may.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from invitations.dates import holiday_dates

__all__ = ["Booking", "OpeningHours", "Slot", "free_slots", "fits", "parse_opening_hours"]

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

OpeningHours = Mapping[int, tuple[tuple[time, time], ...]]
"""``(open, close)`` pairs per weekday (0 = Monday), local time."""

DEFAULT_OPENING: OpeningHours = {d: ((time(8), time(17)),) for d in range(5)}


def parse_opening_hours(raw: Mapping[str, object] | None) -> OpeningHours:
    """``{"mon": [["07:00", "17:00"]], ...}`` as :data:`OpeningHours`; ``None``: Mon–Fri 8–17.

    ``ValueError`` names the day whose value is malformed.
    """
    if raw is None:
        return DEFAULT_OPENING
    out: dict[int, tuple[tuple[time, time], ...]] = {}
    for name, spans in raw.items():
        if name not in _DAY_NAMES:
            raise ValueError(f"opening hours: unknown day {name!r}")
        pairs: list[tuple[time, time]] = []
        if not isinstance(spans, list):
            raise ValueError(f"opening hours {name}: expected a list of [open, close] pairs")
        for span in spans:
            try:
                start, end = (time.fromisoformat(str(v)) for v in span)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"opening hours {name}: {span!r} is not [HH:MM, HH:MM]") from exc
            if not start < end:
                raise ValueError(f"opening hours {name}: {span!r} closes before it opens")
            pairs.append((start, end))
        out[_DAY_NAMES.index(name)] = tuple(sorted(pairs))
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Booking:
    """An appointment already taking workshop time (naive local start)."""

    start: datetime
    duration_minutes: int

    @property
    def end(self) -> datetime:
        """When the appointment's workshop time ends."""
        return self.start + timedelta(minutes=self.duration_minutes)


@dataclass(frozen=True, slots=True, kw_only=True)
class Slot:
    """A bookable start time (naive, dealer-local) with its duration."""

    start: datetime
    duration_minutes: int


def _minutes(a: time, b: time) -> int:
    return (b.hour * 60 + b.minute) - (a.hour * 60 + a.minute)


def _bays(capacity_minutes: int, spans: tuple[tuple[time, time], ...]) -> int:
    open_minutes = sum(_minutes(a, b) for a, b in spans)
    return math.ceil(capacity_minutes / open_minutes) if open_minutes else 0


def fits(
    start: datetime,
    duration_minutes: int,
    *,
    bookings: Iterable[Booking],
    opening: OpeningHours,
    capacity_hours: int,
    country: str | None,
) -> bool:
    """True when a ``duration_minutes`` appointment at ``start`` (naive local) fits the day."""
    if duration_minutes <= 0:
        raise ValueError("duration_minutes must be positive")
    day = start.date()
    spans = opening.get(day.weekday(), ())
    if not spans or day in holiday_dates(country, day.year):
        return False
    end = start + timedelta(minutes=duration_minutes)
    if not any(
        datetime.combine(day, a) <= start and end <= datetime.combine(day, b) for a, b in spans
    ):
        return False
    same_day = [b for b in bookings if b.start.date() == day]
    capacity = capacity_hours * 60
    if sum(b.duration_minutes for b in same_day) + duration_minutes > capacity:
        return False
    bays = _bays(capacity, spans)
    # Overlap peaks happen at a start: check the slot's start and every booking starting inside.
    points = [start] + [b.start for b in same_day if start < b.start < end]
    return all(sum(1 for b in same_day if b.start <= p < b.end) < bays for p in points)


def free_slots(
    first: date,
    last: date,
    *,
    duration_minutes: int,
    bookings: Iterable[Booking],
    opening: OpeningHours,
    capacity_hours: int,
    country: str | None,
    step_minutes: int = 30,
    not_before: datetime | None = None,
) -> list[Slot]:
    """Every free slot from ``first`` to ``last`` (inclusive), in time order; with
    ``not_before`` (naive local, usually now), none that starts earlier."""
    if last < first:
        raise ValueError("last must not be before first")
    if step_minutes <= 0:
        raise ValueError("step_minutes must be positive")
    booked = list(bookings)
    out: list[Slot] = []
    day = first
    while day <= last:
        for a, b in opening.get(day.weekday(), ()):
            at = datetime.combine(day, a)
            close = datetime.combine(day, b)
            while at + timedelta(minutes=duration_minutes) <= close:
                if (not_before is None or at >= not_before) and fits(
                    at,
                    duration_minutes,
                    bookings=booked,
                    opening=opening,
                    capacity_hours=capacity_hours,
                    country=country,
                ):
                    out.append(Slot(start=at, duration_minutes=duration_minutes))
                at += timedelta(minutes=step_minutes)
        day += timedelta(days=1)
    return out
