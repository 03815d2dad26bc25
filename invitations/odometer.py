"""Odometer projection (DESIGN §3.1): a km/day rate per vehicle with a confidence.

Readings are the vehicle's own odometer readings plus every repair order's ``odometer_in`` and the
delivery odometer at the delivery date, each up to ``today``. Cleaning:

* after a recorded odometer replacement only the readings from the replacement on are used;
* implausible values are dropped: the accepted readings are the longest chain in date order that
  never decreases and never implies more than 500 km/day between neighbours (so one typo such as
  500,500 among 50,000s is dropped, not the good readings after it).

Rate, from the first branch that applies:

1. ≥ 2 accepted readings within the last 24 months spanning ≥ 30 days: the slope between them,
   least squares with ≥ 3 readings. Confidence *high* with ≥ 3 readings over ≥ 180 days, else
   *medium*.
2. One reading and a delivery date ≥ 90 days ago: (reading − delivery odometer) / days since
   delivery. Confidence *medium*.
3. The dealer's ``default_km_per_day``, else the country default: 15,000 km/yr generic,
   DE 12,320 km, US 13,500 mi, UK 7,900 mi. Confidence *low*.

The rate is clamped to 0.5–300 km/day and rounded to 0.01. Projections run forward from the latest
accepted reading (the *anchor*).

Example: readings 10,000 km on 1 Jan 2025 and 22,000 km on 1 Jan 2026 give 32.88 km/day (medium);
on 1 Mar 2026 the estimate is 22,000 + 59 × 32.88 ≈ 23,940 km, and 30,000 km is reached on
2 Sep 2026 (⌈8,000 / 32.88⌉ = 244 days after the anchor).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from invitations.dates import add_months
from invitations.model import Confidence, OdometerReading, OdometerSource, VehicleFacts
from invitations.policy import DealerPolicy

__all__ = [
    "COUNTRY_ANNUAL_KM",
    "GENERIC_ANNUAL_KM",
    "MAX_KM_PER_DAY",
    "MAX_PLAUSIBLE_KM_PER_DAY",
    "MIN_KM_PER_DAY",
    "OdometerProjection",
    "accepted_readings",
    "country_km_per_day",
    "project_odometer",
]

KM_PER_MILE = 1.609344
DAYS_PER_YEAR = 365.2425
GENERIC_ANNUAL_KM = 15_000.0
"""Annual distance used when the country has no figure of its own."""
COUNTRY_ANNUAL_KM: dict[str, float] = {
    "DE": 12_320.0,  # KBA 2023 average per car
    "US": 13_500 * KM_PER_MILE,  # FHWA
    "GB": 7_900 * KM_PER_MILE,
    "UK": 7_900 * KM_PER_MILE,
}
"""Average annual km per car by country (ISO alpha-2)."""
MAX_PLAUSIBLE_KM_PER_DAY = 500
"""Two readings implying more than this are not both kept."""
MIN_KM_PER_DAY = 0.5
"""Lower clamp of the rate."""
MAX_KM_PER_DAY = 300.0
"""Upper clamp of the rate."""
RATE_WINDOW_MONTHS = 24
MIN_SPAN_DAYS = 30
HIGH_CONFIDENCE_SPAN_DAYS = 180
MIN_DELIVERY_AGE_DAYS = 90


def country_km_per_day(country: str | None) -> float:
    """The default daily distance for ``country`` (generic 15,000 km/yr when unknown)."""
    annual = COUNTRY_ANNUAL_KM.get((country or "").upper(), GENERIC_ANNUAL_KM)
    return annual / DAYS_PER_YEAR


def _plausible(earlier: OdometerReading, later: OdometerReading) -> bool:
    gain = later.value_km - earlier.value_km
    days = max((later.date - earlier.date).days, 1)
    return gain >= 0 and gain <= MAX_PLAUSIBLE_KM_PER_DAY * days


def accepted_readings(readings: Sequence[OdometerReading]) -> tuple[OdometerReading, ...]:
    """The readings the projection trusts, in date order (see the module docstring).

    >>> r = lambda d, km: OdometerReading(date=date.fromisoformat(d), value_km=km)
    >>> [x.value_km for x in accepted_readings([r("2025-01-01", 10_000),
    ...     r("2025-03-01", 500_500), r("2025-06-01", 15_000)])]
    [10000, 15000]
    """
    ordered = sorted(readings, key=lambda r: (r.date, r.value_km))
    replaced = [i for i, r in enumerate(ordered) if r.odometer_replaced]
    if replaced:
        ordered = ordered[replaced[-1] :]
    if all(_plausible(a, b) for a, b in zip(ordered, ordered[1:], strict=False)):
        return tuple(ordered)
    # Longest plausible chain; ties prefer the chain that ends later, then the earliest choices.
    length = [1] * len(ordered)
    previous: list[int | None] = [None] * len(ordered)
    for i, current in enumerate(ordered):
        for j in range(i):
            if length[j] + 1 > length[i] and _plausible(ordered[j], current):
                length[i], previous[i] = length[j] + 1, j
    end = max(range(len(ordered)), key=lambda i: (length[i], i))
    chain: list[OdometerReading] = []
    cursor: int | None = end
    while cursor is not None:
        chain.append(ordered[cursor])
        cursor = previous[cursor]
    return tuple(reversed(chain))


def _slope(points: Sequence[OdometerReading]) -> float:
    origin = points[0].date
    xs = [(p.date - origin).days for p in points]
    ys = [p.value_km for p in points]
    if len(points) == 2:
        return (ys[1] - ys[0]) / (xs[1] - xs[0])
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    return sxy / sxx


@dataclass(frozen=True, slots=True, kw_only=True)
class OdometerProjection:
    """A vehicle's accepted readings, km/day rate and confidence, as of one date.

    ``anchor`` is the latest accepted reading (``None`` when there is none: no reading, repair-order
    odometer or delivery date). ``replaced_on`` is the date of the latest odometer replacement.
    """

    rate_km_per_day: float
    confidence: Confidence
    readings: tuple[OdometerReading, ...]
    replaced_on: date | None = None

    def __post_init__(self) -> None:
        if not MIN_KM_PER_DAY <= self.rate_km_per_day <= MAX_KM_PER_DAY:
            raise ValueError(f"rate {self.rate_km_per_day} km/day is outside the clamp")

    @property
    def anchor(self) -> OdometerReading | None:
        """The latest accepted reading, which projections run forward from."""
        return self.readings[-1] if self.readings else None

    def estimated_km(self, on: date) -> int | None:
        """Estimated odometer on ``on``; recorded values are used as they are.

        Before the anchor it interpolates between accepted readings (or extrapolates back from the
        first one, never below 0); after it, anchor + rate × days.
        """
        if not self.readings:
            return None
        for earlier, later in zip(self.readings, self.readings[1:], strict=False):
            if earlier.date <= on <= later.date:
                span = (later.date - earlier.date).days
                if span == 0:
                    return later.value_km
                fraction = (on - earlier.date).days / span
                return round(earlier.value_km + fraction * (later.value_km - earlier.value_km))
        first, last = self.readings[0], self.readings[-1]
        if on < first.date:
            return max(0, round(first.value_km - self.rate_km_per_day * (first.date - on).days))
        return round(last.value_km + self.rate_km_per_day * (on - last.date).days)

    def recorded_date_reaching(self, km: int, *, after: date | None = None) -> date | None:
        """The date of the first accepted reading ≥ ``km`` (dated after ``after``), if any.

        This is a *recorded* fact: only such a date may make a km-based due date overdue.
        """
        for reading in self.readings:
            if reading.value_km >= km and (after is None or reading.date > after):
                return reading.date
        return None

    def projected_date_reaching(self, km: int) -> date | None:
        """The date the projected odometer reaches ``km`` (⌈km to go / rate⌉ days after the anchor).

        Returns the anchor date when ``km`` is already recorded, ``None`` without an anchor.
        """
        anchor = self.anchor
        if anchor is None:
            return None
        to_go = km - anchor.value_km
        if to_go <= 0:
            return anchor.date
        return anchor.date + timedelta(days=math.ceil(to_go / self.rate_km_per_day))

    def date_reaching(self, km: int, *, after: date | None = None) -> date | None:
        """The recorded date ``km`` was reached if there is one, else the projected date."""
        recorded = self.recorded_date_reaching(km, after=after)
        return recorded if recorded is not None else self.projected_date_reaching(km)


def _derived(day: date, value_km: int, source: OdometerSource) -> OdometerReading:
    # A reading derived from already validated facts (an RO's odometer in, the delivery): built
    # without re-validating, as this runs for every repair order of every vehicle.
    reading = object.__new__(OdometerReading)
    object.__setattr__(reading, "date", day)
    object.__setattr__(reading, "value_km", value_km)
    object.__setattr__(reading, "source", source)
    object.__setattr__(reading, "odometer_replaced", False)
    return reading


def _all_readings(vehicle: VehicleFacts, today: date) -> list[OdometerReading]:
    readings = [r for r in vehicle.odometer_readings if r.date <= today]
    readings.extend(
        _derived(ro.date, ro.odometer_in, OdometerSource.RO)
        for ro in vehicle.repair_orders
        if ro.odometer_in is not None and ro.date <= today
    )
    if vehicle.delivery_date is not None and vehicle.delivery_date <= today:
        readings.append(
            _derived(vehicle.delivery_date, vehicle.delivery_odometer_km, OdometerSource.DELIVERY)
        )
    # The same value on the same day from two sources is one reading; a replacement flag wins.
    unique: dict[tuple[date, int], OdometerReading] = {}
    for reading in readings:
        key = (reading.date, reading.value_km)
        if key not in unique or reading.odometer_replaced:
            unique[key] = reading
    return list(unique.values())


def _clamp(rate: float) -> float:
    return round(min(MAX_KM_PER_DAY, max(MIN_KM_PER_DAY, rate)), 2)


def project_odometer(
    vehicle: VehicleFacts, *, today: date, policy: DealerPolicy
) -> OdometerProjection:
    """The vehicle's odometer projection as of ``today`` (see the module docstring)."""
    raw = _all_readings(vehicle, today)
    readings = accepted_readings(raw)
    replaced = [r.date for r in raw if r.odometer_replaced]
    replaced_on = max(replaced) if replaced else None

    window_start = add_months(today, -RATE_WINDOW_MONTHS)
    recent = [r for r in readings if r.date >= window_start]
    if len(recent) >= 2 and (recent[-1].date - recent[0].date).days >= MIN_SPAN_DAYS:
        span = (recent[-1].date - recent[0].date).days
        high = len(recent) >= 3 and span >= HIGH_CONFIDENCE_SPAN_DAYS
        return OdometerProjection(
            rate_km_per_day=_clamp(_slope(recent)),
            confidence=Confidence.HIGH if high else Confidence.MEDIUM,
            readings=readings,
            replaced_on=replaced_on,
        )

    delivery = vehicle.delivery_date
    later = [
        r
        for r in readings
        if r.source is not OdometerSource.DELIVERY and delivery is not None and r.date > delivery
    ]
    if (
        delivery is not None
        and replaced_on is None
        and later
        and (today - delivery).days >= MIN_DELIVERY_AGE_DAYS
    ):
        reading = later[-1]
        days = (reading.date - delivery).days
        rate = (reading.value_km - vehicle.delivery_odometer_km) / days
        return OdometerProjection(
            rate_km_per_day=_clamp(rate),
            confidence=Confidence.MEDIUM,
            readings=readings,
            replaced_on=replaced_on,
        )

    default = policy.default_km_per_day or country_km_per_day(policy.country)
    return OdometerProjection(
        rate_km_per_day=_clamp(default),
        confidence=Confidence.LOW,
        readings=readings,
        replaced_on=replaced_on,
    )
