"""Customer export (GDPR art. 15/20), erasure (art. 17) and the storage-limitation job
(art. 5(1)(e)): customers inactive for ``inactive_customer_years`` are anonymised.

Erasure anonymises rather than deletes: the customer row, ownerships, ROs, invitations, tasks and
attempts stay (without names, contact details and notes) so report counts do not change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel
from sqlmodel import Session, SQLModel

from app import audit
from app.audit import Actor
from app.db import begin_write_after_reads
from app.errors import NotFound
from app.privacy.repository import PrivacyRepository
from app.security.principal import DealerScope

BATCH = 500


class CustomerExport(BaseModel):
    exported_at: datetime
    customer: dict[str, Any]
    phones: list[dict[str, Any]]
    ownerships: list[dict[str, Any]]
    vehicles: list[dict[str, Any]]
    repair_orders: list[dict[str, Any]]
    appointments: list[dict[str, Any]]
    invitations: list[dict[str, Any]]
    call_tasks: list[dict[str, Any]]
    call_attempts: list[dict[str, Any]]


class ErasureResult(BaseModel):
    customer_id: int
    erased_at: datetime
    phones_removed: int
    notes_cleared: int


def _dump(row: SQLModel) -> dict[str, Any]:
    return row.model_dump(mode="json")


def _ids(rows: list[Any]) -> list[int]:
    return [int(r.id) for r in rows]


def export_customer(
    session: Session, *, customer_id: int, dealer_ids: DealerScope, actor: Actor, now: datetime
) -> CustomerExport:
    """Everything held about one customer; another dealer's customer is ``NotFound``."""
    repo = PrivacyRepository(session)
    customer = repo.customer(customer_id, dealer_ids=dealer_ids)
    if customer is None:
        raise NotFound("customer not found")
    ownerships = repo.ownerships(customer_id)
    orders = repo.repair_orders(customer_id)
    lines = repo.repair_order_lines(_ids(orders))
    tasks = repo.call_tasks(customer_id)
    export = CustomerExport(
        exported_at=now,
        customer=_dump(customer),
        phones=[_dump(p) for p in repo.phones(customer_id)],
        ownerships=[_dump(o) for o in ownerships],
        vehicles=[_dump(v) for v in repo.vehicles([o.vehicle_id for o in ownerships])],
        repair_orders=[
            {**_dump(ro), "lines": [_dump(li) for li in lines if li.repair_order_id == ro.id]}
            for ro in orders
        ],
        appointments=[_dump(a) for a in repo.appointments(customer_id)],
        invitations=[_dump(i) for i in repo.invitations(customer_id)],
        call_tasks=[_dump(t) for t in tasks],
        call_attempts=[_dump(a) for a in repo.call_attempts(_ids(tasks))],
    )
    dealer_id = customer.dealer_id
    begin_write_after_reads(session)
    audit.record(
        session,
        actor=actor,
        action="customer.export",
        object_type="customer",
        object_id=customer_id,
        dealer_id=dealer_id,
    )
    session.commit()
    return export


def erase_customer(
    session: Session, *, customer_id: int, dealer_ids: DealerScope, actor: Actor, now: datetime
) -> ErasureResult:
    """Anonymise one customer (idempotent); another dealer's customer is ``NotFound``."""
    repo = PrivacyRepository(session)
    customer = repo.customer(customer_id, dealer_ids=dealer_ids)
    if customer is None:
        raise NotFound("customer not found")
    result = _erase(session, repo, customer, actor=actor, now=now, reason="request")
    session.commit()
    return result


def _erase(
    session: Session,
    repo: PrivacyRepository,
    customer: Any,
    *,
    actor: Actor,
    now: datetime,
    reason: str,
) -> ErasureResult:
    before = {"status": customer.status}
    phones, notes = repo.anonymise(customer, now=now)
    audit.record(
        session,
        actor=actor,
        action="customer.erase",
        object_type="customer",
        object_id=customer.id,
        dealer_id=customer.dealer_id,
        before=before,
        after={
            "status": customer.status,
            "reason": reason,
            "phones_removed": phones,
            "notes_cleared": notes,
        },
    )
    return ErasureResult(
        customer_id=customer.id, erased_at=now, phones_removed=phones, notes_cleared=notes
    )


def anonymise_inactive(
    session: Session, *, now: datetime, years: int, dry_run: bool = False
) -> list[int]:
    """Anonymise every customer without activity for ``years``; returns their ids.

    Activity: a repair order (theirs or of a vehicle they own), an appointment, a call attempt,
    or an import that changed the customer. One transaction per batch of 500.
    """
    repo = PrivacyRepository(session)
    cutoff = now - relativedelta(years=years)
    if dry_run:
        return repo.inactive_customer_ids(cutoff=cutoff, limit=None)
    done: list[int] = []
    while True:
        ids = repo.inactive_customer_ids(cutoff=cutoff, limit=BATCH)
        if not ids:
            return done
        for customer in repo.customers(ids):
            _erase(session, repo, customer, actor=audit.SYSTEM, now=now, reason="inactive")
        session.commit()
        done += ids
