"""Engine input and output types: the facts the app maps from its rows, and the decisions.

Everything here is a frozen, slotted, keyword-only dataclass validated in ``__post_init__``
(``ValueError`` on bad data). Enumerated fields accept either the enum member or its string value
(``"maintenance"``, ``"customer_pay"``, ...) and are normalised to the enum, so the app can map
database strings directly. Collections are normalised to tuples sorted by date, so the engine's
output never depends on the order in which the app loaded rows.

Distances are kilometres (the app converts miles on import); dates are dealer-local ``date``s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from invitations.formatting import format_param

__all__ = [
    "Appointment",
    "AppointmentStatus",
    "CallTaskPlan",
    "Confidence",
    "ContactOutcome",
    "ContactRecord",
    "CustomerFacts",
    "CustomerStatus",
    "Explanation",
    "ExplanationParam",
    "Invitation",
    "InvitationStatus",
    "InvitationType",
    "OdometerReading",
    "OdometerSource",
    "PayType",
    "Recall",
    "RecallStatus",
    "RepairOrder",
    "RepairOrderLine",
    "ServiceKind",
    "SuppressionReason",
    "ValueSegment",
    "VehicleFacts",
    "VehicleStatus",
    "Warranty",
    "WarrantyKind",
]


class ServiceKind(StrEnum):
    """What a repair-order line was for (the contract's ``service_kind``)."""

    MAINTENANCE = "maintenance"
    REPAIR = "repair"
    RECALL = "recall"
    TYRES = "tyres"
    INSPECTION = "inspection"
    OTHER = "other"


class PayType(StrEnum):
    """Who paid for a repair-order line (the contract's ``pay_type``)."""

    CUSTOMER_PAY = "customer_pay"
    WARRANTY = "warranty"
    INTERNAL = "internal"


class VehicleStatus(StrEnum):
    """Lifecycle status of a vehicle; only ``active`` vehicles may be called about."""

    ACTIVE = "active"
    SOLD = "sold"
    SCRAPPED = "scrapped"
    STOLEN = "stolen"
    EXPORTED = "exported"


class CustomerStatus(StrEnum):
    """Status of a customer record."""

    ACTIVE = "active"
    DECEASED = "deceased"
    ERASED = "erased"


class AppointmentStatus(StrEnum):
    """Status of a workshop appointment."""

    BOOKED = "booked"
    CONFIRMED = "confirmed"
    ARRIVED = "arrived"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class RecallStatus(StrEnum):
    """Status of one VIN in a recall campaign."""

    OPEN = "open"
    COMPLETED_HERE = "completed_here"
    COMPLETED_ELSEWHERE = "completed_elsewhere"
    NOT_APPLICABLE = "not_applicable"


class WarrantyKind(StrEnum):
    """Kind of warranty cover; the ``warranty_expiry`` rule invites once per cover."""

    BASIC = "basic"
    POWERTRAIN = "powertrain"
    EXTENDED = "extended"


class OdometerSource(StrEnum):
    """Where an odometer reading came from."""

    RO = "ro"
    DELIVERY = "delivery"
    TELEMATICS = "telematics"
    AGENT = "agent"


class ValueSegment(StrEnum):
    """Customer value segment (DESIGN §3.2); adds to an invitation's priority."""

    VIP = "vip"
    HIGH = "high"
    STANDARD = "standard"
    LOW = "low"


class InvitationType(StrEnum):
    """The eight invitation types of DESIGN §3."""

    RECALL = "recall"
    WARRANTY_EXPIRY = "warranty_expiry"
    FIRST_SERVICE = "first_service"
    NO_SHOW = "no_show"
    NEXT_SERVICE = "next_service"
    CHURN_RISK = "churn_risk"
    LAPSED = "lapsed"
    SEASONAL = "seasonal"


class InvitationStatus(StrEnum):
    """What the engine decided for an invitation.

    ``due``: to be called; ``suppressed``: kept with a :class:`SuppressionReason` so reports can
    show it; ``control``: held out (never called) to measure uplift.
    """

    DUE = "due"
    SUPPRESSED = "suppressed"
    CONTROL = "control"


class SuppressionReason(StrEnum):
    """Why an invitation is not called (DESIGN §3.2); the first matching one, in this order,
    wins."""

    NO_CUSTOMER = "no_customer"
    CUSTOMER_ERASED = "customer_erased"
    CUSTOMER_DECEASED = "customer_deceased"
    VEHICLE_SOLD = "vehicle_sold"
    VEHICLE_SCRAPPED = "vehicle_scrapped"
    VEHICLE_STOLEN = "vehicle_stolen"
    VEHICLE_EXPORTED = "vehicle_exported"
    OWNERSHIP_ENDED = "ownership_ended"
    DO_NOT_CALL = "do_not_call"
    MARKETING_OPT_OUT = "marketing_opt_out"
    NO_VALID_PHONE = "no_valid_phone"
    EXPIRED = "expired"
    APPOINTMENT_BOOKED = "appointment_booked"
    RECENT_VISIT = "recent_visit"


class Confidence(StrEnum):
    """Confidence of an odometer projection, shown to the agent."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class ContactOutcome(StrEnum):
    """Outcome of a past call task, as far as frequency caps care."""

    REACHED = "reached"
    UNREACHABLE = "unreachable"


_E = TypeVar("_E", bound=StrEnum)


def _enum(obj: object, name: str, kind: type[_E]) -> None:
    value = getattr(obj, name)
    if type(value) is kind:  # already a member: the common case, skip the lookup
        return
    try:
        member = kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ValueError(f"{name} must be one of {allowed}, not {value!r}") from None
    object.__setattr__(obj, name, member)


def _require_date(value: object, name: str) -> None:
    # datetime is a subclass of date; a datetime here means the app forgot to localise it.
    if type(value) is date:  # the common case, decided with one check
        return
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(f"{name} must be a date, not {value!r}")


def _require_int(value: object, name: str, *, minimum: int = 0) -> None:
    if type(value) is int and value >= minimum:  # the common case
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, not {value}")


def _require_text(value: object, name: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, not {value!r}")


def _tuple(obj: object, name: str, item_type: type[object]) -> None:
    value = getattr(obj, name)
    if type(value) is tuple:
        if not value:
            return
        items: tuple[object, ...] = value
    elif isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValueError(f"{name} must be a sequence of {item_type.__name__}")
    else:
        items = tuple(value)
    for item in items:
        if type(item) is not item_type and not isinstance(item, item_type):
            raise ValueError(f"{name} must contain {item_type.__name__} items, not {item!r}")
    if items is not value:
        object.__setattr__(obj, name, items)


@dataclass(frozen=True, slots=True, kw_only=True)
class Warranty:
    """One warranty cover of a vehicle.

    ``km_limit`` is the absolute odometer reading at which cover ends (``None``: unlimited km);
    for a contract that counts km from its start, the app adds the start odometer.
    """

    kind: WarrantyKind
    start_date: date
    months: int
    km_limit: int | None = None

    def __post_init__(self) -> None:
        _enum(self, "kind", WarrantyKind)
        _require_date(self.start_date, "start_date")
        _require_int(self.months, "months", minimum=1)
        if self.km_limit is not None:
            _require_int(self.km_limit, "km_limit", minimum=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class RepairOrderLine:
    """One line of a repair order: what kind of work, who paid, and the line total."""

    service_kind: ServiceKind
    pay_type: PayType = PayType.CUSTOMER_PAY
    amount: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        _enum(self, "service_kind", ServiceKind)
        _enum(self, "pay_type", PayType)
        if isinstance(self.amount, bool) or not isinstance(self.amount, Decimal | int):
            raise ValueError(f"amount must be a Decimal or int, not {self.amount!r}")
        object.__setattr__(self, "amount", Decimal(self.amount))


@dataclass(frozen=True, slots=True, kw_only=True)
class RepairOrder:
    """A workshop visit: its date (completed, else opened), odometer in (km) and lines.

    Every repair order of any kind counts as a *visit* (lapsed, churn, recent-visit suppression);
    only one with a ``maintenance`` or ``inspection`` line counts as a *service* (next_service).
    """

    date: date
    number: str = ""
    odometer_in: int | None = None
    lines: tuple[RepairOrderLine, ...] = ()

    def __post_init__(self) -> None:
        _require_date(self.date, "date")
        if self.odometer_in is not None:
            _require_int(self.odometer_in, "odometer_in")
        _tuple(self, "lines", RepairOrderLine)

    @property
    def is_service(self) -> bool:
        """True when a line is routine maintenance or an inspection (a qualifying service)."""
        for line in self.lines:  # a loop, not any(): asked for every RO of every vehicle
            if line.service_kind is ServiceKind.MAINTENANCE:
                return True
            if line.service_kind is ServiceKind.INSPECTION:
                return True
        return False

    @property
    def customer_pay_amount(self) -> Decimal:
        """Sum of the customer-pay lines."""
        return sum(
            (line.amount for line in self.lines if line.pay_type is PayType.CUSTOMER_PAY),
            Decimal(0),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class OdometerReading:
    """A dated odometer value in km.

    Set ``odometer_replaced`` on the first reading of a replaced odometer (instrument cluster swap):
    readings before it are then ignored by the projection instead of being dropped as decreasing.
    Readings from repair orders (``odometer_in``) and delivery are added by the engine itself; the
    app only passes the other sources here (telematics, agent-captured, ...).
    """

    date: date
    value_km: int
    source: OdometerSource = OdometerSource.AGENT
    odometer_replaced: bool = False

    def __post_init__(self) -> None:
        _require_date(self.date, "date")
        _require_int(self.value_km, "value_km")
        _enum(self, "source", OdometerSource)


@dataclass(frozen=True, slots=True, kw_only=True)
class Recall:
    """One recall campaign as it applies to this VIN.

    ``start_date`` is the campaign start; ``vin_listed_date`` (optional) the day this VIN appeared
    on the campaign's VIN list. Reminders are counted from the later of the two, so a VIN added to
    an
    old campaign still gets its calls.
    """

    campaign_code: str
    remedy_available: bool
    start_date: date
    status: RecallStatus = RecallStatus.OPEN
    vin_listed_date: date | None = None

    def __post_init__(self) -> None:
        _require_text(self.campaign_code, "campaign_code")
        _require_date(self.start_date, "start_date")
        _enum(self, "status", RecallStatus)
        if self.vin_listed_date is not None:
            _require_date(self.vin_listed_date, "vin_listed_date")

    @property
    def notice_date(self) -> date:
        """The date reminders are counted from."""
        if self.vin_listed_date is None:
            return self.start_date
        return max(self.start_date, self.vin_listed_date)


@dataclass(frozen=True, slots=True, kw_only=True)
class Appointment:
    """A workshop appointment of the vehicle (ours or the DMS's)."""

    id: str
    date: date
    status: AppointmentStatus

    def __post_init__(self) -> None:
        _require_text(self.id, "id")
        _require_date(self.date, "date")
        _enum(self, "status", AppointmentStatus)


def _sort(obj: object, name: str, key: Callable[[Any], Any]) -> None:
    items: tuple[object, ...] = getattr(obj, name)
    if len(items) > 1:  # most vehicles have none or one of each
        object.__setattr__(obj, name, tuple(sorted(items, key=key)))


def _warranty_key(w: Warranty) -> tuple[WarrantyKind, date, int]:
    return (w.kind, w.start_date, w.months)


def _repair_order_key(r: RepairOrder) -> tuple[date, str, int]:
    return (r.date, r.number, -1 if r.odometer_in is None else r.odometer_in)


def _reading_key(r: OdometerReading) -> tuple[date, int, OdometerSource]:
    return (r.date, r.value_km, r.source)


def _recall_key(r: Recall) -> str:
    return r.campaign_code


def _appointment_key(a: Appointment) -> tuple[date, str]:
    return (a.date, a.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleFacts:
    """Everything the engine knows about one vehicle and its current owner.

    ``customer_id`` is the current owner's id (the ``Ownership`` open at the evaluation date, or the
    latest one with ``ownership_end`` set when it has ended); ``None`` when nobody owns it.
    ``delivery_odometer_km`` is the odometer at delivery (0 for a new car).
    """

    vin: str
    customer_id: str | None
    make: str = ""
    model: str = ""
    fuel: str = ""
    delivery_date: date | None = None
    delivery_odometer_km: int = 0
    sold_by_dealer: bool = False
    status: VehicleStatus = VehicleStatus.ACTIVE
    ownership_end: date | None = None
    warranties: tuple[Warranty, ...] = ()
    repair_orders: tuple[RepairOrder, ...] = ()
    odometer_readings: tuple[OdometerReading, ...] = ()
    recalls: tuple[Recall, ...] = ()
    appointments: tuple[Appointment, ...] = ()

    def __post_init__(self) -> None:
        _require_text(self.vin, "vin")
        # isalnum(): one C call decides the usual VIN (letters and digits have no whitespace).
        if not self.vin.isalnum() and any(ch.isspace() for ch in self.vin):
            raise ValueError(f"vin must not contain whitespace: {self.vin!r}")
        if self.customer_id is not None:
            _require_text(self.customer_id, "customer_id")
        for name in ("make", "model", "fuel"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string")
        if self.delivery_date is not None:
            _require_date(self.delivery_date, "delivery_date")
        _require_int(self.delivery_odometer_km, "delivery_odometer_km")
        if not isinstance(self.sold_by_dealer, bool):
            raise ValueError("sold_by_dealer must be a bool")
        _enum(self, "status", VehicleStatus)
        if self.ownership_end is not None:
            _require_date(self.ownership_end, "ownership_end")
        _tuple(self, "warranties", Warranty)
        _tuple(self, "repair_orders", RepairOrder)
        _tuple(self, "odometer_readings", OdometerReading)
        _tuple(self, "recalls", Recall)
        _tuple(self, "appointments", Appointment)
        # Canonical order, so equal facts compare equal and output never depends on load order.
        _sort(self, "warranties", _warranty_key)
        _sort(self, "repair_orders", _repair_order_key)
        _sort(self, "odometer_readings", _reading_key)
        _sort(self, "recalls", _recall_key)
        if len(self.recalls) > 1:
            codes = [r.campaign_code for r in self.recalls]
            if len(codes) != len(set(codes)):
                raise ValueError(f"vehicle {self.vin} lists a recall campaign twice")
        _sort(self, "appointments", _appointment_key)


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerFacts:
    """What the engine needs to know about a customer.

    Consent flags are required (no defaults) so that a mapping bug cannot silently allow calls.
    ``visit_dates`` are the customer's workshop visits across *all* their vehicles (the churn rule
    uses them; each vehicle's own repair orders are added). ``tyre_hotel`` marks customers whose
    tyres the dealer stores: seasonal campaigns target them even without a recent visit.
    """

    id: str
    marketing_calls: bool
    do_not_call: bool
    has_valid_phone: bool
    status: CustomerStatus = CustomerStatus.ACTIVE
    segment: ValueSegment = ValueSegment.STANDARD
    visit_dates: tuple[date, ...] = ()
    tyre_hotel: bool = False

    def __post_init__(self) -> None:
        _require_text(self.id, "id")
        for name in ("marketing_calls", "do_not_call", "has_valid_phone", "tyre_hotel"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a bool")
        _enum(self, "status", CustomerStatus)
        _enum(self, "segment", ValueSegment)
        _tuple(self, "visit_dates", date)
        for d in self.visit_dates:
            _require_date(d, "visit_dates")
        object.__setattr__(self, "visit_dates", tuple(sorted(set(self.visit_dates))))


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactRecord:
    """A closed call task of a customer, for frequency caps: when, and whether we got through."""

    customer_id: str
    date: date
    outcome: ContactOutcome

    def __post_init__(self) -> None:
        _require_text(self.customer_id, "customer_id")
        _require_date(self.date, "date")
        _enum(self, "outcome", ContactOutcome)


ExplanationParam = date | int | float | str | Decimal
"""A value that can fill an explanation placeholder."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    """A translatable explanation: an English gettext msgid with named placeholders, plus values.

    The app translates ``message`` (it is a msgid; every msgid the engine uses is listed in
    ``invitations.EXPLANATION_MESSAGES``) and formats ``params`` for the agent's locale (for example
    with Babel). :meth:`render` gives the English sentence.

    >>> Explanation(message="Due {due_date}", params={"due_date": date(2025, 12, 10)}).render()
    'Due 10 Dec 2025'
    """

    message: str
    params: Mapping[str, ExplanationParam] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require_text(self.message, "message")
        params = dict(self.params)
        for key, value in params.items():
            if not isinstance(key, str) or not key.isidentifier():
                raise ValueError(f"explanation parameter names must be identifiers: {key!r}")
            if not isinstance(value, date | int | float | str | Decimal):
                raise ValueError(f"explanation parameter {key} has unsupported value {value!r}")
        try:
            self.message.format_map(dict.fromkeys(params, ""))
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"explanation {self.message!r} does not match its params") from exc
        object.__setattr__(self, "params", dict(sorted(params.items())))

    def __hash__(self) -> int:
        return hash((self.message, tuple(self.params.items())))

    def render(self) -> str:
        """The English sentence: dates as ``10 Dec 2025``, numbers with thousands separators."""
        return self.message.format_map({k: format_param(v) for k, v in self.params.items()})


@dataclass(frozen=True, slots=True, kw_only=True)
class Invitation:
    """One reason to invite one vehicle (DESIGN §2), as decided on one evaluation date.

    ``dedup_key`` is deterministic and identifies the invitation across nightly runs (the app
    upserts by it). ``window_opens`` ≤ ``due_date`` ≤ ``window_expires``. ``confidence`` is the
    odometer
    projection's confidence for rules that use a projection, else ``None``.
    """

    vin: str
    customer_id: str | None
    type: InvitationType
    dedup_key: str
    due_date: date
    window_opens: date
    window_expires: date
    priority: int
    explanation: Explanation
    status: InvitationStatus = InvitationStatus.DUE
    suppression_reason: SuppressionReason | None = None
    confidence: Confidence | None = None

    def __post_init__(self) -> None:
        _require_text(self.vin, "vin")
        if self.customer_id is not None:
            _require_text(self.customer_id, "customer_id")
        _enum(self, "type", InvitationType)
        _require_text(self.dedup_key, "dedup_key")
        for name in ("due_date", "window_opens", "window_expires"):
            _require_date(getattr(self, name), name)
        if not self.window_opens <= self.due_date <= self.window_expires:
            raise ValueError(
                f"{self.dedup_key}: need window_opens <= due_date <= window_expires, got "
                f"{self.window_opens}, {self.due_date}, {self.window_expires}"
            )
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise ValueError("priority must be an integer")
        if not isinstance(self.explanation, Explanation):
            raise ValueError("explanation must be an Explanation")
        _enum(self, "status", InvitationStatus)
        if self.suppression_reason is not None:
            _enum(self, "suppression_reason", SuppressionReason)
        if (self.status is InvitationStatus.SUPPRESSED) != (self.suppression_reason is not None):
            raise ValueError("a suppression reason is required exactly when status is suppressed")
        if self.confidence is not None:
            _enum(self, "confidence", Confidence)

    def overdue_days(self, today: date) -> int:
        """Days past the due date on ``today`` (0 when not yet due)."""
        return max(0, (today - self.due_date).days)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallTaskPlan:
    """The call the contact centre should make to one customer: every reason, merged.

    ``invitations`` is ordered by priority (highest first); ``primary`` is the first of them and
    ``priority`` its priority. ``recall_only`` marks a safety-notice call (no sales talk,
    DESIGN §5): for a marketing-opted-out customer only recalls are merged into it.
    """

    customer_id: str
    invitations: tuple[Invitation, ...]
    recall_only: bool

    def __post_init__(self) -> None:
        _require_text(self.customer_id, "customer_id")
        _tuple(self, "invitations", Invitation)
        if not self.invitations:
            raise ValueError("a call task needs at least one invitation")
        if any(inv.customer_id != self.customer_id for inv in self.invitations):
            raise ValueError("every invitation of a call task must belong to its customer")
        if self.recall_only and any(
            inv.type is not InvitationType.RECALL for inv in self.invitations
        ):
            raise ValueError("a recall-only call task may only hold recall invitations")

    @property
    def primary(self) -> Invitation:
        """The highest-priority reason; the card leads with it."""
        return self.invitations[0]

    @property
    def priority(self) -> int:
        """The task's priority: its primary invitation's."""
        return self.invitations[0].priority

    @property
    def vins(self) -> tuple[str, ...]:
        """The distinct vehicles this call is about, in first-mention order."""
        return tuple(dict.fromkeys(inv.vin for inv in self.invitations))
