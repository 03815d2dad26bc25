"""Booking export: appointment changes written to an outbox in the booking's own transaction,
then delivered to the dealer's DMS webhook, signed, with retries and an idempotency key.

``enqueue_appointment_change`` is called by the contact centre inside its transaction (it does
not commit), so a booking and its export exist together or not at all. ``deliver_due`` is the
worker: it claims due rows, POSTs each one and records the outcome in its own transaction.

Retries: a network error, a timeout, 408, 429 or a 5xx is retried after 1, 2, 4... minutes
(at most 6 hours, or later when the DMS sends Retry-After) up to ``MAX_ATTEMPTS``; any other
4xx fails at once (the DMS refused the content). Every attempt carries the same
``Idempotency-Key``, so a DMS that received a request whose answer we lost can ignore the retry.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
from sqlmodel import Session

from app.dms import signing
from app.dms.models import AppointmentChange, AppointmentOutbox, DeliveryStatus
from app.dms.repository import DmsRepository
from app.dms.urls import UrlNotAllowed, check_outbound_url
from app.models import Appointment

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
LEASE = timedelta(minutes=5)
RETRYABLE = frozenset({408, 429})


def export_bookings(session: Session, dealer_id: int) -> bool:
    """Whether the dealer's bookings are exported: a DMS webhook URL is configured for it."""
    integration = DmsRepository(session).integration(dealer_id)
    return integration is not None and bool(integration.outbound_url)


def enqueue_appointment_change(
    session: Session,
    appointment: Appointment,
    change: AppointmentChange | str,
    *,
    now: datetime | None = None,
) -> AppointmentOutbox:
    """Add the change to the outbox in the caller's transaction (no commit)."""
    change = AppointmentChange(change)
    assert appointment.id is not None, "flush the appointment first"
    now = now or datetime.now(UTC)
    refs = DmsRepository(session).appointment_refs(
        appointment.vehicle_id, appointment.customer_id, appointment.dealer_id
    )
    key = str(uuid.uuid4())
    slot = appointment.slot_start
    slot = slot.replace(tzinfo=UTC) if slot.tzinfo is None else slot.astimezone(UTC)
    payload = {
        "idempotency_key": key,
        "change": change.value,
        "occurred_at": now.astimezone(UTC).isoformat(),
        "appointment": {
            "id": appointment.id,
            "external_id": appointment.external_id,
            "dealer": refs.code,
            "vin": refs.vin,
            "customer": refs.customer,
            "slot_start": slot.isoformat(),
            "duration_minutes": appointment.duration_minutes,
            "service_types": list(appointment.service_types),
            "status": appointment.status,
        },
    }
    row = AppointmentOutbox(
        dealer_id=appointment.dealer_id,
        appointment_id=appointment.id,
        change=change.value,
        payload=payload,
        idempotency_key=key,
        next_attempt_at=now,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(slots=True)
class DeliverySummary:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def retry_delay(attempts: int, retry_after: timedelta | None = None) -> timedelta:
    backoff: timedelta = min(FIRST_RETRY * (2 ** max(0, attempts - 1)), MAX_RETRY)
    if retry_after is not None and retry_after > backoff:
        return retry_after
    return backoff


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(timedelta(0), when - now)


def deliver_due(
    session: Session,
    *,
    client: httpx.Client,
    now: datetime,
    allowed_networks: list[str],
    limit: int = 100,
) -> DeliverySummary:
    """Deliver the outbox rows due at ``now`` (each claimed, sent and recorded on its own)."""
    repo = DmsRepository(session)
    summary = DeliverySummary()
    ids = repo.due_outbox_ids(now, limit)
    session.commit()
    for outbox_id in ids:
        if not repo.claim_outbox(outbox_id, now, now + LEASE):
            session.commit()
            continue  # another worker took it
        session.commit()
        row = session.get(AppointmentOutbox, outbox_id)
        assert row is not None
        integration = repo.integration(row.dealer_id)
        status_code, error, retry_after = _send(client, row, integration, allowed_networks, now)
        row.attempts += 1
        row.last_status_code = status_code
        row.last_error = None if error is None else error[:500]
        if status_code is not None and 200 <= status_code < 300:
            row.status = DeliveryStatus.DELIVERED.value
            row.delivered_at = now
            summary.delivered += 1
        elif _retryable(status_code) and row.attempts < MAX_ATTEMPTS:
            row.next_attempt_at = now + retry_delay(row.attempts, retry_after)
            summary.retrying += 1
        else:
            row.status = DeliveryStatus.FAILED.value
            summary.failed += 1
        session.add(row)
        session.commit()
    return summary


def _retryable(status_code: int | None) -> bool:
    return status_code is None or status_code in RETRYABLE or status_code >= 500


def _send(
    client: httpx.Client,
    row: AppointmentOutbox,
    integration: object,
    allowed_networks: list[str],
    now: datetime,
) -> tuple[int | None, str | None, timedelta | None]:
    """(HTTP status or None, error text, Retry-After) of one delivery attempt."""
    url = getattr(integration, "outbound_url", None)
    secret = getattr(integration, "outbound_secret", None)
    if not url or not secret:
        return None, "the dealer has no DMS webhook URL and secret configured", None
    try:
        check_outbound_url(url, allowed_networks=allowed_networks, field="outbound_url")
    except UrlNotAllowed as exc:
        return None, exc.message, None
    body = json.dumps(row.payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": row.idempotency_key,
        "X-Retention-Timestamp": str(timestamp),
        "X-Retention-Signature": signing.sign(secret, timestamp, body),
        "X-Retention-Event": f"appointment.{row.change}",
    }
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{exc.__class__.__name__}: {exc}", None
    error = None if response.is_success else f"HTTP {response.status_code}: {response.text[:200]}"
    return (
        response.status_code,
        error,
        parse_retry_after(response.headers.get("retry-after"), now),
    )
