"""All contact-centre queries. The hot paths (claim, outcome) are SQLAlchemy Core statements.

The claim walks the queue with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent agents
each lock different rows and never wait for one another; on SQLite the caller's transaction began
with ``BEGIN IMMEDIATE`` (one writer at a time), where ``FOR UPDATE`` renders as nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from app.call.models import Appointment, CallAttempt, CallTask, Disposition, Invitation
from app.contact.models import CampaignControl
from app.customer.models import Customer, CustomerPhone
from app.dealer.models import Dealer, DealerGroup
from app.enums import AppointmentStatus, CallTaskStatus, InvitationStatus
from app.model_base import utcnow
from app.security.principal import DealerScope, in_scope
from app.vehicle.models import Ownership, RepairOrder, RepairOrderLine, Vehicle

_t: Any = CallTask.__table__  # type: ignore[attr-defined]
_d: Any = Dealer.__table__  # type: ignore[attr-defined]
_cc: Any = CampaignControl.__table__  # type: ignore[attr-defined]
_inv: Any = Invitation.__table__  # type: ignore[attr-defined]
_ph: Any = CustomerPhone.__table__  # type: ignore[attr-defined]
_disp: Any = Disposition.__table__  # type: ignore[attr-defined]
_appt: Any = Appointment.__table__  # type: ignore[attr-defined]
_ca: Any = CallAttempt.__table__  # type: ignore[attr-defined]
_ro: Any = RepairOrder.__table__  # type: ignore[attr-defined]
_rol: Any = RepairOrderLine.__table__  # type: ignore[attr-defined]
_own: Any = Ownership.__table__  # type: ignore[attr-defined]
_veh: Any = Vehicle.__table__  # type: ignore[attr-defined]
_cust: Any = Customer.__table__  # type: ignore[attr-defined]

TAKES_CAPACITY = (
    AppointmentStatus.BOOKED.value,
    AppointmentStatus.CONFIRMED.value,
    AppointmentStatus.ARRIVED.value,
)


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    status: str
    dealer_id: int
    customer_id: int
    time_zone: str | None
    country: str | None
    dealer_time_zone: str
    dealer_country: str
    group_id: int
    dealer_code: str
    # The number to localise a task that has no calling zone yet by (None when it has one).
    number: str | None


_CANDIDATE_COLUMNS = (
    _t.c.id,
    _t.c.status,
    _t.c.dealer_id,
    _t.c.customer_id,
    _t.c.time_zone,
    _t.c.country,
    _d.c.time_zone.label("dealer_time_zone"),
    _d.c.country.label("dealer_country"),
    _d.c.group_id,
    _d.c.code.label("dealer_code"),
    # The primary valid phone, else any valid (as primary_numbers), for tasks without a zone:
    # evaluated only for the few rows the LIMIT keeps, in the same round trip.
    case(
        (
            _t.c.time_zone.is_(None),
            select(_ph.c.number)
            .where(_ph.c.customer_id == _t.c.customer_id, _ph.c.is_valid.is_(True))
            .order_by(_ph.c.is_primary.desc(), _ph.c.id)
            .limit(1)
            .scalar_subquery(),
        ),
        else_=null(),
    ).label("number"),
)


# What the call card shows of the task itself.
_CARD_TASK_COLUMNS = (
    _t.c.id,
    _t.c.customer_id,
    _t.c.dealer_id,
    _t.c.claim_token,
    _t.c.lease_expires_at,
    _t.c.priority,
    _t.c.primary_type,
    _t.c.purpose,
    _t.c.attempts,
    _t.c.time_zone,
)


def _paused_campaign() -> Any:
    """EXISTS a paused campaign control for the task's dealer and primary invitation type."""
    return (
        select(literal(1))
        .where(
            _cc.c.dealer_id == _t.c.dealer_id,
            _cc.c.invitation_type == _t.c.primary_type,
            _cc.c.paused.is_(True),
        )
        .exists()
    )


# The hot paths' statements (claim, card, outcome), built once at import: executing a prebuilt
# statement skips its construction and its cache-key computation, the larger part of
# SQLAlchemy's cost per statement. The caller's dealer scope is an expanding parameter
# (``dealer_ids``); a statement that takes it comes in two variants, see ``_scoped``.
def _in_scope(column: Any) -> Any:
    return column.in_(bindparam("dealer_ids", expanding=True))


def _any_scope(column: Any) -> Any:
    return true()


def _scoped(build: Callable[[Callable[[Any], Any]], Any]) -> tuple[Any, Any]:
    """(scoped to ``dealer_ids``, every dealer) variants of a statement."""
    return build(_in_scope), build(_any_scope)


def _scope(variants: tuple[Any, Any], dealer_ids: DealerScope) -> tuple[Any, dict[str, Any]]:
    """The variant for ``dealer_ids`` and its parameters."""
    if dealer_ids is None:
        return variants[1], {}
    return variants[0], {"dealer_ids": sorted(dealer_ids)}


def _now_param(name: str = "b_now") -> Any:
    return bindparam(name, type_=_t.c.updated_at.type)


_RELEASE_EXPIRED = (
    update(_t)
    .where(
        _t.c.id.in_(
            select(_t.c.id)
            .where(
                _t.c.status == CallTaskStatus.CLAIMED.value,
                _t.c.lease_expires_at < bindparam("b_now"),
            )
            .limit(bindparam("b_limit"))
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
    )
    .values(
        status=CallTaskStatus.READY.value,
        lease_agent_id=None,
        lease_expires_at=None,
        claim_token=None,
        updated_at=_now_param(),
    )
)
_DUE_CALLBACK = _scoped(
    lambda scope: (
        select(*_CANDIDATE_COLUMNS)
        .join(_d, _d.c.id == _t.c.dealer_id)
        .where(
            _t.c.status == CallTaskStatus.CALLBACK.value,
            _t.c.callback_at <= bindparam("b_now"),
            scope(_t.c.dealer_id),
            or_(
                _t.c.callback_agent_id.is_(None),
                _t.c.callback_agent_id == bindparam("b_agent_id"),
                _t.c.callback_at <= bindparam("b_reserved_until"),
            ),
        )
        .order_by(_t.c.callback_at, _t.c.id)
        .limit(1)
        .with_for_update(of=_t, skip_locked=True)
    )
)
_READY_CANDIDATES = _scoped(
    lambda scope: (
        select(*_CANDIDATE_COLUMNS)
        .join(_d, _d.c.id == _t.c.dealer_id)
        .where(
            _t.c.status == CallTaskStatus.READY.value,
            or_(_t.c.next_attempt_at.is_(None), _t.c.next_attempt_at <= bindparam("b_now")),
            scope(_t.c.dealer_id),
            ~_paused_campaign(),
        )
        .order_by(_t.c.priority.desc(), _t.c.next_attempt_at.asc().nulls_first(), _t.c.id)
        .limit(bindparam("b_limit"))
        .with_for_update(of=_t, skip_locked=True)
    )
)
_CLAIM_TASK = (
    update(_t)
    .where(_t.c.id == bindparam("b_id"))
    .values(
        status=CallTaskStatus.CLAIMED.value,
        lease_agent_id=bindparam("b_agent_id"),
        lease_expires_at=bindparam("b_expires", type_=_t.c.lease_expires_at.type),
        claim_token=bindparam("b_token"),
        # Set only when the claim computed the task's calling zone (it had none).
        time_zone=func.coalesce(
            bindparam("b_time_zone", type_=_t.c.time_zone.type), _t.c.time_zone
        ),
        country=func.coalesce(bindparam("b_country", type_=_t.c.country.type), _t.c.country),
        updated_at=_now_param(),
    )
    .returning(*_CARD_TASK_COLUMNS)
)
_TASK_FOR_UPDATE = _scoped(
    lambda scope: (
        select(
            _t,
            _d.c.code.label("dealer_code"),
            _d.c.time_zone.label("dealer_time_zone"),
            _d.c.country.label("dealer_country"),
            _d.c.group_id,
        )
        .join(_d, _d.c.id == _t.c.dealer_id)
        .where(_t.c.id == bindparam("b_id"), scope(_t.c.dealer_id))
        .with_for_update(of=_t)
    )
)
_DISPOSITION = select(_disp).where(
    _disp.c.group_id == bindparam("b_group_id"),
    _disp.c.code == bindparam("b_code"),
    _disp.c.is_active.is_(True),
)
_VALID_PHONES = (
    select(_ph)
    .where(_ph.c.customer_id == bindparam("b_customer_id"), _ph.c.is_valid.is_(True))
    .order_by(_ph.c.is_primary.desc(), _ph.c.id)
)
_INVALIDATE_PHONE = update(_ph).where(_ph.c.id == bindparam("b_id")).values(is_valid=False)
_FIRST_ATTEMPT_AT = select(func.min(_ca.c.started_at)).where(
    _ca.c.call_task_id == bindparam("b_task_id")
)
_INSERT_ATTEMPT = insert(_ca)
_CLOSE_TASKS = (
    update(_t)
    .where(_t.c.id.in_(bindparam("b_ids", expanding=True)))
    .values(
        status=CallTaskStatus.CLOSED.value,
        outcome=bindparam("b_outcome"),
        closed_at=_now_param(),
        # Only the task whose call this is counts an attempt; the others keep theirs.
        attempts=func.coalesce(bindparam("b_attempts", type_=_t.c.attempts.type), _t.c.attempts),
        lease_agent_id=None,
        lease_expires_at=None,
        claim_token=None,
        updated_at=_now_param(),
    )
)
_OPEN_INVITATIONS = (InvitationStatus.QUEUED.value, InvitationStatus.DUE.value)
_CLOSE_TASK_INVITATIONS = (
    update(_inv)
    .where(
        _inv.c.call_task_id.in_(bindparam("b_ids", expanding=True)),
        _inv.c.status.in_(_OPEN_INVITATIONS),
    )
    .values(status=InvitationStatus.CLOSED.value, updated_at=_now_param())
)
_CARD_CUSTOMER = select(
    _cust.c.id,
    _cust.c.first_name,
    _cust.c.last_name,
    _cust.c.company_name,
    _cust.c.language,
    _cust.c.value_segment,
    _cust.c.marketing_calls,
).where(_cust.c.id == bindparam("b_customer_id"))
_CARD_PHONES = (
    select(_ph.c.id, _ph.c.number, _ph.c.type, _ph.c.is_primary)
    .where(_ph.c.customer_id == bindparam("b_customer_id"), _ph.c.is_valid.is_(True))
    .order_by(_ph.c.is_primary.desc(), _ph.c.id)
)
_CARD_INVITATIONS = (
    select(
        _inv.c.id,
        _inv.c.vehicle_id,
        _inv.c.type,
        _inv.c.due_date,
        _inv.c.priority,
        _inv.c.explanation,
        _inv.c.confidence,
    )
    .where(_inv.c.call_task_id == bindparam("b_task_id"), _inv.c.status.in_(_OPEN_INVITATIONS))
    .order_by(_inv.c.priority.desc(), _inv.c.id)
)
_CARD_VEHICLES = (
    select(_veh.c.id, _veh.c.vin, _veh.c.make, _veh.c.model, _veh.c.model_year, _veh.c.registration)
    .where(
        or_(
            _veh.c.id.in_(
                select(_own.c.vehicle_id).where(
                    _own.c.customer_id == bindparam("b_customer_id"),
                    or_(_own.c.end_date.is_(None), _own.c.end_date > bindparam("b_on")),
                )
            ),
            _veh.c.id.in_(bindparam("b_also", expanding=True)),
        )
    )
    .order_by(_veh.c.id)
)
_CARD_DISPOSITIONS = (
    select(
        _disp.c.code,
        _disp.c.label,
        _disp.c.contact_made,
        _disp.c.final,
        _disp.c.booked,
        _disp.c.dnc,
        _disp.c.bad_number,
        _disp.c.callback,
        _disp.c.ends_ownership,
    )
    .where(_disp.c.group_id == bindparam("b_group_id"), _disp.c.is_active.is_(True))
    .order_by(_disp.c.sort_order, _disp.c.code)
)
_LAST_VISITS = (
    select(
        _ro.c.id,
        _ro.c.vehicle_id,
        _ro.c.opened_date,
        _ro.c.odometer_in_km,
        func.coalesce(func.sum(_rol.c.labor_amount + _rol.c.parts_amount), 0).label("total"),
    )
    .outerjoin(_rol, _rol.c.repair_order_id == _ro.c.id)
    .where(_ro.c.customer_id == bindparam("b_customer_id"))
    .group_by(_ro.c.id)
    .order_by(_ro.c.opened_date.desc(), _ro.c.id.desc())
    .limit(bindparam("b_limit"))
)
_EARLIER_ATTEMPTS = (
    select(_ca.c.started_at, _ca.c.agent_id, _disp.c.code, _disp.c.label, _ca.c.note)
    .join(_t, _t.c.id == _ca.c.call_task_id)
    .join(_disp, _disp.c.id == _ca.c.disposition_id)
    .where(_t.c.customer_id == bindparam("b_customer_id"))
    .order_by(_ca.c.started_at.desc())
    .limit(bindparam("b_limit"))
)
_UPCOMING_APPOINTMENTS = (
    select(
        _appt.c.id,
        _appt.c.dealer_id,
        _appt.c.vehicle_id,
        _appt.c.slot_start,
        _appt.c.duration_minutes,
        _appt.c.status,
    )
    .where(
        _appt.c.customer_id == bindparam("b_customer_id"),
        _appt.c.slot_start >= bindparam("b_now"),
        _appt.c.status.in_(TAKES_CAPACITY),
    )
    .order_by(_appt.c.slot_start)
)


class ContactRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # Queue ---------------------------------------------------------------------------------

    def _run(self, statement: Any, params: dict[str, Any]) -> Any:
        """Execute a prebuilt Core statement on the session's connection (in its transaction),
        past the ORM's per-statement work (the hot paths hold no pending ORM objects)."""
        return self.session.connection().execute(statement, params)

    def release_expired_leases(self, *, now: datetime, limit: int = 100) -> int:
        """Return tasks whose lease has expired to the queue (their token stops working).

        One statement: the expired rows nobody else holds, updated in place."""
        result = self._run(_RELEASE_EXPIRED, {"b_now": now, "b_limit": limit})
        return int(result.rowcount or 0)

    def due_callback(
        self, *, agent_id: int, dealer_ids: DealerScope, now: datetime, reservation: timedelta
    ) -> Candidate | None:
        """The longest-overdue callback this agent may take (reserved ones only by their agent
        until the reservation ends)."""
        statement, params = _scope(_DUE_CALLBACK, dealer_ids)
        params.update(b_now=now, b_agent_id=agent_id, b_reserved_until=now - reservation)
        row = self._run(statement, params).first()
        return None if row is None else Candidate(*row)

    def ready_candidates(
        self, *, dealer_ids: DealerScope, now: datetime, limit: int
    ) -> list[Candidate]:
        """The head of the ready queue: callable from ``now``, campaign not paused, by priority
        then longest waiting; rows other agents hold are skipped, not waited for."""
        statement, params = _scope(_READY_CANDIDATES, dealer_ids)
        params.update(b_now=now, b_limit=limit)
        return [Candidate(*r) for r in self._run(statement, params)]

    def primary_numbers(self, customer_ids: Iterable[int]) -> dict[int, str]:
        """The number to localise each customer by: the primary valid phone, else any valid."""
        ids = sorted(set(customer_ids))
        if not ids:
            return {}
        rows = self.session.execute(
            select(_ph.c.customer_id, _ph.c.number)
            .where(_ph.c.customer_id.in_(ids), _ph.c.is_valid.is_(True))
            .order_by(_ph.c.customer_id, _ph.c.is_primary.desc(), _ph.c.id)
        ).all()
        out: dict[int, str] = {}
        for customer_id, number in rows:
            out.setdefault(customer_id, number)
        return out

    def update_task(self, task_id: int, **values: Any) -> None:
        values.setdefault("updated_at", utcnow())
        self.session.execute(update(_t).where(_t.c.id == task_id).values(**values))

    def update_tasks(self, rows: Sequence[dict[str, Any]]) -> None:
        """Several tasks' own values in one round trip (``executemany``): each row has ``task_id``
        and the same other keys."""
        if not rows:
            return
        names = [k for k in rows[0] if k != "task_id"]
        self.session.execute(
            update(_t)
            .where(_t.c.id == bindparam("b_task_id"))
            .values({**{n: bindparam(f"b_{n}") for n in names}, "updated_at": utcnow()}),
            [{f"b_{k}": v for k, v in r.items()} for r in rows],
        )

    def claim_task(
        self,
        task_id: int,
        *,
        agent_id: int,
        token: str,
        expires: datetime,
        time_zone: str | None = None,
        country: str | None = None,
    ) -> Any:
        """Mark the (locked) task claimed by ``agent_id`` (with its calling zone when the claim
        computed it) and return what its card shows."""
        params = {
            "b_id": task_id,
            "b_agent_id": agent_id,
            "b_expires": expires,
            "b_token": token,
            "b_time_zone": time_zone,
            "b_country": country,
            "b_now": utcnow(),
        }
        return self._run(_CLAIM_TASK, params).one()

    def task_for_update(self, task_id: int, *, dealer_ids: DealerScope) -> Any:
        """The task row, locked for this transaction, if the caller may see it."""
        statement, params = _scope(_TASK_FOR_UPDATE, dealer_ids)
        params["b_id"] = task_id
        return self._run(statement, params).first()

    # Dispositions --------------------------------------------------------------------------

    def ensure_dispositions(self, group_id: int, defaults: Sequence[dict[str, Any]]) -> None:
        """Insert the default set for ``group_id``, leaving codes the group already has alone."""
        if not defaults:
            return
        now = utcnow()
        rows = [{**d, "group_id": group_id, "created_at": now, "updated_at": now} for d in defaults]
        dialect = self.session.get_bind().dialect.name
        stmt: Any
        if dialect == "postgresql":
            stmt = pg_insert(_disp).values(rows).on_conflict_do_nothing()
        elif dialect == "sqlite":
            stmt = sqlite_insert(_disp).values(rows).on_conflict_do_nothing()
        else:  # pragma: no cover - only the two supported databases
            stmt = insert(_disp).values(rows)
        self.session.execute(stmt)

    def has_dispositions(self, group_id: int) -> bool:
        return bool(
            self.session.execute(
                select(literal(1)).where(_disp.c.group_id == group_id).limit(1)
            ).first()
        )

    def disposition(self, group_id: int, code: str) -> Any:
        """The group's active disposition ``code`` (a row with the table's columns), or None."""
        return self._run(_DISPOSITION, {"b_group_id": group_id, "b_code": code}).first()

    def dispositions(self, group_id: int) -> list[Disposition]:
        return list(
            self.session.execute(
                select(Disposition)
                .where(_disp.c.group_id == group_id)
                .order_by(_disp.c.sort_order, _disp.c.code)
            ).scalars()
        )

    def group_visible(self, group_id: int, dealer_ids: DealerScope) -> bool:
        """The group exists and holds one of the caller's dealers (any group: platform admin)."""
        if self.session.get(DealerGroup, group_id) is None:
            return False
        if dealer_ids is None:
            return True
        return bool(
            self.session.execute(
                select(literal(1))
                .where(_d.c.group_id == group_id, in_scope(_d.c.id, dealer_ids))
                .limit(1)
            ).first()
        )

    def visible_groups(self, dealer_ids: DealerScope) -> list[tuple[int, str]]:
        """(id, name) of the dealer groups holding one of the caller's dealers, by name."""
        g: Any = DealerGroup.__table__  # type: ignore[attr-defined]
        stmt = select(g.c.id, g.c.name).order_by(g.c.name, g.c.id)
        if dealer_ids is not None:
            stmt = stmt.where(
                g.c.id.in_(select(_d.c.group_id).where(in_scope(_d.c.id, dealer_ids)))
            )
        return [(int(r[0]), str(r[1])) for r in self.session.execute(stmt)]

    def disposition_any(self, group_id: int, code: str) -> Disposition | None:
        """The group's disposition ``code``, active or not."""
        return self.session.execute(
            select(Disposition).where(_disp.c.group_id == group_id, _disp.c.code == code)
        ).scalar_one_or_none()

    def disposition_uses(self, disposition_id: int) -> int:
        return int(
            self.session.execute(
                select(func.count()).where(_ca.c.disposition_id == disposition_id)
            ).scalar_one()
        )

    # Outcome effects -----------------------------------------------------------------------

    def first_attempt_at(self, task_id: int) -> datetime | None:
        at: datetime | None = self._run(_FIRST_ATTEMPT_AT, {"b_task_id": task_id}).scalar()
        return at

    def add_attempt(self, **values: Any) -> None:
        at = utcnow()  # what the model's default factories would set
        self._run(_INSERT_ATTEMPT, {"created_at": at, "updated_at": at, **values})

    def valid_phones(self, customer_id: int) -> list[Any]:
        """The customer's valid phones (rows with the table's columns), primary first."""
        return list(self._run(_VALID_PHONES, {"b_customer_id": customer_id}).all())

    def invalidate_phone(self, phone_id: int) -> None:
        self._run(_INVALIDATE_PHONE, {"b_id": phone_id})

    def open_task_ids(self, customer_id: int) -> list[int]:
        return list(
            self.session.execute(
                select(_t.c.id).where(
                    _t.c.customer_id == customer_id, _t.c.status != CallTaskStatus.CLOSED.value
                )
            ).scalars()
        )

    def close_tasks(
        self,
        task_ids: Sequence[int],
        *,
        outcome: str,
        now: datetime,
        attempts: int | None = None,
    ) -> None:
        """Close the tasks and their open invitations (``attempts``: the count to set)."""
        if not task_ids:
            return
        ids = list(task_ids)
        self._run(
            _CLOSE_TASKS, {"b_ids": ids, "b_outcome": outcome, "b_now": now, "b_attempts": attempts}
        )
        self._run(_CLOSE_TASK_INVITATIONS, {"b_ids": ids, "b_now": now})

    def end_ownership(self, *, customer_id: int, vehicle_id: int, on: date) -> int:
        result: Any = self.session.execute(
            update(Ownership)
            .where(
                _own.c.customer_id == customer_id,
                _own.c.vehicle_id == vehicle_id,
                _own.c.end_date.is_(None),
                _own.c.start_date <= on,
            )
            .values(end_date=on, updated_at=utcnow())
        )
        return int(result.rowcount or 0)

    def close_vehicle_invitations(self, *, task_id: int, vehicle_id: int, now: datetime) -> None:
        self.session.execute(
            update(_inv)
            .where(_inv.c.call_task_id == task_id, _inv.c.vehicle_id == vehicle_id)
            .values(status=InvitationStatus.CLOSED.value, updated_at=now)
        )

    # Workshop ------------------------------------------------------------------------------

    def lock_dealer(self, dealer_id: int) -> Dealer | None:
        """The dealer row, locked: bookings of one dealer are serialised (never overbooked)."""
        return self.session.execute(
            select(Dealer).where(_d.c.id == dealer_id).with_for_update()
        ).scalar_one_or_none()

    def dealer_by_code(self, code: str, *, dealer_ids: DealerScope) -> Dealer | None:
        return self.session.execute(
            select(Dealer).where(_d.c.code == code, in_scope(_d.c.id, dealer_ids))
        ).scalar_one_or_none()

    def bookings(
        self, dealer_id: int, *, start: datetime, end: datetime
    ) -> list[tuple[datetime, int]]:
        rows = self.session.execute(
            select(_appt.c.slot_start, _appt.c.duration_minutes).where(
                _appt.c.dealer_id == dealer_id,
                _appt.c.status.in_(TAKES_CAPACITY),
                _appt.c.slot_start >= start,
                _appt.c.slot_start < end,
            )
        ).all()
        return [(r[0], r[1]) for r in rows]

    # The call card -------------------------------------------------------------------------

    def customer(self, customer_id: int) -> Customer | None:
        return self.session.get(Customer, customer_id)

    def card_customer(self, customer_id: int) -> Any:
        return self._run(_CARD_CUSTOMER, {"b_customer_id": customer_id}).first()

    def card_phones(self, customer_id: int) -> list[Any]:
        return list(self._run(_CARD_PHONES, {"b_customer_id": customer_id}).all())

    def card_invitations(self, task_id: int) -> list[Any]:
        return list(self._run(_CARD_INVITATIONS, {"b_task_id": task_id}).all())

    def card_vehicles(self, customer_id: int, *, on: date, also: Iterable[int]) -> list[Any]:
        """The vehicles the customer owns on ``on``, and the vehicles ``also`` (the task's
        invitations' ones, owned or not)."""
        params = {"b_customer_id": customer_id, "b_on": on, "b_also": sorted(set(also))}
        return list(self._run(_CARD_VEHICLES, params).all())

    def card_dispositions(self, group_id: int) -> list[Any]:
        """The group's active dispositions, as the card lists them."""
        return list(self._run(_CARD_DISPOSITIONS, {"b_group_id": group_id}).all())

    def task_invitations(self, task_id: int) -> list[Invitation]:
        return list(
            self.session.execute(
                select(Invitation)
                .where(
                    _inv.c.call_task_id == task_id,
                    _inv.c.status.in_((InvitationStatus.QUEUED.value, InvitationStatus.DUE.value)),
                )
                .order_by(_inv.c.priority.desc(), _inv.c.id)
            ).scalars()
        )

    def current_vehicles(self, customer_id: int, *, on: date) -> list[Vehicle]:
        return list(
            self.session.execute(
                select(Vehicle)
                .join(Ownership, _own.c.vehicle_id == _veh.c.id)
                .where(
                    _own.c.customer_id == customer_id,
                    or_(_own.c.end_date.is_(None), _own.c.end_date > on),
                )
                .order_by(_veh.c.id)
                .distinct()
            ).scalars()
        )

    def last_visits(self, customer_id: int, *, limit: int = 5) -> list[Any]:
        params = {"b_customer_id": customer_id, "b_limit": limit}
        return list(self._run(_LAST_VISITS, params).all())

    def earlier_attempts(self, customer_id: int, *, limit: int = 10) -> list[Any]:
        params = {"b_customer_id": customer_id, "b_limit": limit}
        return list(self._run(_EARLIER_ATTEMPTS, params).all())

    def upcoming_appointments(self, customer_id: int, *, now: datetime) -> list[Any]:
        params = {"b_customer_id": customer_id, "b_now": now}
        return list(self._run(_UPCOMING_APPOINTMENTS, params).all())

    # Supervisor ----------------------------------------------------------------------------

    def campaign(self, dealer_id: int, kind: str) -> CampaignControl | None:
        return self.session.execute(
            select(CampaignControl).where(
                _cc.c.dealer_id == dealer_id,
                _cc.c.invitation_type == kind,
            )
        ).scalar_one_or_none()

    def campaigns(self, dealer_id: int) -> list[CampaignControl]:
        return list(
            self.session.execute(
                select(CampaignControl).where(_cc.c.dealer_id == dealer_id)
            ).scalars()
        )

    def dealer(self, dealer_id: int) -> Dealer | None:
        return self.session.get(Dealer, dealer_id)

    def shift_priority(self, *, dealer_id: int, kind: str, delta: int, now: datetime) -> int:
        result: Any = self.session.execute(
            update(_t)
            .where(
                _t.c.dealer_id == dealer_id,
                _t.c.primary_type == kind,
                _t.c.status != CallTaskStatus.CLOSED.value,
            )
            .values(priority=_t.c.priority + delta, updated_at=now)
        )
        return int(result.rowcount or 0)

    def queue_depth(self, *, dealer_ids: DealerScope, now: datetime) -> list[Any]:
        return list(
            self.session.execute(
                select(
                    _d.c.code,
                    _t.c.primary_type,
                    _t.c.status,
                    func.count().label("tasks"),
                    func.sum(
                        and_(
                            _t.c.status == CallTaskStatus.READY.value,
                            or_(_t.c.next_attempt_at.is_(None), _t.c.next_attempt_at <= now),
                        ).cast(_t.c.attempts.type)
                    ).label("callable_now"),
                )
                .join(_d, _d.c.id == _t.c.dealer_id)
                .where(
                    _t.c.status != CallTaskStatus.CLOSED.value, in_scope(_t.c.dealer_id, dealer_ids)
                )
                .group_by(_d.c.code, _t.c.primary_type, _t.c.status)
                .order_by(_d.c.code, _t.c.primary_type, _t.c.status)
            ).all()
        )

    def callbacks_due(self, *, dealer_ids: DealerScope, until: datetime, limit: int) -> list[Any]:
        return list(
            self.session.execute(
                select(_t.c.id, _d.c.code, _t.c.callback_at, _t.c.callback_agent_id, _t.c.priority)
                .join(_d, _d.c.id == _t.c.dealer_id)
                .where(
                    _t.c.status == CallTaskStatus.CALLBACK.value,
                    _t.c.callback_at <= until,
                    in_scope(_t.c.dealer_id, dealer_ids),
                )
                .order_by(_t.c.callback_at, _t.c.id)
                .limit(limit)
            ).all()
        )

    def agent_callbacks(self, *, agent_id: int, dealer_ids: DealerScope, limit: int) -> list[Any]:
        """The callbacks reserved for ``agent_id`` (open, status callback), earliest first."""
        _c = _cust
        return list(
            self.session.execute(
                select(
                    _t.c.id,
                    _d.c.code,
                    _t.c.customer_id,
                    _t.c.primary_type,
                    _t.c.callback_at,
                    _c.c.first_name,
                    _c.c.last_name,
                    _c.c.company_name,
                )
                .join(_d, _d.c.id == _t.c.dealer_id)
                .join(_c, _c.c.id == _t.c.customer_id)
                .where(
                    _t.c.status == CallTaskStatus.CALLBACK.value,
                    _t.c.callback_agent_id == agent_id,
                    in_scope(_t.c.dealer_id, dealer_ids),
                )
                .order_by(_t.c.callback_at, _t.c.id)
                .limit(limit)
            ).all()
        )

    def tasks_per_agent(self, *, dealer_ids: DealerScope, since: datetime) -> list[Any]:
        attempts = (
            select(
                _ca.c.agent_id.label("agent_id"),
                func.count().label("attempts"),
                func.sum(_disp.c.contact_made.cast(_t.c.attempts.type)).label("reached"),
                func.sum(_disp.c.booked.cast(_t.c.attempts.type)).label("booked"),
            )
            .join(CallTask, _t.c.id == _ca.c.call_task_id)
            .join(Disposition, _disp.c.id == _ca.c.disposition_id)
            .where(_ca.c.started_at >= since, in_scope(_t.c.dealer_id, dealer_ids))
            .group_by(_ca.c.agent_id)
        )
        return list(self.session.execute(attempts.order_by("agent_id")).all())

    def held_per_agent(self, *, dealer_ids: DealerScope) -> dict[int, int]:
        rows = self.session.execute(
            select(_t.c.lease_agent_id, func.count())
            .where(
                _t.c.status == CallTaskStatus.CLAIMED.value,
                in_scope(_t.c.dealer_id, dealer_ids),
            )
            .group_by(_t.c.lease_agent_id)
        ).all()
        return {int(a): int(n) for a, n in rows if a is not None}

    # Dialer --------------------------------------------------------------------------------

    def callable_queue(
        self,
        *,
        dealer_ids: DealerScope,
        now: datetime,
        limit: int,
        after: tuple[int, int] | None = None,
    ) -> list[Any]:
        """One page of the dialer's queue: ready, due, campaign not paused, by priority then id;
        ``after`` is the (priority, id) of the previous page's last row."""
        conditions = [
            _t.c.status == CallTaskStatus.READY.value,
            or_(_t.c.next_attempt_at.is_(None), _t.c.next_attempt_at <= now),
            in_scope(_t.c.dealer_id, dealer_ids),
            ~_paused_campaign(),
        ]
        if after is not None:
            priority, last_id = after
            conditions.append(
                or_(_t.c.priority < priority, and_(_t.c.priority == priority, _t.c.id > last_id))
            )
        return list(
            self.session.execute(
                select(
                    _t.c.id,
                    _t.c.customer_id,
                    _t.c.priority,
                    _t.c.primary_type,
                    _t.c.time_zone,
                    _t.c.country,
                    _d.c.time_zone.label("dealer_time_zone"),
                    _d.c.country.label("dealer_country"),
                    _d.c.code,
                )
                .join(_d, _d.c.id == _t.c.dealer_id)
                .where(*conditions)
                .order_by(_t.c.priority.desc(), _t.c.id)
                .limit(limit)
            ).all()
        )

    def reasons(self, task_ids: Sequence[int]) -> dict[int, list[str]]:
        if not task_ids:
            return {}
        rows = self.session.execute(
            select(_inv.c.call_task_id, _inv.c.type)
            .where(
                _inv.c.call_task_id.in_(task_ids),
                _inv.c.status.in_((InvitationStatus.QUEUED.value, InvitationStatus.DUE.value)),
            )
            .order_by(_inv.c.call_task_id, _inv.c.priority.desc(), _inv.c.id)
        ).all()
        out: dict[int, list[str]] = {}
        for task_id, kind in rows:
            kinds = out.setdefault(task_id, [])
            if kind not in kinds:
                kinds.append(kind)
        return out
