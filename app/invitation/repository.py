"""Every query of the nightly run, the invitation list and the catalogue.

The nightly run reads one chunk of a dealer's vehicles at a time with a handful of set-based
queries bounded by a vehicle-id range (``lo < vehicle.id <= hi`` and the dealer), never one query
per vehicle. Writes are set-based too: inserts of new invitations, updates of changed ones only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Select,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from app.dataset.repository import Counts, table_of
from app.enums import AppointmentStatus, CallTaskStatus, InvitationStatus, PayType, ServiceKind
from app.invitation.mapping import (
    AppointmentRow,
    ChunkInput,
    CustomerRow,
    OwnershipRow,
    ReadingRow,
    RecallRow,
    RepairOrderRow,
    StoredInvitation,
    VehicleRow,
    WarrantyRow,
)
from app.invitation.models import NightlyRun, SeasonalCampaign
from app.models import (
    Appointment,
    CallTask,
    Customer,
    CustomerPhone,
    Dealer,
    DealerGroup,
    Invitation,
    OdometerReading,
    Ownership,
    RecallCampaign,
    RecallVehicle,
    RepairOrder,
    RepairOrderLine,
    ServicePlan,
    Vehicle,
    Warranty,
)
from app.security.principal import in_scope
from invitations import SeasonalCampaign as EngineCampaign

IN_CHUNK = 2_000
"""Largest IN list per statement (SQLite allows 32,766 parameters)."""

# Statuses an invitation can leave again; ``closed`` is final (a call task outcome decided it).
OPEN_STATUSES = (
    InvitationStatus.DUE.value,
    InvitationStatus.QUEUED.value,
    InvitationStatus.CONTROL.value,
    InvitationStatus.SUPPRESSED.value,
)
CALLABLE_STATUSES = (InvitationStatus.DUE.value, InvitationStatus.QUEUED.value)

_inv = table_of(Invitation)
_veh = table_of(Vehicle)
_own = table_of(Ownership)
_war = table_of(Warranty)
_ro = table_of(RepairOrder)
_line = table_of(RepairOrderLine)
_odo = table_of(OdometerReading)
_rc = table_of(RecallCampaign)
_rv = table_of(RecallVehicle)
_app = table_of(Appointment)
_cus = table_of(Customer)
_phone = table_of(CustomerPhone)
_task = table_of(CallTask)
_dealer = table_of(Dealer)
_group = table_of(DealerGroup)
_plan = table_of(ServicePlan)
_season = table_of(SeasonalCampaign)
_run = table_of(NightlyRun)


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _rowcount(result: Any) -> int:
    return max(int(result.rowcount or 0), 0)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DealerContext:
    id: int
    code: str
    group_id: int
    country: str
    time_zone: str
    settings: dict[str, Any]
    group_settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PlanInvitation:
    """A stored callable invitation, as the task planner needs it."""

    id: int
    dedup_key: str
    vin: str
    customer_id: int
    dealer_id: int
    type: str
    due_date: date
    opens_date: date
    expires_date: date
    priority: int
    status: str
    call_task_id: int | None


@dataclass(frozen=True, slots=True)
class OpenTask:
    id: int
    customer_id: int
    dealer_id: int
    status: str
    priority: int
    primary_type: str
    purpose: str


class InvitationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    # Dealers, policy data ---------------------------------------------------------------------

    def dealers(
        self, *, code: str | None = None, time_zone: str | None = None
    ) -> list[DealerContext]:
        stmt = (
            select(
                _dealer.c.id,
                _dealer.c.code,
                _dealer.c.group_id,
                _dealer.c.country,
                _dealer.c.time_zone,
                _dealer.c.settings,
                _group.c.settings.label("group_settings"),
            )
            .join(_group, _group.c.id == _dealer.c.group_id)
            .order_by(_dealer.c.code)
        )
        if code is not None:
            stmt = stmt.where(_dealer.c.code == code)
        if time_zone is not None:
            stmt = stmt.where(_dealer.c.time_zone == time_zone)
        return [
            DealerContext(
                id=r.id,
                code=r.code,
                group_id=r.group_id,
                country=r.country,
                time_zone=r.time_zone,
                settings=dict(r.settings or {}),
                group_settings=dict(r.group_settings or {}),
            )
            for r in self.session.execute(stmt)
        ]

    def time_zones(self) -> list[str]:
        stmt = select(_dealer.c.time_zone).distinct().order_by(_dealer.c.time_zone)
        return list(self.session.execute(stmt).scalars())

    def service_plan_rows(self) -> list[Any]:
        return list(self.session.execute(select(_plan).order_by(_plan.c.id)))

    def seasonal_campaign_rows(self, dealer_id: int) -> list[Any]:
        """Catalogue-wide rows first, then the dealer's own (which win by code)."""
        stmt = (
            select(_season)
            .where(or_(_season.c.dealer_id.is_(None), _season.c.dealer_id == dealer_id))
            .order_by(_season.c.dealer_id.is_not(None), _season.c.code)
        )
        return list(self.session.execute(stmt))

    # Value segments ---------------------------------------------------------------------------

    def customer_pay_revenue(
        self, *, group_id: int, since: date, today: date
    ) -> dict[int, Decimal]:
        """Customer-pay revenue per customer of the group with a positive total (since, today]."""
        stmt = self.customer_pay_revenue_statement(group_id=group_id, since=since, today=today)
        return {row[0]: Decimal(row[1]) for row in self.session.execute(stmt)}

    def customer_pay_revenue_statement(
        self, *, group_id: int, since: date, today: date
    ) -> Select[Any]:
        ro_date = func.coalesce(_ro.c.closed_date, _ro.c.opened_date)
        amount = func.sum(_line.c.labor_amount + _line.c.parts_amount)
        return (
            select(_ro.c.customer_id, amount)
            .join(_line, _line.c.repair_order_id == _ro.c.id)
            .join(_cus, _cus.c.id == _ro.c.customer_id)
            .where(
                _cus.c.group_id == group_id,
                _line.c.pay_type == PayType.CUSTOMER_PAY.value,
                ro_date > since,
                ro_date <= today,
            )
            .group_by(_ro.c.customer_id)
            .having(amount > 0)
        )

    def segments_of(self, customer_ids: Sequence[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for part in _chunks(list(customer_ids)):
            stmt = select(_cus.c.id, _cus.c.value_segment).where(_cus.c.id.in_(part))
            out.update({row[0]: row[1] for row in self.session.execute(stmt)})
        return out

    def set_segments(self, segment_by_customer: dict[int, str]) -> int:
        by_segment: dict[str, list[int]] = {}
        for customer_id, segment in segment_by_customer.items():
            by_segment.setdefault(segment, []).append(customer_id)
        written = 0
        for segment, ids in by_segment.items():
            for part in _chunks(sorted(ids)):
                result = self.session.execute(
                    update(_cus)
                    .where(_cus.c.id.in_(part), _cus.c.value_segment != segment)
                    .values(value_segment=segment)
                )
                written += _rowcount(result)
        return written

    def set_low_segment_for_non_paying(self, *, group_id: int, since: date, today: date) -> int:
        """``low`` for every customer of the group without customer-pay revenue in the window."""
        ro_date = func.coalesce(_ro.c.closed_date, _ro.c.opened_date)
        paying = (
            select(literal(1))
            .select_from(_ro.join(_line, _line.c.repair_order_id == _ro.c.id))
            .where(
                _ro.c.customer_id == _cus.c.id,
                _line.c.pay_type == PayType.CUSTOMER_PAY.value,
                _line.c.labor_amount + _line.c.parts_amount > 0,
                ro_date > since,
                ro_date <= today,
            )
        )
        result = self.session.execute(
            update(_cus)
            .where(_cus.c.group_id == group_id, _cus.c.value_segment != "low", ~exists(paying))
            .values(value_segment="low")
        )
        return _rowcount(result)

    # Vehicle chunks ---------------------------------------------------------------------------

    def next_vehicle_bound(self, *, dealer_id: int, after: int, size: int) -> tuple[int, int]:
        """``(last id, count)`` of the next ``size`` vehicles of the dealer after id ``after``."""
        ids = (
            select(_veh.c.id)
            .where(_veh.c.dealer_id == dealer_id, _veh.c.id > after)
            .order_by(_veh.c.id)
            .limit(size)
            .subquery()
        )
        row = self.session.execute(select(func.max(ids.c.id), func.count())).one()
        return (row[0] or after), int(row[1])

    def count_vehicles(self, *, dealer_id: int, after: int = 0) -> int:
        stmt = select(func.count()).where(_veh.c.dealer_id == dealer_id, _veh.c.id > after)
        return int(self.session.execute(stmt).scalar_one())

    def chunk_input_statements(
        self, *, dealer_id: int, lo: int, hi: int, today: date
    ) -> dict[str, Select[Any]]:
        """The statements that read one chunk's inputs (also timed bare by the benchmark)."""

        def in_chunk(vehicle_id: Any) -> Any:
            return and_(vehicle_id > lo, vehicle_id <= hi)

        vehicle_filter = and_(_veh.c.dealer_id == dealer_id, in_chunk(_veh.c.id))
        service_line = exists(
            select(literal(1)).where(
                _line.c.repair_order_id == _ro.c.id,
                _line.c.service_kind.in_(
                    (ServiceKind.MAINTENANCE.value, ServiceKind.INSPECTION.value)
                ),
            )
        )
        # The chunk's owners (the customers of its ownerships), as a subquery: the customers and
        # their visits on other vehicles are read by the vehicle range, without IN lists.
        owners = (
            select(_own.c.customer_id)
            .join(_veh, _veh.c.id == _own.c.vehicle_id)
            .where(vehicle_filter, _own.c.start_date <= today)
        )
        valid_phone = exists(
            select(literal(1)).where(_phone.c.customer_id == _cus.c.id, _phone.c.is_valid)
        )
        horizon_from = datetime.combine(today - timedelta(days=120), datetime.min.time(), UTC)
        horizon_to = datetime.combine(today + timedelta(days=400), datetime.min.time(), UTC)
        return {
            "vehicles": select(
                _veh.c.id,
                _veh.c.vin,
                _veh.c.make,
                _veh.c.model,
                _veh.c.fuel,
                _veh.c.delivery_date,
                _veh.c.delivery_odometer_km,
                _veh.c.sold_by_dealer,
                _veh.c.status,
            )
            .where(vehicle_filter)
            .order_by(_veh.c.id),
            "ownerships": select(
                _own.c.vehicle_id, _own.c.customer_id, _own.c.start_date, _own.c.end_date
            )
            .join(_veh, _veh.c.id == _own.c.vehicle_id)
            .where(vehicle_filter, _own.c.start_date <= today),
            "warranties": select(
                _war.c.vehicle_id,
                _war.c.kind,
                _war.c.start_date,
                _war.c.months,
                _war.c.km_limit,
            )
            .join(_veh, _veh.c.id == _war.c.vehicle_id)
            .where(vehicle_filter),
            "repair_orders": select(
                _ro.c.vehicle_id,
                func.coalesce(_ro.c.closed_date, _ro.c.opened_date),
                _ro.c.odometer_in_km,
                service_line,
            )
            .join(_veh, _veh.c.id == _ro.c.vehicle_id)
            .where(vehicle_filter, _ro.c.opened_date <= today),
            "readings": select(
                _odo.c.vehicle_id,
                _odo.c.reading_date,
                _odo.c.value_km,
                _odo.c.source,
                _odo.c.odometer_replaced,
            )
            .join(_veh, _veh.c.id == _odo.c.vehicle_id)
            .where(vehicle_filter, _odo.c.accepted, _odo.c.reading_date <= today),
            "recalls": select(
                _veh.c.id,
                _rc.c.campaign_code,
                _rc.c.remedy_available,
                _rc.c.start_date,
                _rv.c.status,
                _rv.c.created_at,
            )
            .select_from(_rv.join(_rc, _rc.c.id == _rv.c.campaign_id))
            .join(_veh, _veh.c.vin == _rv.c.vin)
            .where(vehicle_filter, _rv.c.status == "open", _rc.c.remedy_available),
            "appointments": select(_app.c.vehicle_id, _app.c.id, _app.c.slot_start, _app.c.status)
            .join(_veh, _veh.c.id == _app.c.vehicle_id)
            .where(
                vehicle_filter,
                _app.c.status.in_(
                    (
                        AppointmentStatus.BOOKED.value,
                        AppointmentStatus.CONFIRMED.value,
                        AppointmentStatus.NO_SHOW.value,
                    )
                ),
                _app.c.slot_start >= horizon_from,
                _app.c.slot_start < horizon_to,
            ),
            "customers": select(
                _cus.c.id,
                _cus.c.marketing_calls,
                _cus.c.do_not_call,
                _cus.c.status,
                _cus.c.value_segment,
                _cus.c.tyre_hotel,
                valid_phone,
            ).where(_cus.c.id.in_(owners)),
            # Visit dates of the owners' repair orders on all their vehicles, this chunk's
            # included (``CustomerFacts.visit_dates``, for churn): a customer's facts must not
            # depend on which of their vehicles share a chunk.
            "other_visits": select(
                _ro.c.customer_id, func.coalesce(_ro.c.closed_date, _ro.c.opened_date)
            ).where(_ro.c.customer_id.in_(owners), _ro.c.opened_date <= today),
        }

    def load_chunk(
        self, *, dealer_id: int, lo: int, hi: int, today: date, time_zone: str
    ) -> ChunkInput:
        """Everything the engine needs about the vehicles of the dealer with lo < id <= hi."""
        stmts = self.chunk_input_statements(dealer_id=dealer_id, lo=lo, hi=hi, today=today)
        ex = self.session.execute
        vehicles = [VehicleRow._make(r) for r in ex(stmts["vehicles"]).all()]
        ownerships = [OwnershipRow._make(r) for r in ex(stmts["ownerships"]).all()]
        return ChunkInput(
            today=today,
            time_zone=time_zone,
            vehicles=vehicles,
            ownerships=ownerships,
            warranties=[WarrantyRow._make(r) for r in ex(stmts["warranties"]).all()],
            repair_orders=[RepairOrderRow._make(r) for r in ex(stmts["repair_orders"]).all()],
            readings=[ReadingRow._make(r) for r in ex(stmts["readings"]).all()],
            recalls=[RecallRow._make(r) for r in ex(stmts["recalls"]).all()],
            appointments=[AppointmentRow._make(r) for r in ex(stmts["appointments"]).all()],
            customers=[CustomerRow._make(r) for r in ex(stmts["customers"]).all()],
            other_visits=[(r[0], r[1]) for r in ex(stmts["other_visits"]).all()],
        )

    def customer_rows(self, customer_ids: Sequence[int]) -> list[CustomerRow]:
        valid_phone = exists(
            select(literal(1)).where(_phone.c.customer_id == _cus.c.id, _phone.c.is_valid)
        )
        out: list[CustomerRow] = []
        for part in _chunks(list(customer_ids)):
            stmt = select(
                _cus.c.id,
                _cus.c.marketing_calls,
                _cus.c.do_not_call,
                _cus.c.status,
                _cus.c.value_segment,
                _cus.c.tyre_hotel,
                valid_phone,
            ).where(_cus.c.id.in_(part))
            out += [CustomerRow._make(r) for r in self.session.execute(stmt).all()]
        return out

    # Invitations: the chunk's stored rows and the writes ---------------------------------------

    def stored_invitations(
        self, *, dealer_id: int, lo: int, hi: int, today: date
    ) -> dict[str, StoredInvitation]:
        """The chunk's invitations that a run may compare with or change, by dedup key.

        Closed and expired rows older than a year are left out: the engine no longer reports
        them (an insert that still meets one is skipped by ON CONFLICT DO NOTHING).
        """
        cutoff = today - timedelta(days=366)
        stmt = select(*(_inv.c[name] for name in StoredInvitation._fields)).where(
            _inv.c.dealer_id == dealer_id,
            _inv.c.vehicle_id > lo,
            _inv.c.vehicle_id <= hi,
            or_(_inv.c.status.in_(OPEN_STATUSES), _inv.c.expires_date >= cutoff),
        )
        return {
            row.dedup_key: StoredInvitation._make(row) for row in self.session.execute(stmt).all()
        }

    def insert_invitations(self, rows: Sequence[dict[str, Any]]) -> int:
        if not rows:
            return 0
        now = _utcnow()
        values = [{**r, "created_at": now, "updated_at": now} for r in rows]
        maker = pg_insert if self.dialect == "postgresql" else sqlite_insert
        # RETURNING counts the rows really inserted: an executemany's rowcount is -1 on psycopg.
        stmt = maker(_inv).on_conflict_do_nothing(index_elements=["dedup_key"]).returning(_inv.c.id)
        written = 0
        for part in _chunks(values, 1_000):
            written += len(self.session.execute(stmt, list(part)).all())
        return written

    def update_invitations(self, changes: Sequence[tuple[int, dict[str, Any]]]) -> int:
        """Apply ``(id, changed columns)`` pairs, grouped by the set of changed columns."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        now = _utcnow()
        for invitation_id, changed in changes:
            cols = tuple(sorted(changed))
            groups.setdefault(cols, []).append(
                {"b_id": invitation_id, "b_updated_at": now, **{f"b_{c}": changed[c] for c in cols}}
            )
        for cols, params in groups.items():
            stmt = (
                update(_inv)
                .where(_inv.c.id == bindparam("b_id"))
                .values(
                    {c: bindparam(f"b_{c}") for c in cols}
                    | {"updated_at": bindparam("b_updated_at")}
                )
            )
            for part in _chunks(params, 1_000):
                self.session.connection().execute(stmt, list(part))
        return len(changes)

    def expire_invitations(self, *, dealer_id: int, today: date) -> int:
        """Due and queued invitations whose window closed before ``today`` become ``expired``."""
        result = self.session.execute(
            update(_inv)
            .where(
                _inv.c.dealer_id == dealer_id,
                _inv.c.status.in_(CALLABLE_STATUSES),
                _inv.c.expires_date < today,
            )
            .values(
                status=InvitationStatus.EXPIRED.value,
                suppression_reason="expired",
                computed_on=today,
                updated_at=_utcnow(),
            )
        )
        return _rowcount(result)

    # Call tasks --------------------------------------------------------------------------------

    def task_candidates(self, *, dealer_id: int, after: int, size: int, today: date) -> list[int]:
        """The next customers (by id) to plan: callable invitations here, or an open task here."""
        with_invitations = select(_inv.c.customer_id.label("customer_id")).where(
            _inv.c.dealer_id == dealer_id,
            _inv.c.status.in_(CALLABLE_STATUSES),
            _inv.c.opens_date <= today,
            _inv.c.expires_date >= today,
            _inv.c.customer_id > after,
        )
        with_tasks = select(_task.c.customer_id.label("customer_id")).where(
            _task.c.dealer_id == dealer_id,
            _task.c.status != CallTaskStatus.CLOSED.value,
            _task.c.customer_id > after,
        )
        union = with_invitations.union(with_tasks).subquery()
        stmt = select(union.c.customer_id).order_by(union.c.customer_id).limit(size)
        return list(self.session.execute(stmt).scalars())

    def callable_invitations(
        self, customer_ids: Sequence[int], today: date
    ) -> list[PlanInvitation]:
        out: list[PlanInvitation] = []
        for part in _chunks(list(customer_ids)):
            stmt = (
                select(
                    _inv.c.id,
                    _inv.c.dedup_key,
                    _veh.c.vin,
                    _inv.c.customer_id,
                    _inv.c.dealer_id,
                    _inv.c.type,
                    _inv.c.due_date,
                    _inv.c.opens_date,
                    _inv.c.expires_date,
                    _inv.c.priority,
                    _inv.c.status,
                    _inv.c.call_task_id,
                )
                .join(_veh, _veh.c.id == _inv.c.vehicle_id)
                .where(
                    _inv.c.customer_id.in_(part),
                    _inv.c.status.in_(CALLABLE_STATUSES),
                    _inv.c.opens_date <= today,
                    _inv.c.expires_date >= today,
                )
            )
            out += [PlanInvitation(*r) for r in self.session.execute(stmt)]
        return out

    def contact_history(self, customer_ids: Sequence[int], since: datetime) -> list[Any]:
        """Closed call tasks of the customers since ``since``: (customer, closed_at, outcome)."""
        out: list[Any] = []
        for part in _chunks(list(customer_ids)):
            stmt = select(_task.c.customer_id, _task.c.closed_at, _task.c.outcome).where(
                _task.c.customer_id.in_(part),
                _task.c.status == CallTaskStatus.CLOSED.value,
                _task.c.closed_at >= since,
            )
            out += list(self.session.execute(stmt))
        return out

    def open_tasks(self, customer_ids: Sequence[int]) -> dict[int, OpenTask]:
        out: dict[int, OpenTask] = {}
        for part in _chunks(list(customer_ids)):
            stmt = select(
                _task.c.id,
                _task.c.customer_id,
                _task.c.dealer_id,
                _task.c.status,
                _task.c.priority,
                _task.c.primary_type,
                _task.c.purpose,
            ).where(_task.c.customer_id.in_(part), _task.c.status != CallTaskStatus.CLOSED.value)
            out.update({r.customer_id: OpenTask(*r) for r in self.session.execute(stmt)})
        return out

    def insert_tasks(self, rows: Sequence[dict[str, Any]]) -> dict[int, int]:
        """Insert call tasks; returns task id by customer id."""
        if not rows:
            return {}
        now = _utcnow()
        values = [
            {**r, "status": CallTaskStatus.READY.value, "created_at": now, "updated_at": now}
            for r in rows
        ]
        out: dict[int, int] = {}
        stmt = insert(_task).returning(_task.c.id, _task.c.customer_id)
        for part in _chunks(values, 1_000):
            for row in self.session.execute(stmt, list(part)):
                out[row[1]] = row[0]
        return out

    def update_tasks(self, changes: Sequence[tuple[int, dict[str, Any]]]) -> int:
        now = _utcnow()
        for task_id, changed in changes:
            self.session.execute(
                update(_task).where(_task.c.id == task_id).values(**changed, updated_at=now)
            )
        return len(changes)

    def link_invitations(self, links: Sequence[tuple[int, int | None, str]]) -> int:
        """Set ``(invitation id, call task id, status)``."""
        if not links:
            return 0
        stmt = (
            update(_inv)
            .where(_inv.c.id == bindparam("b_id"))
            .values(
                call_task_id=bindparam("b_task"),
                status=bindparam("b_status"),
                updated_at=bindparam("b_now"),
            )
        )
        now = _utcnow()
        params = [{"b_id": i, "b_task": t, "b_status": s, "b_now": now} for i, t, s in links]
        for part in _chunks(params, 1_000):
            self.session.connection().execute(stmt, list(part))
        return len(links)

    # Nightly run bookkeeping -------------------------------------------------------------------

    def nightly_run(self, *, dealer_id: int, run_date: date) -> Any | None:
        stmt = select(_run).where(_run.c.dealer_id == dealer_id, _run.c.run_date == run_date)
        return self.session.execute(stmt).first()

    def start_nightly_run(self, *, dealer_id: int, run_date: date) -> int:
        now = _utcnow()
        self.session.execute(
            delete(_run).where(_run.c.dealer_id == dealer_id, _run.c.run_date == run_date)
        )
        result = self.session.execute(
            insert(_run).values(
                dealer_id=dealer_id,
                run_date=run_date,
                status="running",
                phase="invitations",
                cursor=0,
                vehicles=0,
                rows_written=0,
                started_at=now,
                created_at=now,
                updated_at=now,
            )
        )
        return int(cast(Any, result).inserted_primary_key[0])

    def save_progress(self, run_id: int, **values: Any) -> None:
        self.session.execute(
            update(_run).where(_run.c.id == run_id).values(**values, updated_at=_utcnow())
        )

    def add_to_run(self, run_id: int, *, vehicles: int, rows_written: int) -> None:
        self.session.execute(
            update(_run)
            .where(_run.c.id == run_id)
            .values(
                vehicles=_run.c.vehicles + vehicles,
                rows_written=_run.c.rows_written + rows_written,
            )
        )

    # Listing -----------------------------------------------------------------------------------

    def _listing(self) -> Select[Any]:
        return (
            select(
                _inv,
                _veh.c.vin,
                _cus.c.external_id.label("customer_external_id"),
                _dealer.c.code.label("dealer_code"),
            )
            .join(_veh, _veh.c.id == _inv.c.vehicle_id)
            .join(_cus, _cus.c.id == _inv.c.customer_id)
            .join(_dealer, _dealer.c.id == _inv.c.dealer_id)
        )

    def list_invitations(
        self,
        *,
        dealer_ids: frozenset[int] | None = None,
        dealer_code: str | None = None,
        type: str | None = None,
        status: str | None = None,
        due_from: date | None = None,
        due_to: date | None = None,
        customer: str | None = None,
        vin: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Any], int]:
        conditions = [in_scope(_inv.c.dealer_id, dealer_ids)]
        if dealer_code is not None:
            conditions.append(_dealer.c.code == dealer_code)
        if type is not None:
            conditions.append(_inv.c.type == type)
        if status is not None:
            conditions.append(_inv.c.status == status)
        if due_from is not None:
            conditions.append(_inv.c.due_date >= due_from)
        if due_to is not None:
            conditions.append(_inv.c.due_date <= due_to)
        if customer is not None:
            conditions.append(_cus.c.external_id == customer)
        if vin is not None:
            conditions.append(_veh.c.vin == vin.strip().upper())
        base = self._listing().where(*conditions)
        total = self.session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        rows = self.session.execute(
            base.order_by(_inv.c.due_date, _inv.c.id).limit(limit).offset(offset)
        ).all()
        return list(rows), int(total)

    def invitations_as_of(self, *, as_of: date, dealer_code: str | None) -> list[Any]:
        """Open invitations whose window contains ``as_of``, and every one changed on it."""
        open_on_date = and_(
            _inv.c.status.in_(OPEN_STATUSES),
            _inv.c.opens_date <= as_of,
            _inv.c.expires_date >= as_of,
        )
        stmt = self._listing().where(or_(open_on_date, _inv.c.computed_on == as_of))
        if dealer_code is not None:
            stmt = stmt.where(_dealer.c.code == dealer_code)
        stmt = stmt.order_by(_dealer.c.code, _veh.c.vin, _inv.c.type, _inv.c.dedup_key)
        return list(self.session.execute(stmt).all())

    # Catalogue ---------------------------------------------------------------------------------

    def upsert_seasonal_campaigns(
        self, campaigns: Sequence[tuple[int | None, EngineCampaign]]
    ) -> Counts:
        """Upsert ``(dealer id or None, campaign)`` by code and scope; unchanged rows are not
        written."""
        counts = Counts()
        if not campaigns:
            return counts
        stored = {
            (row.dealer_id, row.code): row
            for row in self.session.execute(
                select(_season).where(_season.c.code.in_({c.code for _, c in campaigns}))
            )
        }
        now = _utcnow()
        for dealer_id, campaign in campaigns:
            values = {
                "kind": campaign.kind.value,
                "country": campaign.country,
                "start_month": campaign.start_month,
                "start_day": campaign.start_day,
                "end_month": campaign.end_month,
                "end_day": campaign.end_day,
                "after_easter": campaign.after_easter,
                "enabled": campaign.enabled,
            }
            row = stored.get((dealer_id, campaign.code))
            if row is None:
                self.session.execute(
                    insert(_season).values(
                        code=campaign.code,
                        dealer_id=dealer_id,
                        created_at=now,
                        updated_at=now,
                        **values,
                    )
                )
                counts.inserted += 1
                continue
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            if changed:
                self.session.execute(
                    update(_season).where(_season.c.id == row.id).values(**changed, updated_at=now)
                )
                counts.updated += 1
            else:
                counts.unchanged += 1
        return counts

    def dealer_id_by_code(self, code: str) -> int | None:
        stmt = select(_dealer.c.id).where(_dealer.c.code == code)
        return self.session.execute(stmt).scalar_one_or_none()

    def dealer_codes(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        stmt = select(_dealer.c.id, _dealer.c.code).where(_dealer.c.id.in_(wanted))
        return {r[0]: r[1] for r in self.session.execute(stmt)}

    def service_plan_by_key(self, make: str, model: str, fuel: str) -> ServicePlan | None:
        stmt = select(ServicePlan).where(
            func.lower(col(ServicePlan.make)) == make.lower(),
            func.lower(col(ServicePlan.model)) == model.lower(),
            col(ServicePlan.fuel) == fuel,
        )
        return self.session.execute(stmt).scalars().first()

    def list_service_plans(self) -> list[ServicePlan]:
        stmt = select(ServicePlan).order_by(
            col(ServicePlan.make), col(ServicePlan.model), col(ServicePlan.fuel)
        )
        return list(self.session.execute(stmt).scalars())

    def get_service_plan(self, plan_id: int) -> ServicePlan | None:
        return self.session.get(ServicePlan, plan_id)

    def list_seasonal_campaigns(self) -> list[SeasonalCampaign]:
        stmt = select(SeasonalCampaign).order_by(
            case((col(SeasonalCampaign.dealer_id).is_(None), 0), else_=1),
            col(SeasonalCampaign.dealer_id),
            col(SeasonalCampaign.code),
        )
        return list(self.session.execute(stmt).scalars())

    def get_seasonal_campaign(self, campaign_id: int) -> SeasonalCampaign | None:
        return self.session.get(SeasonalCampaign, campaign_id)

    def seasonal_campaign_by_key(self, code: str, dealer_id: int | None) -> SeasonalCampaign | None:
        condition = (
            col(SeasonalCampaign.dealer_id).is_(None)
            if dealer_id is None
            else col(SeasonalCampaign.dealer_id) == dealer_id
        )
        stmt = select(SeasonalCampaign).where(col(SeasonalCampaign.code) == code, condition)
        return self.session.execute(stmt).scalars().first()
