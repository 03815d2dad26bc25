"""The service funnel: from invitations that fell due to workshop visits and their revenue.

The cohort is every invitation that became due in the period (DESIGN §4). Each stage counts
distinct invitations and, beside them, distinct customers:

============  =====================================================================================
stage         an invitation is counted when …
============  =====================================================================================
due           the engine found it due in the period
suppressed    it was kept out of the call list, by reason (do-not-call, sold vehicle, …)
control       it was held out at random (the control group: never called, measured like the rest)
targeted      ``due − suppressed − control``: handed to the contact centre
attempted     at least one call attempt was made
reached       an attempt had a ``contact_made`` disposition
booked        an appointment was made from its call task (a booking implies a contact)
arrived       the vehicle came in: the booked appointment arrived, or an RO opened within the
              attribution window (60 days after the booking, or after the due date for organic
              returns); ``arrived_from_booking`` is the part that came in on our booking
revenue       RO totals of arrived visits, split customer pay / warranty / internal
============  =====================================================================================

Rates (each a :class:`~reports.stats.Proportion` with a Wilson interval):

- attempt rate = attempted / targeted
- reach rate = reached / attempted
- booking rate = booked / reached
- show rate = arrived_from_booking / booked (organic arrivals are not "shows" of our bookings)
- conversion = arrived / targeted
- control arrival rate = control_arrived / control (the baseline for uplift)

Revenue per targeted = total revenue / targeted; revenue per arrived = total revenue / arrived.

Worked example: 1,000 due, 80 suppressed, 50 control, so 870 targeted; 800 attempted, 480 reached,
240 booked, 204 of those bookings arrived plus 57 organic arrivals (261 arrived), revenue 52,200.
Attempt rate 800/870 = 92.0 %, reach rate 480/800 = 60.0 %, booking rate 240/480 = 50.0 %, show
rate 204/240 = 85.0 %, conversion 261/870 = 30.0 %, revenue per targeted 60.00, per arrived 200.00.

Customer counts are distinct customers at each stage, so ``targeted = due − suppressed − control``
does not hold for them (one customer can have a suppressed and a targeted invitation); only
``stage ≤ due`` and the call-stage ordering are checked. Summing customer counts over slices that
can share a customer (invitation types, periods) counts that customer once per slice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from reports.stats import DEFAULT_CONFIDENCE, Interval, Proportion, newcombe_interval

__all__ = [
    "CountChange",
    "CountUnit",
    "FunnelComparison",
    "FunnelCounts",
    "FunnelKpis",
    "FunnelPair",
    "FunnelPairKpis",
    "MoneyChange",
    "RateChange",
    "Revenue",
    "combine_funnels",
    "compare_funnels",
    "funnel_kpis",
    "funnel_pair_kpis",
]

_ZERO = Decimal(0)


class CountUnit(StrEnum):
    """What a funnel counts: invitations, or distinct customers."""

    INVITATIONS = "invitations"
    CUSTOMERS = "customers"


@dataclass(frozen=True, slots=True, kw_only=True)
class Revenue:
    """RO totals of arrived visits, split by who pays.

    Amounts are net RO totals in the dealer's currency; they may be negative only if a credit
    outweighs the charges, so only non-finite amounts are rejected.

    Raises:
        ValueError: if an amount is NaN or infinite.
    """

    customer_pay: Decimal = _ZERO
    warranty: Decimal = _ZERO
    internal: Decimal = _ZERO

    def __post_init__(self) -> None:
        for name in ("customer_pay", "warranty", "internal"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise ValueError(f"revenue {name} must be a finite Decimal, got {value!r}")

    @property
    def total(self) -> Decimal:
        """customer pay + warranty + internal."""
        return self.customer_pay + self.warranty + self.internal

    def __add__(self, other: Revenue) -> Revenue:
        """Split-by-split sum."""
        return Revenue(
            customer_pay=self.customer_pay + other.customer_pay,
            warranty=self.warranty + other.warranty,
            internal=self.internal + other.internal,
        )


_STAGES = ("due", "control", "targeted", "attempted", "reached", "booked", "arrived")


@dataclass(frozen=True, slots=True, kw_only=True)
class FunnelCounts:
    """The funnel counts of one slice (dealer × type × period × …), in one :class:`CountUnit`.

    ``suppressed`` maps a suppression reason to its count; it is stored read-only with reasons in
    sorted order, so a ``FunnelCounts`` compares by value but is not hashable.

    Raises:
        ValueError: on a negative count, or a stage larger than the one it follows
            (``attempted ≤ targeted``, ``reached ≤ attempted``, ``booked ≤ reached``,
            ``arrived_from_booking ≤ booked``, ``arrived_from_booking ≤ arrived ≤ targeted``,
            ``control_arrived ≤ control``), or, for invitations,
            ``targeted ≠ due − suppressed − control``; for customers, any stage above ``due``.
    """

    unit: CountUnit = CountUnit.INVITATIONS
    due: int
    suppressed: Mapping[str, int] = field(default_factory=dict)
    control: int = 0
    control_arrived: int = 0
    targeted: int
    attempted: int = 0
    reached: int = 0
    booked: int = 0
    arrived: int = 0
    arrived_from_booking: int = 0
    revenue: Revenue = field(default_factory=Revenue)

    def __post_init__(self) -> None:
        suppressed = MappingProxyType(dict(sorted(self.suppressed.items())))
        object.__setattr__(self, "suppressed", suppressed)
        for reason in suppressed:
            if not isinstance(reason, str) or not reason:
                raise ValueError(f"suppression reasons must be non-empty strings, got {reason!r}")
        counts = {name: getattr(self, name) for name in _COUNT_FIELDS}
        counts.update({f"suppressed[{reason!r}]": n for reason, n in suppressed.items()})
        for name, value in counts.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        if not isinstance(self.revenue, Revenue):
            raise ValueError(f"revenue must be a Revenue, got {self.revenue!r}")
        _check_order("attempted", self.attempted, "targeted", self.targeted)
        _check_order("reached", self.reached, "attempted", self.attempted)
        _check_order("booked", self.booked, "reached", self.reached)
        _check_order("arrived_from_booking", self.arrived_from_booking, "booked", self.booked)
        _check_order("arrived_from_booking", self.arrived_from_booking, "arrived", self.arrived)
        _check_order("arrived", self.arrived, "targeted", self.targeted)
        _check_order("control_arrived", self.control_arrived, "control", self.control)
        if self.unit is CountUnit.INVITATIONS:
            expected = self.due - self.suppressed_total - self.control
            if self.targeted != expected:
                raise ValueError(
                    f"targeted ({self.targeted}) must equal due − suppressed − control "
                    f"({self.due} − {self.suppressed_total} − {self.control} = {expected})"
                )
        else:
            _check_order("targeted", self.targeted, "due", self.due)
            _check_order("control", self.control, "due", self.due)
            for reason, n in suppressed.items():
                _check_order(f"suppressed[{reason!r}]", n, "due", self.due)

    @property
    def suppressed_total(self) -> int:
        """The number suppressed, all reasons together."""
        return sum(self.suppressed.values())


_COUNT_FIELDS = (
    "due",
    "control",
    "control_arrived",
    "targeted",
    "attempted",
    "reached",
    "booked",
    "arrived",
    "arrived_from_booking",
)


def _check_order(name: str, value: int, bound_name: str, bound: int) -> None:
    if value > bound:
        raise ValueError(f"{name} ({value}) cannot exceed {bound_name} ({bound})")


@dataclass(frozen=True, slots=True, kw_only=True)
class FunnelPair:
    """The same slice counted in invitations and in distinct customers.

    Raises:
        ValueError: if the units are wrong, or the customers at a stage outnumber the invitations at
            that stage (every counted customer has at least one invitation there).
    """

    invitations: FunnelCounts
    customers: FunnelCounts

    def __post_init__(self) -> None:
        if self.invitations.unit is not CountUnit.INVITATIONS:
            raise ValueError("FunnelPair.invitations must count invitations")
        if self.customers.unit is not CountUnit.CUSTOMERS:
            raise ValueError("FunnelPair.customers must count customers")
        for name in _COUNT_FIELDS:
            _check_order(
                f"customers {name}",
                getattr(self.customers, name),
                f"invitations {name}",
                getattr(self.invitations, name),
            )
        for reason, n in self.customers.suppressed.items():
            _check_order(
                f"customers suppressed[{reason!r}]",
                n,
                f"invitations suppressed[{reason!r}]",
                self.invitations.suppressed.get(reason, 0),
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class FunnelKpis:
    """The rates and revenue ratios of one :class:`FunnelCounts` (see the module docstring)."""

    counts: FunnelCounts
    suppression_rate: Proportion
    """suppressed / due (invitations only: customers can be suppressed for several reasons)."""
    attempt_rate: Proportion
    """attempted / targeted."""
    reach_rate: Proportion
    """reached / attempted."""
    booking_rate: Proportion
    """booked / reached."""
    show_rate: Proportion
    """arrived_from_booking / booked."""
    conversion_rate: Proportion
    """arrived / targeted: the share of targeted invitations that came in."""
    control_arrival_rate: Proportion
    """control_arrived / control: how many came in without being called."""
    revenue_per_targeted: Decimal | None
    """revenue total / targeted, or ``None`` when nothing was targeted."""
    revenue_per_arrived: Decimal | None
    """revenue total / arrived, or ``None`` when nothing arrived."""


def funnel_kpis(counts: FunnelCounts, *, confidence: float = DEFAULT_CONFIDENCE) -> FunnelKpis:
    """Compute the stage-to-stage rates (with Wilson intervals) and revenue ratios of a funnel.

    >>> kpis = funnel_kpis(FunnelCounts(due=10, targeted=10, attempted=8, reached=4))
    >>> kpis.reach_rate.rate, kpis.booking_rate.rate
    (0.5, 0.0)

    Raises:
        ValueError: if ``confidence`` is not strictly between 0 and 1.
    """

    def rate(successes: int, trials: int) -> Proportion:
        return Proportion(successes=successes, trials=trials, confidence=confidence)

    total = counts.revenue.total
    suppressed = min(counts.suppressed_total, counts.due)
    return FunnelKpis(
        counts=counts,
        suppression_rate=rate(suppressed, counts.due),
        attempt_rate=rate(counts.attempted, counts.targeted),
        reach_rate=rate(counts.reached, counts.attempted),
        booking_rate=rate(counts.booked, counts.reached),
        show_rate=rate(counts.arrived_from_booking, counts.booked),
        conversion_rate=rate(counts.arrived, counts.targeted),
        control_arrival_rate=rate(counts.control_arrived, counts.control),
        revenue_per_targeted=total / counts.targeted if counts.targeted else None,
        revenue_per_arrived=total / counts.arrived if counts.arrived else None,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FunnelPairKpis:
    """:class:`FunnelKpis` for the same slice counted in invitations and in customers."""

    invitations: FunnelKpis
    customers: FunnelKpis


def funnel_pair_kpis(pair: FunnelPair, *, confidence: float = DEFAULT_CONFIDENCE) -> FunnelPairKpis:
    """Compute :func:`funnel_kpis` for both units of a :class:`FunnelPair`."""
    return FunnelPairKpis(
        invitations=funnel_kpis(pair.invitations, confidence=confidence),
        customers=funnel_kpis(pair.customers, confidence=confidence),
    )


def combine_funnels(
    parts: Iterable[FunnelCounts], *, unit: CountUnit = CountUnit.INVITATIONS
) -> FunnelCounts:
    """Sum funnels over a dimension (e.g. all invitation types of a dealer, all dealers of a group).

    Every count, every suppression reason and every revenue split is added. With no parts the result
    is an all-zero funnel. For customer counts the sum is exact only if no customer appears in two
    parts; otherwise ask the database for distinct customers of the combined slice.

    >>> a = FunnelCounts(due=5, suppressed={"dnc": 1}, targeted=4)
    >>> b = FunnelCounts(due=3, suppressed={"sold": 1}, targeted=2)
    >>> combined = combine_funnels([a, b])
    >>> combined.due, dict(combined.suppressed), combined.targeted
    (8, {'dnc': 1, 'sold': 1}, 6)

    Raises:
        ValueError: if a part counts a different unit than ``unit``.
    """
    totals = dict.fromkeys(_COUNT_FIELDS, 0)
    suppressed: dict[str, int] = {}
    revenue = Revenue()
    for part in parts:
        if part.unit is not unit:
            raise ValueError(f"cannot combine a {part.unit} funnel into a {unit} funnel")
        for name in _COUNT_FIELDS:
            totals[name] += getattr(part, name)
        for reason, n in part.suppressed.items():
            suppressed[reason] = suppressed.get(reason, 0) + n
        revenue = revenue + part.revenue
    return FunnelCounts(unit=unit, suppressed=suppressed, revenue=revenue, **totals)


@dataclass(frozen=True, slots=True, kw_only=True)
class CountChange:
    """A count this period against the previous period."""

    current: int
    previous: int

    @property
    def absolute(self) -> int:
        """``current − previous``."""
        return self.current - self.previous

    @property
    def relative(self) -> float | None:
        """``(current − previous) / previous``; ``None`` when ``previous`` is 0."""
        return self.absolute / self.previous if self.previous else None


@dataclass(frozen=True, slots=True, kw_only=True)
class RateChange:
    """A rate this period against the previous period.

    ``absolute`` is in rate units (0.05 is 5 percentage points); ``interval`` is Newcombe's interval
    for that difference, treating the two periods' cohorts as independent samples.
    """

    current: Proportion
    previous: Proportion

    @property
    def absolute(self) -> float | None:
        """``current.rate − previous.rate``; ``None`` if either rate is undefined."""
        c, p = self.current.rate, self.previous.rate
        return None if c is None or p is None else c - p

    @property
    def relative(self) -> float | None:
        """``absolute / previous.rate``; ``None`` if undefined or the previous rate is 0."""
        absolute, p = self.absolute, self.previous.rate
        return None if absolute is None or not p else absolute / p

    @property
    def interval(self) -> Interval | None:
        """Newcombe's interval for ``absolute``, or ``None`` if either period has no trials."""
        return newcombe_interval(
            self.current.successes,
            self.current.trials,
            self.previous.successes,
            self.previous.trials,
            confidence=self.current.confidence,
        )

    @property
    def significant(self) -> bool:
        """Whether :attr:`interval` exists and excludes 0."""
        interval = self.interval
        return interval is not None and interval.excludes_zero()


@dataclass(frozen=True, slots=True, kw_only=True)
class MoneyChange:
    """An amount (or amount ratio) this period against the previous period."""

    current: Decimal | None
    previous: Decimal | None

    @property
    def absolute(self) -> Decimal | None:
        """``current − previous``; ``None`` if either is undefined."""
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def relative(self) -> Decimal | None:
        """``absolute / previous``; ``None`` if undefined or ``previous`` is 0."""
        absolute = self.absolute
        if absolute is None or not self.previous:
            return None
        return absolute / self.previous


@dataclass(frozen=True, slots=True, kw_only=True)
class FunnelComparison:
    """Period-over-period changes of every funnel count, rate and revenue figure."""

    due: CountChange
    suppressed: CountChange
    control: CountChange
    targeted: CountChange
    attempted: CountChange
    reached: CountChange
    booked: CountChange
    arrived: CountChange
    attempt_rate: RateChange
    reach_rate: RateChange
    booking_rate: RateChange
    show_rate: RateChange
    conversion_rate: RateChange
    revenue: MoneyChange
    revenue_per_targeted: MoneyChange
    revenue_per_arrived: MoneyChange


def compare_funnels(
    current: FunnelCounts,
    previous: FunnelCounts,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
) -> FunnelComparison:
    """Compare this period's funnel with the previous period's (see :mod:`reports.periods`).

    >>> this = FunnelCounts(due=100, targeted=100, attempted=90)
    >>> last = FunnelCounts(due=80, targeted=80, attempted=60)
    >>> change = compare_funnels(this, last)
    >>> change.due.absolute, change.due.relative, round(change.attempt_rate.absolute, 2)
    (20, 0.25, 0.15)

    Raises:
        ValueError: if the two funnels count different units, or on an invalid confidence.
    """
    if current.unit is not previous.unit:
        raise ValueError(f"cannot compare a {current.unit} funnel with a {previous.unit} funnel")
    now = funnel_kpis(current, confidence=confidence)
    before = funnel_kpis(previous, confidence=confidence)

    def count(name: str) -> CountChange:
        return CountChange(current=getattr(current, name), previous=getattr(previous, name))

    def rate(name: str) -> RateChange:
        return RateChange(current=getattr(now, name), previous=getattr(before, name))

    return FunnelComparison(
        due=count("due"),
        suppressed=CountChange(
            current=current.suppressed_total, previous=previous.suppressed_total
        ),
        control=count("control"),
        targeted=count("targeted"),
        attempted=count("attempted"),
        reached=count("reached"),
        booked=count("booked"),
        arrived=count("arrived"),
        attempt_rate=rate("attempt_rate"),
        reach_rate=rate("reach_rate"),
        booking_rate=rate("booking_rate"),
        show_rate=rate("show_rate"),
        conversion_rate=rate("conversion_rate"),
        revenue=MoneyChange(current=current.revenue.total, previous=previous.revenue.total),
        revenue_per_targeted=MoneyChange(
            current=now.revenue_per_targeted, previous=before.revenue_per_targeted
        ),
        revenue_per_arrived=MoneyChange(
            current=now.revenue_per_arrived, previous=before.revenue_per_arrived
        ),
    )
