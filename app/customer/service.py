"""Customer search, the customer card with its timeline, and consent changes (audited)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import phonenumbers
from sqlmodel import Session

from app import audit
from app.audit import Actor
from app.customer.models import (
    Consent,
    ConsentUpdate,
    Customer,
    CustomerPublic,
    CustomersPublic,
    CustomerSummary,
    PhonePublic,
    TimelineEvent,
    TimelineKind,
    TimelinePublic,
    VehicleSummary,
)
from app.customer.repository import CONSENT_ACTION, CustomerRepository, SearchTerms
from app.enums import CustomerStatus, ValueSegment
from app.errors import Conflict, NotFound, ValidationFailed
from app.security.principal import DealerScope
from app.vehicle.vin import normalize_vin

_PHONE_CHARS = re.compile(r"^[+\d\s()./-]+$")
_PLATE = re.compile(r"^[A-Z0-9]{2,10}$")


def display_name(customer: Customer) -> str:
    if customer.status == CustomerStatus.ERASED:
        return f"#{customer.id}"
    person = " ".join(p for p in (customer.first_name, customer.last_name) if p)
    return person or customer.company_name or f"#{customer.id}"


def search_terms(query: str, *, countries: list[str]) -> SearchTerms:
    """Read a search box: a phone (in any of the caller's countries' national forms or
    international), a VIN, a registration plate, or (part of) a name."""
    text = query.strip()
    phones: list[str] = []
    if _PHONE_CHARS.match(text) and sum(c.isdigit() for c in text) >= 6:
        for region in [None, *countries] if text.startswith("+") else countries:
            try:
                parsed = phonenumbers.parse(text, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed):
                phones.append(
                    phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                )
    vin = normalize_vin(text)
    plate = re.sub(r"[\s-]", "", text).upper()
    return SearchTerms(
        phones=tuple(dict.fromkeys(phones)),
        vin=vin if len(vin) == 17 and vin.isalnum() else None,
        registration=plate if _PLATE.match(plate) and any(c.isdigit() for c in plate) else None,
        name=text if any(c.isalpha() for c in text) else None,
    )


def search_customers(
    session: Session, *, query: str | None, dealer_ids: DealerScope, limit: int, offset: int
) -> CustomersPublic:
    """Customers matching ``query`` (every customer in scope when it is None), by name."""
    repo = CustomerRepository(session)
    terms = (
        SearchTerms(everyone=True)
        if query is None
        else search_terms(query, countries=repo.countries(dealer_ids))
    )
    customers, total = repo.search(terms, dealer_ids=dealer_ids, limit=limit, offset=offset)
    ids = [int(c.id or 0) for c in customers]
    dealers = repo.dealers({c.dealer_id for c in customers})
    primary: dict[int, str] = {}
    for phone in repo.phones(ids):
        primary.setdefault(phone.customer_id, phone.number)
    vehicles: dict[int, list[str]] = {}
    for ownership, vehicle in repo.vehicles(ids):
        if ownership.end_date is None:
            label = vehicle.vin + (f" ({vehicle.registration})" if vehicle.registration else "")
            vehicles.setdefault(ownership.customer_id, []).append(label)
    return CustomersPublic(
        data=[
            CustomerSummary(
                id=int(c.id or 0),
                dealer_id=c.dealer_id,
                dealer_code=dealers[c.dealer_id].code,
                name=display_name(c),
                status=CustomerStatus(c.status),
                primary_phone=primary.get(int(c.id or 0)),
                vehicles=vehicles.get(int(c.id or 0), []),
            )
            for c in customers
        ],
        count=total,
        limit=limit,
        offset=offset,
    )


def _customer(repo: CustomerRepository, customer_id: int, dealer_ids: DealerScope) -> Customer:
    customer = repo.customer(customer_id, dealer_ids=dealer_ids)
    if customer is None:
        raise NotFound("customer not found")
    return customer


def _public(repo: CustomerRepository, customer: Customer) -> CustomerPublic:
    customer_id = int(customer.id or 0)
    dealer = repo.dealers([customer.dealer_id])[customer.dealer_id]
    return CustomerPublic(
        id=customer_id,
        dealer_id=customer.dealer_id,
        dealer_code=dealer.code,
        dealer_name=dealer.name,
        time_zone=dealer.time_zone,
        currency=dealer.currency,
        distance_unit=dealer.distance_unit,
        source=customer.source,
        external_id=customer.external_id,
        name=display_name(customer),
        first_name=customer.first_name,
        last_name=customer.last_name,
        company_name=customer.company_name,
        email=customer.email,
        language=customer.language,
        status=CustomerStatus(customer.status),
        value_segment=ValueSegment(customer.value_segment),
        tyre_hotel=customer.tyre_hotel,
        consent=Consent(marketing_calls=customer.marketing_calls, do_not_call=customer.do_not_call),
        phones=[
            PhonePublic.model_validate(p, from_attributes=True) for p in repo.phones([customer_id])
        ],
        vehicles=[
            VehicleSummary(
                id=int(v.id or 0),
                vin=v.vin,
                make=v.make,
                model=v.model,
                model_year=v.model_year,
                registration=v.registration,
                status=v.status,
                owned_from=o.start_date,
                owned_until=o.end_date,
            )
            for o, v in repo.vehicles([customer_id])
        ],
    )


def read_customer(session: Session, *, customer_id: int, dealer_ids: DealerScope) -> CustomerPublic:
    repo = CustomerRepository(session)
    return _public(repo, _customer(repo, customer_id, dealer_ids))


def _day(value: date) -> datetime:
    return datetime.combine(value, time(), tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def read_timeline(
    session: Session, *, customer_id: int, dealer_ids: DealerScope, limit: int, offset: int
) -> TimelinePublic:
    """Repair orders, invitations, calls, appointments and consent changes, newest first."""
    repo = CustomerRepository(session)
    _customer(repo, customer_id, dealer_ids)
    events: list[TimelineEvent] = []
    for ro, vin, customer_pay, total in repo.repair_orders(customer_id):
        events.append(
            TimelineEvent(
                at=_day(ro.opened_date),
                date_only=True,
                kind=TimelineKind.REPAIR_ORDER,
                vin=vin,
                data={
                    "number": ro.external_id,
                    "closed_date": ro.closed_date.isoformat() if ro.closed_date else None,
                    "odometer_km": ro.odometer_in_km,
                    "customer_pay": str(customer_pay),
                    "total": str(total),
                },
            )
        )
    for inv, vin in repo.invitations(customer_id):
        events.append(
            TimelineEvent(
                at=_day(inv.computed_on),
                date_only=True,
                kind=TimelineKind.INVITATION,
                vin=vin,
                data={
                    "type": inv.type,
                    "status": inv.status,
                    "due_date": inv.due_date.isoformat(),
                    "suppression_reason": inv.suppression_reason,
                    "explanation": inv.explanation,
                },
            )
        )
    for attempt, disposition in repo.calls(customer_id):
        events.append(
            TimelineEvent(
                at=_utc(attempt.started_at),
                date_only=False,
                kind=TimelineKind.CALL,
                vin=None,
                data={
                    "disposition": disposition.code,
                    "label": disposition.label,
                    "contact_made": disposition.contact_made,
                    "agent_id": attempt.agent_id,
                    "purpose": attempt.purpose,
                    "note": attempt.note,
                },
            )
        )
    for appointment, vin in repo.appointments(customer_id):
        events.append(
            TimelineEvent(
                at=_utc(appointment.slot_start),
                date_only=False,
                kind=TimelineKind.APPOINTMENT,
                vin=vin,
                data={
                    "status": appointment.status,
                    "origin": appointment.origin,
                    "service_types": list(appointment.service_types),
                    "duration_minutes": appointment.duration_minutes,
                },
            )
        )
    for event in repo.consent_changes(customer_id):
        events.append(
            TimelineEvent(
                at=_utc(event.at),
                date_only=False,
                kind=TimelineKind.CONSENT,
                vin=None,
                data={
                    "before": event.before or {},
                    "after": event.after or {},
                    "actor_type": event.actor_type,
                    "actor_id": event.actor_id,
                },
            )
        )
    events.sort(key=lambda e: (e.at, e.kind.value), reverse=True)
    return TimelinePublic(
        data=events[offset : offset + limit], count=len(events), limit=limit, offset=offset
    )


def update_consent(
    session: Session,
    *,
    customer_id: int,
    change: ConsentUpdate,
    dealer_ids: DealerScope,
    actor: Actor,
    now: datetime,
) -> CustomerPublic:
    """Change the consent flags; a do-not-call closes the customer's open call tasks."""
    if change.marketing_calls is None and change.do_not_call is None:
        raise ValidationFailed(
            "nothing to change",
            [
                {
                    "field": "marketing_calls",
                    "location": "body",
                    "message": "give marketing_calls or do_not_call",
                }
            ],
        )
    repo = CustomerRepository(session)
    customer = _customer(repo, customer_id, dealer_ids)
    if customer.status == CustomerStatus.ERASED:
        raise Conflict("the customer's data was erased; consent cannot change")
    before = {"marketing_calls": customer.marketing_calls, "do_not_call": customer.do_not_call}
    if change.marketing_calls is not None:
        customer.marketing_calls = change.marketing_calls
    if change.do_not_call is not None:
        customer.do_not_call = change.do_not_call
    after = {"marketing_calls": customer.marketing_calls, "do_not_call": customer.do_not_call}
    if after != before:
        closed = repo.close_open_tasks(customer_id, now=now) if customer.do_not_call else 0
        session.add(customer)
        audit.record(
            session,
            actor=actor,
            action=CONSENT_ACTION,
            object_type="customer",
            object_id=customer_id,
            dealer_id=customer.dealer_id,
            before=before,
            after={**after, "channel": change.channel.value, "tasks_closed": closed},
        )
        session.commit()
    return _public(repo, customer)
