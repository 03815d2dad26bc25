"""The predictive dialer's side of the contact centre: the callable queue out as CSV, the
dialer's results (dispositions) back in.

Export columns: ``external_key`` (``ct-<task id>``, echoed back by the import), ``phone_e164``,
``time_zone`` (the customer's, IANA), ``country``, ``dealer``, ``priority``, ``reasons`` (the
open invitation types, ``;``-separated, most urgent first) and ``callable_from`` (UTC; later than
now when the customer's calling window or a holiday forbids calling now). Tasks without a valid
phone are left out: a dialer cannot ring them.

Import columns: ``external_key``, ``disposition`` (a code of the dealer group), ``called_at``
(ISO 8601 with offset), and optionally ``number`` (the number dialled, default the primary),
``callback_at``, ``note``, ``reason``, ``vehicle_id`` (the car sold). The file is applied
all or nothing: any bad row rejects it, every problem listed with its row number (1 = the first
row after the header). Each row has exactly the effects of the same outcome recorded by an agent.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import phonenumbers
from sqlmodel import Session

from app.audit import service as audit
from app.audit.service import Actor
from app.contact import service as contact_service
from app.contact.repository import ContactRepository
from app.db import begin_immediate
from app.enums import CallTaskStatus
from app.errors import AppError, BadRequest, ValidationFailed
from app.security.principal import DealerScope
from invitations.calling import calling_window_for, is_callable, next_callable

EXPORT_COLUMNS = (
    "external_key",
    "phone_e164",
    "time_zone",
    "country",
    "dealer",
    "priority",
    "reasons",
    "callable_from",
)
IMPORT_REQUIRED = ("external_key", "disposition", "called_at")
IMPORT_OPTIONAL = ("number", "callback_at", "note", "reason", "vehicle_id")
KEY_PREFIX = "ct-"
PAGE = 1000
MAX_IMPORT_ROWS = 50_000


def external_key(task_id: int) -> str:
    return f"{KEY_PREFIX}{task_id}"


def _e164(number: str, country: str) -> str | None:
    try:
        parsed = phonenumbers.parse(number, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _line(values: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(values)
    return out.getvalue()


def export_queue(session: Session, *, dealer_ids: DealerScope, now: datetime) -> Iterator[str]:
    """The callable queue as CSV text, one page of tasks at a time (highest priority first)."""
    repo = ContactRepository(session)
    yield _line(list(EXPORT_COLUMNS))
    after: tuple[int, int] | None = None
    while True:
        rows = repo.callable_queue(dealer_ids=dealer_ids, now=now, limit=PAGE, after=after)
        if not rows:
            break
        after = (rows[-1].priority, rows[-1].id)
        numbers = repo.primary_numbers(r.customer_id for r in rows)
        reasons = repo.reasons([r.id for r in rows])
        chunk = []
        for r in rows:
            number = numbers.get(r.customer_id)
            e164 = _e164(number, r.country or r.dealer_country) if number else None
            if e164 is None:
                continue
            if r.time_zone:
                zone, country = r.time_zone, r.country or r.dealer_country
            else:
                loc = contact_service.locale_of(
                    e164, dealer_zone=r.dealer_time_zone, dealer_country=r.dealer_country
                )
                zone, country = loc.zone, loc.country
            window = calling_window_for(country)
            start = (
                now
                if is_callable(now, zone=zone, country=country, window=window)
                else next_callable(now, zone=zone, country=country, window=window)
            )
            chunk.append(
                _line(
                    [
                        external_key(r.id),
                        e164,
                        zone,
                        country,
                        r.code,
                        r.priority,
                        ";".join(reasons.get(r.id, [r.primary_type])),
                        start.isoformat(),
                    ]
                )
            )
        yield "".join(chunk)
        if len(rows) < PAGE:
            break
    # The read transaction ends with the stream (a sync generator on the request's session).
    session.rollback()


# Import --------------------------------------------------------------------------------------


def _aware(value: str, field: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"{field}: not an ISO 8601 date-time: {value!r}") from exc
    if at.utcoffset() is None:
        raise BadRequest(f"{field}: must include a time zone offset")
    return at


def _task_id(key: str) -> int:
    digits = key.removeprefix(KEY_PREFIX)
    if not key.startswith(KEY_PREFIX) or not digits.isdigit() or len(digits) > 10:
        raise BadRequest(f"external_key: not one of ours: {key!r}")
    return int(digits)


def _error(row: int, exc: AppError) -> dict[str, Any]:
    field, _, message = exc.message.partition(": ")
    if not message:
        field, message = "", exc.message
    return {"row": row, "field": field, "message": message}


def _read(data: bytes) -> list[dict[str, str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest("body: the file is not UTF-8 text") from exc
    try:
        return _rows(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:  # e.g. a stray carriage return inside an unquoted field
        raise BadRequest(f"body: not a readable CSV file ({exc})") from exc


def _rows(reader: csv.DictReader[str]) -> list[dict[str, str]]:
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in IMPORT_REQUIRED if c not in header]
    if missing:
        raise BadRequest(f"header: missing column(s) {', '.join(missing)}")
    unknown = [c for c in header if c not in IMPORT_REQUIRED + IMPORT_OPTIONAL]
    if unknown:
        raise BadRequest(f"header: unknown column(s) {', '.join(unknown)}")
    reader.fieldnames = header
    rows = [{k: (v or "").strip() for k, v in r.items() if k is not None} for r in reader]
    if not rows:
        raise BadRequest("body: no rows after the header")
    if len(rows) > MAX_IMPORT_ROWS:
        raise BadRequest(f"body: at most {MAX_IMPORT_ROWS} rows per file")
    return rows


def import_results(
    session: Session, *, data: bytes, dealer_ids: DealerScope, now: datetime, actor: Actor
) -> dict[str, Any]:
    """Apply a dialer's results file in one transaction; 422 listing every bad row otherwise."""
    rows = _read(data)
    begin_immediate(session)
    repo = ContactRepository(session)
    errors: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    for number, raw in enumerate(rows, start=1):
        try:
            code = _apply_row(session, repo, raw, dealer_ids=dealer_ids, now=now, actor=actor)
        except AppError as exc:
            errors.append(_error(number, exc))
            continue
        counts[code] = counts.get(code, 0) + 1
    if errors:
        session.rollback()
        raise ValidationFailed(
            f"dialer results rejected: {len(errors)} bad row(s), nothing applied", errors
        )
    audit.record(
        session,
        actor=actor,
        action="dialer.import",
        object_type="call_task",
        after={"rows": len(rows), "dispositions": counts},
    )
    session.commit()
    return {"rows": len(rows), "dispositions": dict(sorted(counts.items()))}


def _apply_row(
    session: Session,
    repo: ContactRepository,
    raw: dict[str, str],
    *,
    dealer_ids: DealerScope,
    now: datetime,
    actor: Actor,
) -> str:
    for column in IMPORT_REQUIRED:
        if not raw.get(column):
            raise BadRequest(f"{column}: required")
    task_id = _task_id(raw["external_key"])
    called_at = _aware(raw["called_at"], "called_at")
    if called_at > now:
        raise BadRequest("called_at: in the future")
    callback_at = _aware(raw["callback_at"], "callback_at") if raw.get("callback_at") else None
    vehicle_id: int | None = None
    if raw.get("vehicle_id"):
        if not raw["vehicle_id"].isdigit():
            raise BadRequest("vehicle_id: not a number")
        vehicle_id = int(raw["vehicle_id"])
    row = repo.task_for_update(task_id, dealer_ids=dealer_ids)
    if row is None:
        raise BadRequest(f"external_key: no call task {raw['external_key']!r}")
    if row.status == CallTaskStatus.CLOSED.value:
        raise BadRequest(f"external_key: call task {task_id} is already closed ({row.outcome})")
    if row.status == CallTaskStatus.CLAIMED.value:
        raise BadRequest(f"external_key: an agent is working on call task {task_id}")
    contact_service.dispositions_of(session, group_id=row.group_id)
    disposition = repo.disposition(row.group_id, raw["disposition"])
    if disposition is None:
        raise BadRequest(f"disposition: unknown code {raw['disposition']!r} for this dealer group")
    if disposition.booked:
        raise BadRequest(
            f"disposition: {disposition.code!r} books a slot; record bookings through the API"
        )
    phone_id = None
    if raw.get("number"):
        dialled = _e164(raw["number"], row.country or row.dealer_country)
        for phone in repo.valid_phones(row.customer_id):
            if _e164(phone.number, row.country or row.dealer_country) == dialled:
                phone_id = phone.id
                break
        else:
            raise BadRequest("number: not a valid phone of this task's customer")
    if len(raw.get("note", "")) > 2000:
        raise BadRequest("note: at most 2000 characters")
    contact_service.apply_outcome(
        session,
        row=row,
        disposition=disposition,
        agent_id=None,
        now=called_at,
        actor=actor,
        note=raw.get("note") or None,
        reason=(raw.get("reason") or None),
        callback_at=callback_at,
        phone_id=phone_id,
        vehicle_id=vehicle_id,
    )
    return str(disposition.code)
