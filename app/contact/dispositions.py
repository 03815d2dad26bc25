"""Disposition administration: a dealer group's call result codes and their semantic flags.

The flags drive what a recorded call does (DESIGN §2); the combinations the contact centre cannot
act on are refused here with a 422 naming the field, before anything is stored. A disposition
used by recorded calls cannot be deleted (409): deactivate it instead, so the history keeps it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import audit
from app.audit import Actor
from app.call.models import Disposition
from app.contact.repository import ContactRepository
from app.contact.schemas import DispositionCreate, DispositionUpdate
from app.contact.service import disposition_rule, dispositions_of
from app.errors import Conflict, NotFound, ValidationFailed
from app.security.principal import DealerScope

_FIELDS = (
    "label",
    "contact_made",
    "final",
    "booked",
    "dnc",
    "bad_number",
    "callback",
    "ends_ownership",
    "counts_as_attempt",
    "retry_after_minutes",
    "other_part_of_day",
    "closes_as",
    "sort_order",
    "is_active",
)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        "The disposition is invalid", [{"field": field, "location": "body", "message": message}]
    )


def _check(d: Disposition) -> None:
    """Refuse flag combinations the contact centre cannot act on."""
    if d.final and not d.closes_as:
        raise _invalid("closes_as", "a final disposition needs the outcome it closes the task as")
    if d.closes_as and not d.final:
        raise _invalid("final", "only a final disposition closes the task")
    if d.booked and d.closes_as != "booked":
        raise _invalid("closes_as", "a booking disposition closes the task as booked")
    if d.closes_as == "booked" and not d.booked:
        raise _invalid("booked", "closing the task as booked needs the booked flag")
    if d.callback and d.final:
        raise _invalid("callback", "a callback keeps the task open: it cannot be final")
    if (d.booked or d.callback or d.dnc) and not d.contact_made:
        raise _invalid("contact_made", "a booking, callback or do-not-call needs a contact")
    if d.final and d.retry_after_minutes is not None:
        raise _invalid("retry_after_minutes", "a final disposition is never retried")
    try:
        disposition_rule(d)
    except ValueError as exc:
        raise _invalid("(record)", str(exc)) from exc


def _values(d: Disposition) -> dict[str, Any]:
    return {"code": d.code, **{name: getattr(d, name) for name in _FIELDS}}


def _group(session: Session, group_id: int, dealer_ids: DealerScope) -> ContactRepository:
    repo = ContactRepository(session)
    if not repo.group_visible(group_id, dealer_ids):
        raise NotFound("dealer group not found")
    return repo


def _existing(repo: ContactRepository, group_id: int, code: str) -> Disposition:
    found = repo.disposition_any(group_id, code)
    if found is None:
        raise NotFound(f"disposition {code!r} not found")
    return found


def visible_groups(session: Session, *, dealer_ids: DealerScope) -> list[tuple[int, str]]:
    """The dealer groups whose dispositions the caller may administer: (id, name)."""
    return ContactRepository(session).visible_groups(dealer_ids)


def list_dispositions(
    session: Session, *, group_id: int, dealer_ids: DealerScope
) -> list[Disposition]:
    """The group's dispositions (active and not), seeding the default set the first time."""
    _group(session, group_id, dealer_ids)
    rows = dispositions_of(session, group_id=group_id)
    session.commit()
    return rows


def create_disposition(
    session: Session,
    *,
    group_id: int,
    data: DispositionCreate,
    actor: Actor,
    dealer_ids: DealerScope,
) -> Disposition:
    repo = _group(session, group_id, dealer_ids)
    dispositions_of(session, group_id=group_id)  # the defaults first, so a code clash is a 409
    conflict = Conflict(
        f"disposition {data.code} exists already in this dealer group",
        extra=[{"field": "code", "location": "body", "message": "exists already in this group"}],
    )
    if repo.disposition_any(group_id, data.code) is not None:
        raise conflict
    values = data.model_dump()
    values["closes_as"] = None if data.closes_as is None else data.closes_as.value
    row = Disposition(group_id=group_id, **values)
    _check(row)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # created at the same moment by someone else
        session.rollback()
        raise conflict from None
    audit.record(
        session, actor=actor, action="disposition.create", object_type="disposition",
        object_id=row.id, after=_values(row),
    )  # fmt: skip
    session.commit()
    session.refresh(row)
    return row


def update_disposition(
    session: Session,
    *,
    group_id: int,
    code: str,
    data: DispositionUpdate,
    actor: Actor,
    dealer_ids: DealerScope,
) -> Disposition:
    repo = _group(session, group_id, dealer_ids)
    row = _existing(repo, group_id, code)
    before = _values(row)
    values = dict(before)
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None and name not in ("retry_after_minutes", "closes_as"):
            continue  # a null flag means "unchanged"; these two may be cleared
        values[name] = getattr(value, "value", value)
    _check(Disposition(group_id=group_id, **values))  # before the stored row changes
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    audit.record(
        session, actor=actor, action="disposition.update", object_type="disposition",
        object_id=row.id, before=before, after=_values(row),
    )  # fmt: skip
    session.commit()
    session.refresh(row)
    return row


def delete_disposition(
    session: Session, *, group_id: int, code: str, actor: Actor, dealer_ids: DealerScope
) -> None:
    repo = _group(session, group_id, dealer_ids)
    row = _existing(repo, group_id, code)
    used = repo.disposition_uses(int(row.id or 0))
    if used:
        raise Conflict(
            f"disposition {code} is on {used} recorded call(s): deactivate it instead",
            extra=[
                {
                    "field": "is_active",
                    "location": "body",
                    "message": "on recorded calls: deactivate it instead",
                }
            ],
        )
    before = _values(row)
    session.delete(row)
    audit.record(
        session, actor=actor, action="disposition.delete", object_type="disposition",
        object_id=row.id, before=before,
    )  # fmt: skip
    session.commit()
