"""Database rows <-> invitation-engine types: the only place where the two meet.

The repository reads plain tuples (the ``*Row`` named tuples below); this module turns them into
the engine's frozen dataclasses, runs the engine for one chunk of vehicles and turns its decisions
back into column values. Nothing here touches the database, so a chunk can be evaluated in
another process (``evaluate_chunk`` takes and returns only picklable values).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from app.enums import CallTaskOutcome
from app.enums import InvitationStatus as AppStatus
from app.gc_pause import gc_paused
from invitations import (
    Appointment,
    AppointmentStatus,
    CampaignKind,
    ContactOutcome,
    ContactRecord,
    CustomerFacts,
    CustomerStatus,
    DealerPolicy,
    Explanation,
    Invitation,
    InvitationStatus,
    OdometerReading,
    OdometerSource,
    Recall,
    RecallStatus,
    RepairOrder,
    RepairOrderLine,
    SeasonalCampaign,
    ServiceKind,
    ServicePlan,
    SuppressionReason,
    ValueSegment,
    VehicleFacts,
    VehicleStatus,
    Warranty,
    WarrantyKind,
    evaluate_vehicle,
)

# Rows as the repository reads them --------------------------------------------------------------


class VehicleRow(NamedTuple):
    id: int
    vin: str
    make: str
    model: str
    fuel: str
    delivery_date: date | None
    delivery_odometer_km: int
    sold_by_dealer: bool
    status: str


class OwnershipRow(NamedTuple):
    vehicle_id: int
    customer_id: int
    start_date: date
    end_date: date | None


class WarrantyRow(NamedTuple):
    vehicle_id: int
    kind: str
    start_date: date
    months: int
    km_limit: int | None


class RepairOrderRow(NamedTuple):
    vehicle_id: int
    date: date
    odometer_in_km: int | None
    is_service: bool


class ReadingRow(NamedTuple):
    vehicle_id: int
    date: date
    value_km: int
    source: str
    odometer_replaced: bool


class RecallRow(NamedTuple):
    vehicle_id: int
    campaign_code: str
    remedy_available: bool
    start_date: date | None
    status: str
    listed_at: datetime


class AppointmentRow(NamedTuple):
    vehicle_id: int
    id: int
    slot_start: datetime
    status: str


class CustomerRow(NamedTuple):
    id: int
    marketing_calls: bool
    do_not_call: bool
    status: str
    value_segment: str
    tyre_hotel: bool
    has_valid_phone: bool


class StoredInvitation(NamedTuple):
    id: int
    dedup_key: str
    vehicle_id: int
    customer_id: int
    type: str
    due_date: date
    opens_date: date
    expires_date: date
    priority: int
    status: str
    suppression_reason: str | None
    is_control: bool
    explanation: str
    explanation_template: str | None
    explanation_params: dict[str, Any]
    confidence: str | None
    computed_on: date
    call_task_id: int | None


@dataclass(slots=True)
class ChunkInput:
    """One chunk of one dealer's vehicles with everything the engine needs about them."""

    today: date
    time_zone: str
    vehicles: list[VehicleRow]
    ownerships: list[OwnershipRow] = field(default_factory=list)
    warranties: list[WarrantyRow] = field(default_factory=list)
    repair_orders: list[RepairOrderRow] = field(default_factory=list)
    readings: list[ReadingRow] = field(default_factory=list)
    recalls: list[RecallRow] = field(default_factory=list)
    appointments: list[AppointmentRow] = field(default_factory=list)
    customers: list[CustomerRow] = field(default_factory=list)
    other_visits: list[tuple[int, date]] = field(default_factory=list)


def split_chunk(chunk: ChunkInput, parts: int) -> list[ChunkInput]:
    """``chunk`` cut into up to ``parts`` chunks of consecutive vehicles (for parallel
    evaluation); each part keeps only its vehicles' rows and owners."""
    size = -(-len(chunk.vehicles) // max(parts, 1))
    if parts <= 1 or len(chunk.vehicles) <= size:
        return [chunk]
    pieces = [chunk.vehicles[i : i + size] for i in range(0, len(chunk.vehicles), size)]
    bounds = [piece[-1].id for piece in pieces[:-1]]

    def part_of(vehicle_id: int) -> int:
        return bisect_left(bounds, vehicle_id)

    out = [
        ChunkInput(today=chunk.today, time_zone=chunk.time_zone, vehicles=piece) for piece in pieces
    ]
    for name in ("ownerships", "warranties", "repair_orders", "readings", "recalls"):
        for row in getattr(chunk, name):
            getattr(out[part_of(row[0])], name).append(row)
    for row in chunk.appointments:
        out[part_of(row.vehicle_id)].appointments.append(row)
    customers = {row.id: row for row in chunk.customers}
    visits = _group(chunk.other_visits)
    for part in out:
        owners = sorted({o.customer_id for o in part.ownerships})
        part.customers = [customers[c] for c in owners if c in customers]
        part.other_visits = [v for c in owners for v in visits.get(c, ())]
    return out


# Policy ----------------------------------------------------------------------------------------


def service_plan(row: Any) -> ServicePlan:
    return ServicePlan(
        make=row.make,
        model=row.model,
        fuel=row.fuel,
        interval_months=row.interval_months,
        interval_km=row.interval_km,
        first_service_days=row.first_service_days,
    )


def seasonal_campaign(row: Any) -> SeasonalCampaign:
    return SeasonalCampaign(
        code=row.code,
        kind=CampaignKind(row.kind),
        country=row.country,
        start_month=row.start_month,
        start_day=row.start_day,
        end_month=row.end_month,
        end_day=row.end_day,
        after_easter=bool(row.after_easter),
        enabled=bool(row.enabled),
    )


def dealer_policy(
    *,
    group_settings: Mapping[str, Any],
    dealer_settings: Mapping[str, Any],
    country: str,
    plan_rows: Iterable[Any],
    campaign_rows: Iterable[Any],
) -> DealerPolicy:
    """The dealer's policy: group settings overridden by the dealer's, its country, the plan
    catalogue, and the seasonal campaigns (catalogue-wide rows, then the dealer's, by code)."""
    campaigns: dict[str, SeasonalCampaign] = {}
    for row in campaign_rows:  # the dealer's own rows come last and win
        campaigns[row.code] = seasonal_campaign(row)
    return DealerPolicy.from_settings(
        {**group_settings, **dealer_settings},
        country=country,
        service_plans=[service_plan(row) for row in plan_rows],
        seasonal_campaigns=list(campaigns.values()),
    )


# Rows -> engine facts --------------------------------------------------------------------------

_READING_SOURCE = {
    "repair_order": OdometerSource.RO,
    "delivery": OdometerSource.DELIVERY,
    "telematics": OdometerSource.TELEMATICS,
    "agent": OdometerSource.AGENT,
    "dms": OdometerSource.AGENT,
}
_SERVICE_LINES = (RepairOrderLine(service_kind=ServiceKind.MAINTENANCE),)


def _members(kind: type[Any]) -> dict[str, Any]:
    return {member.value: member for member in kind}


# Stored strings -> the engine's enum members, looked up once per row instead of the enum's own
# (slower) constructor; an unknown string is passed on as is, so the engine still rejects it.
_WARRANTY_KIND = _members(WarrantyKind)
_VEHICLE_STATUS = _members(VehicleStatus)
_RECALL_STATUS = _members(RecallStatus)
_APPOINTMENT_STATUS = _members(AppointmentStatus)
_CUSTOMER_STATUS = _members(CustomerStatus)
_VALUE_SEGMENT = _members(ValueSegment)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    # SQLite hands back naive datetimes; they are stored in UTC.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


def current_owner(
    ownerships: Sequence[OwnershipRow], today: date
) -> tuple[int | None, date | None]:
    """``(customer id, ownership end)``: the open ownership with the latest start, else the latest
    ended one (with its end, so the engine suppresses it as ``ownership_ended``)."""
    if not ownerships:
        return None, None
    current = [o for o in ownerships if o.end_date is None or o.end_date > today]
    if current:
        best = max(current, key=lambda o: (o.start_date, o.customer_id))
        return best.customer_id, None
    ended = max(ownerships, key=lambda o: (o.end_date or o.start_date, o.start_date))
    return ended.customer_id, ended.end_date


def customer_facts(row: CustomerRow, visits: Iterable[date] = ()) -> CustomerFacts:
    return CustomerFacts(
        id=str(row.id),
        marketing_calls=bool(row.marketing_calls),
        do_not_call=bool(row.do_not_call),
        has_valid_phone=bool(row.has_valid_phone),
        status=_CUSTOMER_STATUS.get(row.status, row.status),
        segment=_VALUE_SEGMENT.get(row.value_segment, row.value_segment),
        visit_dates=tuple(visits),
        tyre_hotel=bool(row.tyre_hotel),
    )


def _group(rows: Iterable[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    return grouped


def vehicle_facts(chunk: ChunkInput) -> list[tuple[int, VehicleFacts]]:
    """``(vehicle id, facts)`` for every vehicle of the chunk, in vehicle-id order."""
    today = chunk.today
    zone = ZoneInfo(chunk.time_zone)
    ownerships = _group(chunk.ownerships)
    warranties = _group(chunk.warranties)
    repair_orders = _group(chunk.repair_orders)
    readings = _group(chunk.readings)
    recalls = _group(chunk.recalls)
    appointments = _group(chunk.appointments)
    out: list[tuple[int, VehicleFacts]] = []
    for v in chunk.vehicles:
        owner, ended = current_owner(ownerships.get(v.id, ()), today)
        facts = VehicleFacts(
            vin=v.vin,
            customer_id=None if owner is None else str(owner),
            make=v.make,
            model=v.model,
            fuel=v.fuel,
            delivery_date=v.delivery_date,
            delivery_odometer_km=v.delivery_odometer_km,
            sold_by_dealer=bool(v.sold_by_dealer),
            status=_VEHICLE_STATUS.get(v.status, v.status),
            ownership_end=ended,
            warranties=tuple(
                Warranty(
                    kind=_WARRANTY_KIND.get(w.kind, w.kind),
                    start_date=w.start_date,
                    months=w.months,
                    km_limit=w.km_limit,
                )
                for w in warranties.get(v.id, ())
            ),
            repair_orders=tuple(
                RepairOrder(
                    date=r.date,
                    odometer_in=r.odometer_in_km,
                    lines=_SERVICE_LINES if r.is_service else (),
                )
                for r in repair_orders.get(v.id, ())
            ),
            odometer_readings=tuple(
                OdometerReading(
                    date=r.date,
                    value_km=r.value_km,
                    source=_READING_SOURCE.get(r.source, OdometerSource.AGENT),
                    odometer_replaced=bool(r.odometer_replaced),
                )
                for r in readings.get(v.id, ())
            ),
            recalls=tuple(
                Recall(
                    campaign_code=r.campaign_code,
                    remedy_available=bool(r.remedy_available),
                    start_date=r.start_date or local_date(r.listed_at, zone),
                    status=_RECALL_STATUS.get(r.status, r.status),
                )
                for r in recalls.get(v.id, ())
            ),
            appointments=tuple(
                Appointment(
                    id=str(a.id),
                    date=local_date(a.slot_start, zone),
                    status=_APPOINTMENT_STATUS.get(a.status, a.status),
                )
                for a in appointments.get(v.id, ())
            ),
        )
        out.append((v.id, facts))
    return out


# Engine decisions -> rows ----------------------------------------------------------------------


def _json_param(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def app_status(invitation: Invitation) -> tuple[str, str | None]:
    """The stored status and reason of an engine decision (a closed window reads ``expired``)."""
    if invitation.status is InvitationStatus.SUPPRESSED:
        reason = invitation.suppression_reason
        assert reason is not None
        if reason is SuppressionReason.EXPIRED:
            return AppStatus.EXPIRED.value, reason.value
        return AppStatus.SUPPRESSED.value, reason.value
    return invitation.status.value, None


def invitation_values(invitation: Invitation) -> dict[str, Any]:
    """The engine-owned columns of an invitation row."""
    status, reason = app_status(invitation)
    assert invitation.customer_id is not None
    return {
        "customer_id": int(invitation.customer_id),
        "type": invitation.type.value,
        "due_date": invitation.due_date,
        "opens_date": invitation.window_opens,
        "expires_date": invitation.window_expires,
        "priority": invitation.priority,
        "status": status,
        "suppression_reason": reason,
        "is_control": invitation.status is InvitationStatus.CONTROL,
        "explanation": invitation.explanation.render(),
        "explanation_template": invitation.explanation.message,
        "explanation_params": {k: _json_param(v) for k, v in invitation.explanation.params.items()},
        "confidence": None if invitation.confidence is None else invitation.confidence.value,
    }


class EvaluatedInvitation(NamedTuple):
    dedup_key: str
    vehicle_id: int
    values: dict[str, Any]


def evaluate_chunk(chunk: ChunkInput, policy: DealerPolicy) -> list[EvaluatedInvitation]:
    """Run the engine over one chunk; every invitation of a vehicle that has a (current or
    last) owner, as column values. Vehicles nobody ever owned cannot be invited and are skipped."""
    with gc_paused():  # as the nightly run's chunk loop (service.run_dealer)
        return _evaluate_chunk(chunk, policy)


def _evaluate_chunk(chunk: ChunkInput, policy: DealerPolicy) -> list[EvaluatedInvitation]:
    visits: dict[int, list[date]] = defaultdict(list)
    for customer_id, day in chunk.other_visits:
        visits[customer_id].append(day)
    customers = {row.id: customer_facts(row, visits.get(row.id, ())) for row in chunk.customers}
    out: list[EvaluatedInvitation] = []
    for vehicle_id, facts in vehicle_facts(chunk):
        if facts.customer_id is None:
            continue
        customer = customers.get(int(facts.customer_id))
        for invitation in evaluate_vehicle(
            facts, customer=customer, today=chunk.today, policy=policy
        ):
            out.append(
                EvaluatedInvitation(invitation.dedup_key, vehicle_id, invitation_values(invitation))
            )
    return out


# Stored rows -> engine types (for planning call tasks) ------------------------------------------

_STORED_EXPLANATION = Explanation(message="stored invitation")


def stored_invitation(
    *,
    dedup_key: str,
    vin: str,
    customer_id: int,
    type: str,
    due_date: date,
    opens_date: date,
    expires_date: date,
    priority: int,
) -> Invitation:
    """A stored callable invitation as the engine's ``Invitation`` (status ``due``)."""
    return Invitation(
        vin=vin,
        customer_id=str(customer_id),
        type=type,  # type: ignore[arg-type]
        dedup_key=dedup_key,
        due_date=due_date,
        window_opens=opens_date,
        window_expires=expires_date,
        priority=priority,
        explanation=_STORED_EXPLANATION,
    )


_REACHED = {
    CallTaskOutcome.BOOKED.value,
    CallTaskOutcome.DECLINED.value,
    CallTaskOutcome.DNC.value,
    CallTaskOutcome.NOT_OWNER.value,
    CallTaskOutcome.DONE_ELSEWHERE.value,
    CallTaskOutcome.DECEASED.value,
}
_UNREACHABLE = {CallTaskOutcome.UNREACHABLE.value, CallTaskOutcome.WRONG_NUMBER.value}


def contact_record(
    customer_id: int, closed_at: datetime, outcome: str | None, zone: ZoneInfo
) -> ContactRecord | None:
    """A closed call task as a frequency-cap fact; ``None`` for tasks that never called (e.g.
    closed as expired by the nightly run)."""
    if outcome in _REACHED:
        kind = ContactOutcome.REACHED
    elif outcome in _UNREACHABLE:
        kind = ContactOutcome.UNREACHABLE
    else:
        return None
    return ContactRecord(
        customer_id=str(customer_id), date=local_date(closed_at, zone), outcome=kind
    )
