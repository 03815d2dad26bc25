"""The contact centre: claiming the next call, leases, outcomes and their effects, bookings.

Every public write function is one transaction and ends with ``session.commit()``. The rules
(calling windows, retries, what a disposition does, workshop capacity) are the pure engine's
(``invitations.calling``, ``invitations.workshop``); this module loads rows, asks it, and writes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_timezone
from sqlmodel import Session

from app.audit import service as audit
from app.audit.service import Actor
from app.call.models import Appointment, Disposition
from app.contact import scripts
from app.contact.repository import Candidate, ContactRepository
from app.contact.schemas import (
    AppointmentPublic,
    AttemptPublic,
    BookingIn,
    CallCard,
    CustomerCard,
    DispositionPublic,
    LeasePublic,
    OutcomeIn,
    OutcomePublic,
    PhonePublic,
    ReasonPublic,
    SlotPublic,
    SlotsPublic,
    VehiclePublic,
    VisitPublic,
)
from app.customer.models import Customer
from app.db import begin_immediate
from app.dms import outbox as dms_outbox
from app.enums import (
    AppointmentOrigin,
    AppointmentStatus,
    CallPurpose,
    CallTaskOutcome,
    CallTaskStatus,
    CustomerStatus,
)
from app.errors import BadRequest, Conflict, NotFound
from app.security.principal import DealerScope
from invitations.calling import (
    CALLBACK_RESERVATION,
    DispositionRule,
    TaskState,
    calling_window_for,
    decide_outcome,
    is_callable,
    next_callable,
)
from invitations.workshop import Booking, fits, free_slots, parse_opening_hours

LEASE = timedelta(minutes=5)
FIRST_BATCH = 4
CLAIM_BATCH = 20
CLAIM_ROUNDS = 5
MAX_SLOT_DAYS = 62

# The seeded set (DESIGN §3.2); a dealer group edits its own copy.
DEFAULT_DISPOSITIONS: tuple[dict[str, Any], ...] = (
    {
        "code": "no_answer",
        "label": "No answer",
        "retry_after_minutes": 240,
        "other_part_of_day": True,
    },
    {"code": "busy", "label": "Busy", "retry_after_minutes": 30},
    {"code": "voicemail", "label": "Voicemail", "retry_after_minutes": 1440},
    {
        "code": "wrong_number",
        "label": "Wrong number",
        "bad_number": True,
        "closes_as": "wrong_number",
    },
    {"code": "call_back", "label": "Call back", "contact_made": True, "callback": True},
    {
        "code": "booked",
        "label": "Booked",
        "contact_made": True,
        "final": True,
        "booked": True,
        "closes_as": "booked",
    },
    {
        "code": "declined",
        "label": "Declined",
        "contact_made": True,
        "final": True,
        "closes_as": "declined",
    },
    {
        "code": "done_elsewhere",
        "label": "Done elsewhere",
        "contact_made": True,
        "final": True,
        "closes_as": "done_elsewhere",
    },
    {
        "code": "sold_car",
        "label": "Sold the car",
        "contact_made": True,
        "final": True,
        "ends_ownership": True,
        "closes_as": "not_owner",
    },
    {
        "code": "do_not_call",
        "label": "Do not call",
        "contact_made": True,
        "final": True,
        "dnc": True,
        "closes_as": "dnc",
    },
    {"code": "deceased", "label": "Deceased", "final": True, "closes_as": "deceased"},
)
_FLAGS = ("contact_made", "final", "booked", "dnc", "bad_number", "callback", "ends_ownership")
for _order, _row in enumerate(DEFAULT_DISPOSITIONS):
    # Every row names every column: they are inserted in one multi-row statement.
    for _flag in _FLAGS + ("other_part_of_day",):
        _row.setdefault(_flag, False)
    _row.setdefault("retry_after_minutes", None)
    _row.setdefault("closes_as", None)
    _row.setdefault("counts_as_attempt", True)
    _row.setdefault("is_active", True)
    _row["sort_order"] = _order * 10


# Time zones ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Locale:
    zone: str
    country: str


def locale_of(number: str | None, *, dealer_zone: str, dealer_country: str) -> Locale:
    """The calling zone and country of a phone number (``phonenumbers``' time-zone data);
    the dealer's when the number is missing or spans zones the data cannot tell apart."""
    if number:
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            parsed = None
        if parsed is not None:
            region = phonenumbers.region_code_for_number(parsed)
            zones = [z for z in phone_timezone.time_zones_for_number(parsed) if "Unknown" not in z]
            # Several zones (Helsinki and Mariehamn for +358) are one zone's aliases or a
            # number range phonenumbers cannot narrow down; the first is the main one.
            if region and zones:
                return Locale(zones[0], region)
    return Locale(dealer_zone, dealer_country)


def _calling_locale(c: Candidate) -> tuple[Locale, dict[str, Any]]:
    """A candidate's calling locale, and the task columns to store when it had none yet (the
    zone is computed once, on the task's first claim, from its customer's number)."""
    if c.time_zone is not None:
        return Locale(c.time_zone, c.country or c.dealer_country), {}
    found = locale_of(c.number, dealer_zone=c.dealer_time_zone, dealer_country=c.dealer_country)
    return found, {"time_zone": found.zone, "country": found.country}


# Claim ---------------------------------------------------------------------------------------


def claim_next(
    session: Session, *, agent_id: int, dealer_ids: DealerScope, now: datetime, actor: Actor
) -> CallCard | None:
    """Claim the highest-priority task callable now for the agent's dealers (None: nothing).

    Due callbacks come first (reserved for their agent for 15 minutes). A ready task outside its
    customer's calling window is not handed out: it is moved to its next callable time.
    """
    begin_immediate(session)  # two claimers never read the same head of queue
    repo = ContactRepository(session)
    repo.release_expired_leases(now=now)
    chosen: Candidate | None = repo.due_callback(
        agent_id=agent_id, dealer_ids=dealer_ids, now=now, reservation=CALLBACK_RESERVATION
    )
    chosen_located: dict[str, Any] = {}  # the chosen task's zone, when computed now
    rounds = 0
    while chosen is None and rounds < CLAIM_ROUNDS:
        # The head of the queue is nearly always callable now (tasks outside their window are
        # moved on when first met), so lock only a few rows first, then larger batches.
        limit = FIRST_BATCH if rounds == 0 else CLAIM_BATCH
        rounds += 1
        batch = repo.ready_candidates(dealer_ids=dealer_ids, now=now, limit=limit)
        deferred: list[dict[str, Any]] = []
        for candidate in batch:
            loc, located = _calling_locale(candidate)
            window = calling_window_for(loc.country)
            if is_callable(now, zone=loc.zone, country=loc.country, window=window):
                chosen = candidate
                chosen_located = located
                break
            later = next_callable(now, zone=loc.zone, country=loc.country, window=window)
            deferred.append(
                {
                    "task_id": candidate.id,
                    "next_attempt_at": later,
                    "time_zone": loc.zone if located else candidate.time_zone,
                    "country": loc.country if located else candidate.country,
                }
            )
        repo.update_tasks(deferred)
        if len(batch) < limit:
            break  # the queue is exhausted
    if chosen is None:
        session.commit()
        return None
    token = secrets.token_urlsafe(24)
    expires = now + LEASE
    task = repo.claim_task(
        chosen.id, agent_id=agent_id, token=token, expires=expires, **chosen_located
    )
    audit.record_now(
        session,
        actor=actor,
        action="call_task.claim",
        object_type="call_task",
        object_id=chosen.id,
        dealer_id=chosen.dealer_id,
        after={"lease_expires_at": expires},
    )
    # Read (and the first time seed) the group's dispositions inside the write.
    dispositions = _card_dispositions(repo, chosen.group_id)
    if session.get_bind().dialect.name == "sqlite":
        # One writer at a time: free the write lock before reading the rest of the card.
        session.commit()
    # PostgreSQL: the card is read in the claim's transaction (no second transaction).
    card = _card(
        session,
        task=task,
        dealer_code=chosen.dealer_code,
        zone=chosen.dealer_time_zone,
        dispositions=dispositions,
        now=now,
    )
    session.commit()
    return card


def _task(session: Session, task_id: int, dealer_ids: DealerScope) -> Any:
    row = ContactRepository(session).task_for_update(task_id, dealer_ids=dealer_ids)
    if row is None:
        raise NotFound(f"call task {task_id} not found")
    return row


def _check_lease(row: Any, *, token: str, agent_id: int) -> None:
    if row.status != CallTaskStatus.CLAIMED.value or row.claim_token is None:
        raise Conflict(
            "this call task is not claimed any more (its lease expired or it was closed)"
        )
    if not secrets.compare_digest(row.claim_token, token) or row.lease_agent_id != agent_id:
        raise Conflict("stale claim token: another agent holds this call task now")


def renew_lease(
    session: Session,
    *,
    task_id: int,
    token: str,
    agent_id: int,
    dealer_ids: DealerScope,
    now: datetime,
) -> LeasePublic:
    """Extend the lease while the card is open; 409 once the token is stale."""
    begin_immediate(session)  # reads, then writes
    row = _task(session, task_id, dealer_ids)
    _check_lease(row, token=token, agent_id=agent_id)
    expires = now + LEASE
    ContactRepository(session).update_task(task_id, lease_expires_at=expires)
    session.commit()
    return LeasePublic(task_id=task_id, claim_token=token, lease_expires_at=expires)


# The call card -------------------------------------------------------------------------------


def _utc(at: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands them back naive, in UTC)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def customer_name(
    *, first_name: str | None, last_name: str | None, company_name: str | None, customer_id: int
) -> str:
    """The name an agent sees on a card or a callback: the person's, else the company's."""
    person = " ".join(p for p in (first_name, last_name) if p)
    return person or company_name or f"Customer {customer_id}"


def call_card(session: Session, *, task_id: int, now: datetime) -> CallCard:
    """The card of a claimed task (as ``claim_next`` returns it)."""
    row = ContactRepository(session).task_for_update(task_id, dealer_ids=None)
    assert row is not None
    dispositions = _card_dispositions(ContactRepository(session), row.group_id)
    return _card(
        session,
        task=row,
        dealer_code=row.dealer_code,
        zone=row.dealer_time_zone,
        dispositions=dispositions,
        now=now,
    )


def _card(
    session: Session,
    *,
    task: Any,
    dealer_code: str,
    zone: str,
    dispositions: list[Any],
    now: datetime,
) -> CallCard:
    """The call card of ``task`` (a row with the card's task columns), read with one plain
    (Core) query per part: this runs on every claim."""
    repo = ContactRepository(session)
    task_id = int(task.id)
    customer = repo.card_customer(task.customer_id)
    assert customer is not None
    zone = task.time_zone or zone
    today = now.astimezone(ZoneInfo(zone)).date()
    invitations = repo.card_invitations(task_id)
    reasons: dict[int, list[ReasonPublic]] = {}
    for inv in invitations:
        reasons.setdefault(inv.vehicle_id, []).append(
            ReasonPublic(
                invitation_id=inv.id,
                type=inv.type,
                due_date=inv.due_date,
                priority=inv.priority,
                explanation=inv.explanation,
                confidence=inv.confidence,
            )
        )
    vehicle_cards = [
        VehiclePublic(
            id=v.id,
            vin=v.vin,
            make=v.make,
            model=v.model,
            model_year=v.model_year,
            registration=v.registration,
            reasons=reasons.get(v.id, []),
        )
        for v in repo.card_vehicles(customer.id, on=today, also=reasons.keys())
    ]
    vehicle_cards.sort(
        key=lambda v: (not v.reasons, -max((r.priority for r in v.reasons), default=0), v.id)
    )
    recall_only = task.purpose == CallPurpose.SAFETY_RECALL.value or not customer.marketing_calls
    script = scripts.render_script(
        kind=task.primary_type,
        language=customer.language,
        customer=customer,
        vehicles=vehicle_cards,
        recall_only=recall_only,
    )
    return CallCard(
        task_id=task_id,
        claim_token=task.claim_token or "",
        lease_expires_at=_utc(task.lease_expires_at) if task.lease_expires_at else now,
        dealer_id=task.dealer_id,
        dealer=dealer_code,
        priority=task.priority,
        primary_type=task.primary_type,
        purpose=task.purpose,
        attempts=task.attempts,
        time_zone=zone,
        customer=CustomerCard(
            id=customer.id,
            name=customer_name(
                first_name=customer.first_name,
                last_name=customer.last_name,
                company_name=customer.company_name,
                customer_id=customer.id,
            ),
            language=customer.language,
            value_segment=customer.value_segment,
            marketing_calls=customer.marketing_calls,
        ),
        phones=[
            PhonePublic(id=p.id, number=p.number, type=p.type, is_primary=p.is_primary)
            for p in repo.card_phones(customer.id)
        ],
        vehicles=vehicle_cards,
        last_visits=[
            VisitPublic(
                repair_order_id=r.id,
                vehicle_id=r.vehicle_id,
                opened_date=r.opened_date,
                odometer_km=r.odometer_in_km,
                total=r.total,
            )
            for r in repo.last_visits(customer.id)
        ],
        earlier_attempts=[
            AttemptPublic(
                started_at=_utc(a.started_at),
                agent_id=a.agent_id,
                disposition=a.code,
                label=a.label,
                note=a.note,
            )
            for a in repo.earlier_attempts(customer.id)
        ],
        appointments=[
            _appointment_public(a) for a in repo.upcoming_appointments(customer.id, now=now)
        ],
        dispositions=[
            DispositionPublic.model_validate(d, from_attributes=True) for d in dispositions
        ],
        script=script,
    )


def _card_dispositions(repo: ContactRepository, group_id: int) -> list[Any]:
    """The group's active dispositions (seeding the default set the first time)."""
    rows = repo.card_dispositions(group_id)
    if not rows and not repo.has_dispositions(group_id):
        repo.ensure_dispositions(group_id, DEFAULT_DISPOSITIONS)
        rows = repo.card_dispositions(group_id)
    return rows


def _appointment_public(a: Any) -> AppointmentPublic:
    return AppointmentPublic(
        id=int(a.id or 0),
        dealer_id=a.dealer_id,
        vehicle_id=a.vehicle_id,
        slot_start=_utc(a.slot_start),
        duration_minutes=a.duration_minutes,
        status=a.status,
    )


# Dispositions --------------------------------------------------------------------------------


def dispositions_of(session: Session, *, group_id: int) -> list[Disposition]:
    """The group's dispositions, seeding the default set the first time (no commit: the caller's
    transaction keeps it)."""
    repo = ContactRepository(session)
    if not repo.has_dispositions(group_id):
        repo.ensure_dispositions(group_id, DEFAULT_DISPOSITIONS)
    return repo.dispositions(group_id)


def disposition_rule(d: Any) -> DispositionRule:
    """The engine's rule for a disposition row or its create/update body (same field names)."""
    return DispositionRule(
        code=d.code,
        contact_made=d.contact_made,
        final=d.final,
        booked=d.booked,
        dnc=d.dnc,
        bad_number=d.bad_number,
        callback=d.callback,
        ends_ownership=d.ends_ownership,
        counts_as_attempt=d.counts_as_attempt,
        retry_after_minutes=d.retry_after_minutes,
        closes_as=d.closes_as,
        other_part_of_day=d.other_part_of_day,
    )


# Outcome -------------------------------------------------------------------------------------


def record_outcome(
    session: Session,
    *,
    task_id: int,
    body: OutcomeIn,
    agent_id: int,
    dealer_ids: DealerScope,
    now: datetime,
    actor: Actor,
) -> OutcomePublic:
    """Record the call's disposition and apply every effect in one transaction."""
    begin_immediate(session)  # reads, then writes
    repo = ContactRepository(session)
    row = _task(session, task_id, dealer_ids)
    _check_lease(row, token=body.claim_token, agent_id=agent_id)
    disposition = repo.disposition(row.group_id, body.disposition)
    if disposition is None and not repo.has_dispositions(row.group_id):
        dispositions_of(session, group_id=row.group_id)  # the group's first call: seed them
        disposition = repo.disposition(row.group_id, body.disposition)
    if disposition is None:
        raise BadRequest(f"disposition: unknown code {body.disposition!r} for this dealer group")
    result = apply_outcome(
        session,
        row=row,
        disposition=disposition,
        agent_id=agent_id,
        now=now,
        actor=actor,
        note=body.note,
        reason=body.reason,
        callback_at=body.callback_at,
        phone_id=body.phone_id,
        vehicle_id=body.vehicle_id,
        booking=body.booking,
    )
    session.commit()
    return result


def apply_outcome(
    session: Session,
    *,
    row: Any,
    disposition: Any,
    agent_id: int | None,
    now: datetime,
    actor: Actor,
    note: str | None = None,
    reason: str | None = None,
    callback_at: datetime | None = None,
    phone_id: int | None = None,
    vehicle_id: int | None = None,
    booking: BookingIn | None = None,
) -> OutcomePublic:
    """Record one call on the locked task ``row`` and apply every effect of its disposition,
    without committing (the agent's outcome and the dialer import share it)."""
    repo = ContactRepository(session)
    task_id = int(row.id)
    if disposition.booked and booking is None:
        raise BadRequest(f"booking: disposition {disposition.code!r} needs a booking")
    if booking is not None and not disposition.booked:
        raise BadRequest(f"booking: disposition {disposition.code!r} does not book")
    if disposition.callback and callback_at is None:
        raise BadRequest("callback_at: a callback needs the agreed time")
    customer_id = int(row.customer_id)
    phones = repo.valid_phones(customer_id)
    phone = _dialled(phones, phone_id)
    loc = Locale(row.time_zone or row.dealer_time_zone, row.country or row.dealer_country)
    try:
        decision = decide_outcome(
            disposition_rule(disposition),
            state=TaskState(
                attempts=row.attempts,
                first_attempt_at=_first_attempt(repo, task_id),
                valid_phones_left=len(phones),
                zone=loc.zone,
                country=loc.country,
            ),
            now=now,
            window=calling_window_for(loc.country),
            callback_at=callback_at,
        )
    except ValueError as exc:
        raise BadRequest(f"callback_at: {exc}") from exc
    if reason:
        note = f"[{reason}] {note or ''}".strip()
    repo.add_attempt(
        call_task_id=task_id,
        agent_id=agent_id,
        phone_id=phone.id if phone is not None else None,
        disposition_id=int(disposition.id or 0),
        started_at=now,
        ended_at=now,
        purpose=row.purpose,
        legal_basis="legal_obligation"
        if row.purpose == CallPurpose.SAFETY_RECALL.value
        else "legitimate_interest",
        note=note,
        callback_at=decision.callback_at,
    )
    appointment: Appointment | None = None
    if booking is not None:
        appointment = _book(session, row=row, customer_id=customer_id, booking=booking, now=now)
    closed_others: list[int] = []
    if decision.invalidate_phone and phone is not None:
        repo.invalidate_phone(phone.id)
        audit.record(
            session,
            actor=actor,
            action="customer_phone.invalidate",
            object_type="customer_phone",
            object_id=phone.id,
            dealer_id=row.dealer_id,
            after={"is_valid": False},
        )
    if decision.end_ownership:
        _end_ownership(session, row=row, customer_id=customer_id, vehicle_id=vehicle_id, now=now)
    if decision.set_do_not_call or decision.closes_as == CallTaskOutcome.DECEASED.value:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        if decision.set_do_not_call:
            before: dict[str, Any] = {"do_not_call": customer.do_not_call}
            customer.do_not_call = True
            after: dict[str, Any] = {"do_not_call": True}
        else:
            before = {"status": customer.status}
            customer.status = CustomerStatus.DECEASED.value
            after = {"status": customer.status}
        session.add(customer)
        audit.record(
            session,
            actor=actor,
            action="customer.consent" if decision.set_do_not_call else "customer.status",
            object_type="customer",
            object_id=customer_id,
            dealer_id=row.dealer_id,
            before=before,
            after=after,
        )
        closed_others = [t for t in repo.open_task_ids(customer_id) if t != task_id]
        repo.close_tasks(
            closed_others, outcome=decision.closes_as or CallTaskOutcome.DNC.value, now=now
        )
    lease_free = {"lease_agent_id": None, "lease_expires_at": None, "claim_token": None}
    if decision.status.value == CallTaskStatus.CLOSED.value:
        repo.close_tasks(
            [task_id],
            outcome=decision.closes_as or CallTaskOutcome.DECLINED.value,
            now=now,
            attempts=decision.attempts,
        )
    elif decision.status.value == CallTaskStatus.CALLBACK.value:
        repo.update_task(
            task_id,
            status=CallTaskStatus.CALLBACK.value,
            attempts=decision.attempts,
            callback_at=decision.callback_at,
            callback_agent_id=agent_id,
            **lease_free,
        )
    else:
        repo.update_task(
            task_id,
            status=CallTaskStatus.READY.value,
            attempts=decision.attempts,
            next_attempt_at=decision.next_attempt_at,
            callback_at=None,
            callback_agent_id=None,
            **lease_free,
        )
    audit.record_now(
        session,
        actor=actor,
        action="call_task.outcome",
        object_type="call_task",
        object_id=task_id,
        dealer_id=row.dealer_id,
        after={
            "disposition": disposition.code,
            "status": decision.status.value,
            "outcome": decision.closes_as,
            "attempts": decision.attempts,
            "next_attempt_at": decision.next_attempt_at,
            "callback_at": decision.callback_at,
            "appointment_id": appointment.id if appointment else None,
            "closed_task_ids": closed_others,
        },
    )
    return OutcomePublic(
        task_id=task_id,
        status=decision.status.value,
        outcome=decision.closes_as,
        attempts=decision.attempts,
        next_attempt_at=decision.next_attempt_at,
        callback_at=decision.callback_at,
        appointment=_appointment_public(appointment) if appointment else None,
        closed_task_ids=closed_others,
    )


def _first_attempt(repo: ContactRepository, task_id: int) -> datetime | None:
    at = repo.first_attempt_at(task_id)
    return None if at is None else _utc(at)


def _dialled(phones: list[Any], phone_id: int | None) -> Any:
    if phone_id is None:
        return phones[0] if phones else None
    for phone in phones:
        if phone.id == phone_id:
            return phone
    raise BadRequest(f"phone_id: {phone_id} is not a valid phone of this customer")


def _end_ownership(
    session: Session, *, row: Any, customer_id: int, vehicle_id: int | None, now: datetime
) -> None:
    repo = ContactRepository(session)
    today = now.astimezone(ZoneInfo(row.dealer_time_zone)).date()
    if vehicle_id is None:
        candidates = {i.vehicle_id for i in repo.task_invitations(row.id)}
        if len(candidates) != 1:
            raise BadRequest("vehicle_id: say which car the customer sold")
        vehicle_id = candidates.pop()
    if repo.end_ownership(customer_id=customer_id, vehicle_id=vehicle_id, on=today) == 0:
        raise BadRequest(f"vehicle_id: the customer owns no vehicle {vehicle_id}")
    repo.close_vehicle_invitations(task_id=row.id, vehicle_id=vehicle_id, now=now)


# Workshop slots and booking ------------------------------------------------------------------


def _local_bookings(
    repo: ContactRepository, dealer_id: int, zone: ZoneInfo, first: date, last: date
) -> list[Booking]:
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return [
        Booking(start=_as_local(s, zone), duration_minutes=d)
        for s, d in repo.bookings(dealer_id, start=start, end=end)
    ]


def _as_local(at: datetime, zone: ZoneInfo) -> datetime:
    return _utc(at).astimezone(zone).replace(tzinfo=None)


def list_slots(
    session: Session,
    *,
    dealer_code: str,
    first: date,
    last: date,
    duration_minutes: int,
    dealer_ids: DealerScope,
    now: datetime,
) -> SlotsPublic:
    """The dealer's free slots from ``first`` to ``last``; none that starts before ``now``."""
    if last < first:
        raise BadRequest("to: must not be before from")
    if (last - first).days > MAX_SLOT_DAYS:
        raise BadRequest(f"to: at most {MAX_SLOT_DAYS} days after from")
    repo = ContactRepository(session)
    dealer = repo.dealer_by_code(dealer_code, dealer_ids=dealer_ids)
    if dealer is None or dealer.id is None:
        raise NotFound(f"dealer {dealer_code!r} not found")
    zone = ZoneInfo(dealer.time_zone)
    slots = free_slots(
        first,
        last,
        duration_minutes=duration_minutes,
        bookings=_local_bookings(repo, dealer.id, zone, first, last),
        opening=parse_opening_hours(dealer.opening_hours),
        capacity_hours=dealer.workshop_capacity_per_day,
        country=dealer.country,
        not_before=_as_local(now, zone),
    )
    return SlotsPublic(
        dealer=dealer.code,
        time_zone=dealer.time_zone,
        data=[
            SlotPublic(start=s.start.replace(tzinfo=zone), duration_minutes=s.duration_minutes)
            for s in slots
        ],
    )


def _book(
    session: Session, *, row: Any, customer_id: int, booking: BookingIn, now: datetime
) -> Appointment:
    if _utc(booking.slot_start) < _utc(now):
        raise BadRequest("booking.slot_start: that slot has already started; choose a later one")
    repo = ContactRepository(session)
    task_id = int(row.id)
    owned = {v.id for v in repo.current_vehicles(customer_id, on=booking.slot_start.date())}
    if booking.vehicle_id not in owned:
        raise BadRequest(f"booking.vehicle_id: the customer owns no vehicle {booking.vehicle_id}")
    dealer = repo.lock_dealer(row.dealer_id)
    assert dealer is not None
    assert dealer.id is not None
    zone = ZoneInfo(dealer.time_zone)
    local = _as_local(booking.slot_start, zone)
    ok = fits(
        local,
        booking.duration_minutes,
        bookings=_local_bookings(repo, dealer.id, zone, local.date(), local.date()),
        opening=parse_opening_hours(dealer.opening_hours),
        capacity_hours=dealer.workshop_capacity_per_day,
        country=dealer.country,
    )
    if not ok:
        raise Conflict(
            "booking.slot_start: that slot is not free (full, closed or a holiday); "
            f"see GET /api/v1/dealers/{dealer.code}/slots"
        )
    appointment = Appointment(
        dealer_id=dealer.id,
        vehicle_id=booking.vehicle_id,
        customer_id=customer_id,
        slot_start=booking.slot_start.astimezone(UTC),  # SQLite keeps wall time, no offset
        duration_minutes=booking.duration_minutes,
        service_types=booking.service_types,
        status=AppointmentStatus.BOOKED.value,
        origin=AppointmentOrigin.CALL.value,
        call_task_id=task_id,
    )
    session.add(appointment)
    session.flush()
    _appointment_changed(session, appointment, "booked")
    return appointment


def _appointment_changed(session: Session, appointment: Appointment, change: str) -> None:
    """The one place every booking, move or cancellation made here passes through, inside its
    transaction: audited, and put in the DMS outbox when the dealer exports its bookings
    (``change`` is booked, moved or cancelled)."""
    if dms_outbox.export_bookings(session, appointment.dealer_id):
        dms_outbox.enqueue_appointment_change(session, appointment, change)
    audit.record(
        session,
        actor=audit.SYSTEM,
        action=f"appointment.{change}",
        object_type="appointment",
        object_id=appointment.id,
        dealer_id=appointment.dealer_id,
        after={
            "slot_start": appointment.slot_start,
            "duration_minutes": appointment.duration_minutes,
            "status": appointment.status,
            "call_task_id": appointment.call_task_id,
        },
    )
