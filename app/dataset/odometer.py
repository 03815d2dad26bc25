"""Odometer sanity (DESIGN §3.1): a reading that goes backwards, or that implies more than
500 km a day since the previous accepted reading, is stored as rejected with the reason; it is
never dropped silently. A recorded odometer replacement allows a lower value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

MAX_KM_PER_DAY = 500


@dataclass(frozen=True, slots=True)
class Reading:
    key: tuple[date, str]  # (date, source): a reading's identity for one vehicle
    day: date
    km: int
    replaced: bool = False


def judge(new: Reading, accepted: Iterable[Reading]) -> str | None:
    """The reason to reject ``new`` given the vehicle's other accepted readings, or None."""
    others = [r for r in accepted if r.key != new.key]
    before = [r for r in others if r.day <= new.day]
    after = [r for r in others if r.day > new.day]
    if before:
        prev = max(before, key=lambda r: (r.day, r.km))
        if new.km < prev.km and not new.replaced:
            return (
                f"goes backwards: {new.km} km on {new.day} is below {prev.km} km "
                f"on {prev.day} ({prev.key[1]})"
            )
        days = (new.day - prev.day).days
        rate = (new.km - prev.km) / max(days, 1)
        if new.km > prev.km and rate > MAX_KM_PER_DAY:
            return (
                f"implies {rate:,.0f} km/day since {prev.km} km on {prev.day} "
                f"(more than {MAX_KM_PER_DAY})"
            )
    if after and not any(r.replaced for r in after):
        nxt = min(after, key=lambda r: (r.day, r.km))
        if new.km > nxt.km:
            return (
                f"goes backwards: {new.km} km on {new.day} is above {nxt.km} km "
                f"on the later {nxt.day} ({nxt.key[1]})"
            )
    return None
