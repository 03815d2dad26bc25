"""Every query of the reports: set-based SQL (SQLAlchemy Core) on SQLite and PostgreSQL.

The funnel is computed in two steps, both in SQL:

1. ``invitation_stages``: one row per invitation of the cohort (due in the date range) with its
   stage flags (control, suppressed reason, targeted, attempted, reached, booked, arrived from the
   booking, arrived) and the dimensions it can be grouped by (dealer, group, type, segment and
   the period of its due date);
2. ``funnel_rows``: those rows grouped by the requested dimensions, counted in invitations and,
   through a per-customer sub-aggregate, in distinct customers.

Local dates: invitation due dates and RO opening dates are already local dates of the dealer;
timestamps (call attempts, bookings) are converted with ``LocalDate`` (PostgreSQL
``timezone(zone, ts)``; SQLite a registered Python function using ``zoneinfo``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Float,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel import Session

from app.models import (
    Appointment,
    CallAttempt,
    CallTask,
    Customer,
    Dealer,
    DealerGroup,
    Disposition,
    Invitation,
    RecallCampaign,
    RecallVehicle,
    RepairOrder,
    RepairOrderLine,
    User,
    Vehicle,
)
from app.security.principal import DealerScope, in_scope
from reports import add_months

ATTRIBUTION_DAYS = 60
"""An RO counts as an arrival when it opens within this many days after the booking (or, for
an organic return, after the due date): DESIGN §4."""

_inv = Invitation.__table__  # type: ignore[attr-defined]
_task = CallTask.__table__  # type: ignore[attr-defined]
_att = CallAttempt.__table__  # type: ignore[attr-defined]
_disp = Disposition.__table__  # type: ignore[attr-defined]
_appt = Appointment.__table__  # type: ignore[attr-defined]
_ro = RepairOrder.__table__  # type: ignore[attr-defined]
_line = RepairOrderLine.__table__  # type: ignore[attr-defined]
_cus = Customer.__table__  # type: ignore[attr-defined]
_dealer = Dealer.__table__  # type: ignore[attr-defined]
_group = DealerGroup.__table__  # type: ignore[attr-defined]
_user = User.__table__  # type: ignore[attr-defined]
_veh = Vehicle.__table__  # type: ignore[attr-defined]
_rcamp = RecallCampaign.__table__  # type: ignore[attr-defined]
_rveh = RecallVehicle.__table__  # type: ignore[attr-defined]

DIMENSIONS = ("dealer", "group", "type", "segment")
"""What the funnel can be grouped by, besides the period."""


# Portable SQL constructs ------------------------------------------------------------------------


class LocalDate(FunctionElement[date]):
    """The local calendar date of a UTC timestamp in an IANA zone (a column or a literal)."""

    type = Date()
    inherit_cache = True


@compiles(LocalDate, "postgresql")
def _local_date_pg(element: LocalDate, compiler: Any, **kw: Any) -> str:
    ts, zone = list(element.clauses)
    return f"CAST(timezone({compiler.process(zone, **kw)}, {compiler.process(ts, **kw)}) AS DATE)"


@compiles(LocalDate, "sqlite")
def _local_date_sqlite(element: LocalDate, compiler: Any, **kw: Any) -> str:
    ts, zone = list(element.clauses)
    return f"retention_local_date({compiler.process(ts, **kw)}, {compiler.process(zone, **kw)})"


class AddDays(FunctionElement[date]):
    """``day + n`` days for a date expression and an integer constant."""

    type = Date()
    inherit_cache = True


@compiles(AddDays, "postgresql")
def _add_days_pg(element: AddDays, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"CAST(({compiler.process(day, **kw)} + {compiler.process(days, **kw)}) AS DATE)"


@compiles(AddDays, "sqlite")
def _add_days_sqlite(element: AddDays, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return (
        f"date({compiler.process(day, **kw)}, printf('%+d days', {compiler.process(days, **kw)}))"
    )


class PeriodStart(FunctionElement[date]):
    """The first day of the day / ISO week / month / quarter / year holding a date expression.

    ``grain`` changes the SQL, so it is part of the statement cache key (without it, a query
    compiled for months would be reused for quarters).
    """

    type = Date()
    inherit_cache = True
    _traverse_internals = [
        *FunctionElement._traverse_internals,
        ("grain", InternalTraversal.dp_string),
    ]

    def __init__(self, day: Any, grain: str) -> None:
        if grain not in ("day", "week", "month", "quarter", "year"):
            raise ValueError(f"unknown grain {grain!r}")
        self.grain = grain
        super().__init__(day)


@compiles(PeriodStart, "postgresql")
def _period_start_pg(element: PeriodStart, compiler: Any, **kw: Any) -> str:
    (day,) = list(element.clauses)
    sql: str = compiler.process(day, **kw)
    if element.grain == "day":
        return sql
    # Through timestamp (without time zone): date_trunc of a date would go through timestamptz,
    # converting to and from the session's zone for every row, several times slower.
    return f"CAST(date_trunc('{element.grain}', CAST({sql} AS TIMESTAMP)) AS DATE)"


@compiles(PeriodStart, "sqlite")
def _period_start_sqlite(element: PeriodStart, compiler: Any, **kw: Any) -> str:
    (day,) = list(element.clauses)
    sql: str = compiler.process(day, **kw)
    if element.grain == "day":
        return sql
    if element.grain == "week":  # back to Monday: strftime %w is 0 on Sunday
        return f"date({sql}, printf('-%d days', (CAST(strftime('%w', {sql}) AS INTEGER) + 6) % 7))"
    if element.grain == "month":
        return f"date({sql}, 'start of month')"
    if element.grain == "year":
        return f"date({sql}, 'start of year')"
    return (
        f"printf('%04d-%02d-01', CAST(strftime('%Y', {sql}) AS INTEGER), "
        f"((CAST(strftime('%m', {sql}) AS INTEGER) - 1) / 3) * 3 + 1)"
    )


class Seconds(FunctionElement[float]):
    """``later − earlier`` in seconds, for two timestamps."""

    type = Float()
    inherit_cache = True


@compiles(Seconds, "postgresql")
def _seconds_pg(element: Seconds, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"
    )


@compiles(Seconds, "sqlite")
def _seconds_sqlite(element: Seconds, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"((julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)})) * 86400.0)"
    )


def _sqlite_local_date(value: str | None, zone: str | None) -> str | None:
    # SQLAlchemy stores timezone-aware datetimes on SQLite as UTC wall-clock text.
    if value is None or zone is None:
        return None
    moment = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone)).date().isoformat()


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


# Results ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FunnelFilter:
    """The cohort: invitations due in ``[start, end)`` of the caller's dealers."""

    start: date
    end: date
    dealer_ids: DealerScope
    dealer_id: int | None = None
    group_id: int | None = None
    type: str | None = None
    segment: str | None = None
    vehicles_of_cohort: bool = False
    """Widen the cohort to every invitation (of the same dealers) of the vehicles of the
    invitations due in the range, whatever their due date: used to find the one owner of an RO
    that several invitations could claim when filling the aggregates."""


@dataclass(frozen=True, slots=True)
class FunnelRow:
    """The counts of one group (its ``key`` holds the values of the requested dimensions)."""

    key: tuple[Any, ...]
    invitations: dict[str, int]
    customers: dict[str, int]
    suppressed_invitations: dict[str, int]
    suppressed_customers: dict[str, int]
    revenue: dict[str, Decimal]


STAGE_FLAGS = (
    "control",
    "control_arrived",
    "targeted",
    "attempted",
    "reached",
    "booked",
    "arrived_from_booking",
    "arrived",
)


class ReportingRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        connection = session.connection()
        self.dialect = connection.dialect.name
        if self.dialect == "postgresql":
            # The cohort CTE makes the planner's row estimates (and so its costs) large enough to
            # trigger JIT compilation, which takes seconds, far longer than the queries run.
            self.session.execute(text("SET LOCAL jit = off"))
            # The distinct-customer counts hash one row per customer: keep that in memory.
            self.session.execute(text("SET LOCAL work_mem = '64MB'"))
        if self.dialect == "sqlite":
            connection.connection.driver_connection.create_function(  # type: ignore[union-attr]
                "retention_local_date", 2, _sqlite_local_date, deterministic=True
            )

    # Dealers ------------------------------------------------------------------------------------

    def dealers(self, dealer_ids: DealerScope) -> list[tuple[int, str, int, str]]:
        """(id, code, group id, group name) of the dealers in scope, by code."""
        rows = self.session.execute(
            select(_dealer.c.id, _dealer.c.code, _dealer.c.group_id, _group.c.name)
            .join(_group, _group.c.id == _dealer.c.group_id)
            .where(in_scope(_dealer.c.id, dealer_ids))
            .order_by(_dealer.c.code)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    # Funnel -------------------------------------------------------------------------------------

    def invitation_stages(self, filters: FunnelFilter, *, grain: str) -> Any:
        """One row per invitation of the cohort with its stage flags (a CTE)."""
        conditions = [in_scope(_inv.c.dealer_id, filters.dealer_ids)]
        in_range = [_inv.c.due_date >= filters.start, _inv.c.due_date < filters.end]
        if filters.vehicles_of_cohort:
            due = _inv.alias("due_in_range")
            conditions.append(
                _inv.c.vehicle_id.in_(
                    select(due.c.vehicle_id).where(
                        due.c.due_date >= filters.start,
                        due.c.due_date < filters.end,
                        in_scope(due.c.dealer_id, filters.dealer_ids),
                        due.c.dealer_id == filters.dealer_id
                        if filters.dealer_id is not None
                        else true(),
                    )
                )
            )
        else:
            conditions.extend(in_range)
        if filters.dealer_id is not None:
            conditions.append(_inv.c.dealer_id == filters.dealer_id)
        if filters.group_id is not None:
            conditions.append(_dealer.c.group_id == filters.group_id)
        if filters.type is not None:
            conditions.append(_inv.c.type == filters.type)
        if filters.segment is not None:
            conditions.append(_cus.c.value_segment == filters.segment)
        cohort = (
            select(
                _inv.c.id.label("invitation_id"),
                _inv.c.dealer_id,
                _dealer.c.group_id,
                _dealer.c.time_zone,
                _inv.c.type,
                _cus.c.value_segment.label("segment"),
                _inv.c.customer_id,
                _inv.c.vehicle_id,
                _inv.c.call_task_id,
                _inv.c.due_date,
                PeriodStart(_inv.c.due_date, grain).label("period"),
                _inv.c.is_control,
                _inv.c.suppression_reason,
            )
            .join(_dealer, _dealer.c.id == _inv.c.dealer_id)
            .join(_cus, _cus.c.id == _inv.c.customer_id)
            .where(*conditions)
            .cte("cohort")
        )
        tasks = select(cohort.c.call_task_id).where(cohort.c.call_task_id.is_not(None))
        attempts = (
            select(
                _att.c.call_task_id,
                func.max(_flag(_disp.c.counts_as_attempt == true())).label("attempted"),
                func.max(_flag(_disp.c.contact_made == true())).label("reached"),
            )
            .join(_disp, _disp.c.id == _att.c.disposition_id)
            .where(_att.c.call_task_id.in_(tasks))
            .group_by(_att.c.call_task_id)
            .cte("task_attempts")
        )
        linked_ro = select(_ro.c.appointment_id).where(_ro.c.appointment_id == _appt.c.id).exists()
        bookings = (
            select(
                _appt.c.call_task_id,
                _appt.c.vehicle_id,
                func.min(LocalDate(_appt.c.created_at, _dealer.c.time_zone)).label("booked_on"),
                func.max(_flag(or_(_appt.c.status == "arrived", linked_ro))).label("shown"),
            )
            .join(_dealer, _dealer.c.id == _appt.c.dealer_id)
            .where(_appt.c.call_task_id.in_(tasks))
            .group_by(_appt.c.call_task_id, _appt.c.vehicle_id)
            .cte("task_bookings")
        )
        control = cohort.c.is_control == true()
        suppressed = and_(
            ~control, cohort.c.suppression_reason.is_not(None), cohort.c.call_task_id.is_(None)
        )
        targeted = and_(~control, ~suppressed)
        attempted = and_(targeted, func.coalesce(attempts.c.attempted, 0) == 1)
        reached = and_(attempted, attempts.c.reached == 1)
        booked = and_(reached, bookings.c.call_task_id.is_not(None))
        from_booking = and_(booked, bookings.c.shown == 1)
        window_start = case((booked, bookings.c.booked_on), else_=cohort.c.due_date)
        window_ro = (
            select(_ro.c.id)
            .where(
                _ro.c.vehicle_id == cohort.c.vehicle_id,
                _ro.c.opened_date >= window_start,
                _ro.c.opened_date <= AddDays(window_start, literal(ATTRIBUTION_DAYS)),
            )
            .exists()
        )
        came_in = or_(from_booking, window_ro)
        return (
            select(
                cohort.c.invitation_id,
                cohort.c.dealer_id,
                cohort.c.group_id,
                cohort.c.type,
                cohort.c.segment,
                cohort.c.period,
                cohort.c.customer_id,
                cohort.c.vehicle_id,
                cohort.c.call_task_id,
                window_start.label("window_start"),
                case((suppressed, cohort.c.suppression_reason)).label("suppressed_reason"),
                _flag(control).label("control"),
                _flag(and_(control, came_in)).label("control_arrived"),
                _flag(targeted).label("targeted"),
                _flag(attempted).label("attempted"),
                _flag(reached).label("reached"),
                _flag(booked).label("booked"),
                _flag(from_booking).label("arrived_from_booking"),
                _flag(and_(targeted, came_in)).label("arrived"),
            )
            .select_from(cohort)
            .outerjoin(attempts, attempts.c.call_task_id == cohort.c.call_task_id)
            .outerjoin(
                bookings,
                and_(
                    bookings.c.call_task_id == cohort.c.call_task_id,
                    bookings.c.vehicle_id == cohort.c.vehicle_id,
                ),
            )
            .cte("stages")
        )

    def funnel_rows(
        self, filters: FunnelFilter, *, group_by: Sequence[str], grain: str = "month"
    ) -> list[FunnelRow]:
        """The funnel counts grouped by ``group_by`` (``period`` and/or :data:`DIMENSIONS`)."""
        for name in group_by:
            if name != "period" and name not in DIMENSIONS:
                raise ValueError(f"unknown dimension {name!r}")
        columns = {"dealer": "dealer_id", "group": "group_id"}
        stages = self.invitation_stages(filters, grain=grain)
        keys = [stages.c[columns.get(name, name)] for name in group_by]

        def key_of(row: Any) -> tuple[Any, ...]:
            return tuple(
                _as_date(v) if n == "period" else v for n, v in zip(group_by, row, strict=False)
            )

        n = len(keys)
        by_invitation = self.session.execute(
            select(
                *keys, func.count().label("due"), *[func.sum(stages.c[f]) for f in STAGE_FLAGS]
            ).group_by(*keys)
        ).all()
        per_customer = (
            select(
                *keys, stages.c.customer_id, *[func.max(stages.c[f]).label(f) for f in STAGE_FLAGS]
            )
            .group_by(*keys, stages.c.customer_id)
            .subquery("per_customer")
        )
        ckeys = [per_customer.c[k.name] for k in keys]
        by_customer = {
            key_of(r): r
            for r in self.session.execute(
                select(
                    *ckeys,
                    func.count().label("due"),
                    *[func.sum(per_customer.c[f]) for f in STAGE_FLAGS],
                ).group_by(*ckeys)
            )
        }
        reason = stages.c.suppressed_reason
        suppressed: dict[tuple[Any, ...], tuple[dict[str, int], dict[str, int]]] = {}
        for r in self.session.execute(
            select(*keys, reason, func.count(), func.count(func.distinct(stages.c.customer_id)))
            .where(reason.is_not(None))
            .group_by(*keys, reason)
        ):
            inv, cus = suppressed.setdefault(key_of(r), ({}, {}))
            inv[r[n]] = int(r[n + 1])
            cus[r[n]] = int(r[n + 2])
        revenue = self._revenue(stages, keys, key_of)
        out = []
        for r in by_invitation:
            key = key_of(r)
            c = by_customer[key]
            inv_s, cus_s = suppressed.get(key, ({}, {}))
            out.append(
                FunnelRow(
                    key=key,
                    invitations={"due": int(r[n])}
                    | {f: int(r[n + 1 + i] or 0) for i, f in enumerate(STAGE_FLAGS)},
                    customers={"due": int(c[n])}
                    | {f: int(c[n + 1 + i] or 0) for i, f in enumerate(STAGE_FLAGS)},
                    suppressed_invitations=inv_s,
                    suppressed_customers=cus_s,
                    revenue=revenue.get(key, {}),
                )
            )
        out.sort(key=lambda row: tuple(_sortable(v) for v in row.key))
        return out

    def _revenue(
        self, stages: Any, keys: list[Any], key_of: Any
    ) -> dict[tuple[Any, ...], dict[str, Decimal]]:
        """RO totals of the arrived targeted invitations, split by pay type.

        An RO is attributed to an invitation when it is linked to the invitation's booked
        appointment or opens within the attribution window; an RO attributed to several
        invitations (two reasons for the same car) counts once, for the oldest invitation.
        """
        owner = self.revenue_owners(stages)
        amount = func.coalesce(func.sum(_line.c.labor_amount + _line.c.parts_amount), 0)
        rows = self.session.execute(
            select(*keys, _line.c.pay_type, amount)
            .select_from(owner)
            .join(stages, stages.c.invitation_id == owner.c.invitation_id)
            .join(_line, _line.c.repair_order_id == owner.c.ro_id)
            .group_by(*keys, _line.c.pay_type)
        )
        n = len(keys)
        out: dict[tuple[Any, ...], dict[str, Decimal]] = {}
        for r in rows:
            out.setdefault(key_of(r), {})[r[n]] = Decimal(str(r[n + 1])).quantize(Decimal("0.01"))
        return out

    @staticmethod
    def revenue_owners(stages: Any) -> Any:
        """(ro_id, invitation_id): each RO attributed to an arrived invitation of ``stages``,
        with the oldest (lowest id) such invitation as its one owner."""
        arrived = stages.c.arrived == 1
        linked = (
            select(stages.c.invitation_id, _ro.c.id.label("ro_id"))
            .join(
                _appt,
                and_(
                    _appt.c.call_task_id == stages.c.call_task_id,
                    _appt.c.vehicle_id == stages.c.vehicle_id,
                ),
            )
            .join(_ro, _ro.c.appointment_id == _appt.c.id)
            .where(arrived, stages.c.booked == 1)
        )
        in_window = (
            select(stages.c.invitation_id, _ro.c.id.label("ro_id"))
            .join(
                _ro,
                and_(
                    _ro.c.vehicle_id == stages.c.vehicle_id,
                    _ro.c.opened_date >= stages.c.window_start,
                    _ro.c.opened_date <= AddDays(stages.c.window_start, literal(ATTRIBUTION_DAYS)),
                ),
            )
            .where(arrived)
        )
        pairs = union(linked, in_window).subquery("attributed")
        return (
            select(pairs.c.ro_id, func.min(pairs.c.invitation_id).label("invitation_id"))
            .group_by(pairs.c.ro_id)
            .subquery("owner")
        )

    # Agents -------------------------------------------------------------------------------------

    def agent_day_select(
        self, *, start: date, end: date, dealer_ids: DealerScope, dealer_id: int | None = None
    ) -> Any:
        """Per agent, dealer and local day (``agent_id``, ``dealer_id``, ``day``): attempts,
        contacts, bookings, their arrivals, the handling seconds and the working span (first
        dial to last hang-up), as a SELECT (``report_agent_day`` is filled from it).

        Attempts are first narrowed to a UTC range one day wider on each side than the local
        range (every zone is within ±14 h of UTC), then bucketed by local date.
        """
        local_day = LocalDate(_att.c.started_at, _dealer.c.time_zone)
        arrived_booking = (
            select(_appt.c.id)
            .where(
                _appt.c.call_task_id == _att.c.call_task_id,
                or_(
                    _appt.c.status == "arrived",
                    select(_ro.c.id).where(_ro.c.appointment_id == _appt.c.id).exists(),
                ),
            )
            .exists()
        )
        counted = _disp.c.counts_as_attempt == true()
        contact = and_(counted, _disp.c.contact_made == true())
        booked = and_(contact, _disp.c.booked == true())
        ended = func.coalesce(_att.c.ended_at, _att.c.started_at)
        per_attempt = (
            select(
                _att.c.agent_id,
                _task.c.dealer_id,
                local_day.label("day"),
                _att.c.started_at,
                ended.label("ended_at"),
                _flag(counted).label("attempt"),
                _flag(contact).label("contact"),
                _flag(booked).label("booking"),
                _flag(and_(booked, arrived_booking)).label("arrived"),
                case((counted, Seconds(ended, _att.c.started_at)), else_=0.0).label("handling"),
            )
            .join(_task, _task.c.id == _att.c.call_task_id)
            .join(_dealer, _dealer.c.id == _task.c.dealer_id)
            .join(_disp, _disp.c.id == _att.c.disposition_id)
            .where(
                _att.c.agent_id.is_not(None),
                in_scope(_task.c.dealer_id, dealer_ids),
                _task.c.dealer_id == dealer_id if dealer_id is not None else true(),
                _att.c.started_at
                >= datetime.combine(start, datetime.min.time(), UTC) - timedelta(days=1),
                _att.c.started_at
                < datetime.combine(end, datetime.min.time(), UTC) + timedelta(days=1),
            )
            .subquery("per_attempt")
        )
        p = per_attempt.c
        return (
            select(
                p.agent_id,
                p.dealer_id,
                p.day,
                func.coalesce(func.sum(p.attempt), 0).label("attempts"),
                func.coalesce(func.sum(p.contact), 0).label("contacts"),
                func.coalesce(func.sum(p.booking), 0).label("bookings"),
                func.coalesce(func.sum(p.arrived), 0).label("arrived"),
                func.coalesce(func.sum(p.handling), 0.0).label("handling_seconds"),
                func.coalesce(Seconds(func.max(p.ended_at), func.min(p.started_at)), 0.0).label(
                    "span_seconds"
                ),
            )
            .where(p.day >= start, p.day < end)
            .group_by(p.agent_id, p.dealer_id, p.day)
        )

    def agent_days(
        self, *, start: date, end: date, dealer_ids: DealerScope, dealer_id: int | None = None
    ) -> list[dict[str, Any]]:
        """:meth:`agent_day_select` from the raw tables, with the agents' names."""
        days = self.agent_day_select(
            start=start, end=end, dealer_ids=dealer_ids, dealer_id=dealer_id
        ).subquery("agent_days")
        return self.agent_day_dicts(days)

    def agent_day_dicts(self, days: Any) -> list[dict[str, Any]]:
        """The rows of an agent-day table or subquery (``agent_day_select``'s columns) with the
        agents' names, as the agent report reads them."""
        d = days.c
        rows = self.session.execute(
            select(
                d.agent_id,
                _user.c.display_name,
                d.dealer_id,
                d.day,
                d.attempts,
                d.contacts,
                d.bookings,
                d.arrived,
                d.handling_seconds,
                d.span_seconds,
            )
            .select_from(days)
            .join(_user, _user.c.id == d.agent_id)
            .order_by(d.agent_id, d.dealer_id, d.day)
        )
        return [
            {
                "agent_id": r[0],
                "agent": r[1],
                "dealer_id": r[2],
                "day": _as_date(r[3]),
                "attempts": int(r[4] or 0),
                "contacts": int(r[5] or 0),
                "bookings": int(r[6] or 0),
                "arrived": int(r[7] or 0),
                "handling_seconds": round(float(r[8] or 0.0), 3),
                "span_seconds": round(float(r[9] or 0.0), 3),
            }
            for r in rows
        ]

    # Retention ----------------------------------------------------------------------------------

    def orphan_counts(self, *, as_of: date, dealer_ids: DealerScope) -> dict[int, tuple[int, int]]:
        """Per dealer: (active vehicles, of them without an RO in the 12 months up to ``as_of``)."""
        since = _minus_months(as_of, 12)
        visited = (
            select(_ro.c.id)
            .where(
                _ro.c.vehicle_id == _veh.c.id,
                _ro.c.opened_date > since,
                _ro.c.opened_date <= as_of,
            )
            .exists()
        )
        rows = self.session.execute(
            select(_veh.c.dealer_id, func.count(), func.sum(_flag(~visited)))
            .where(_veh.c.status == "active", in_scope(_veh.c.dealer_id, dealer_ids))
            .group_by(_veh.c.dealer_id)
        )
        return {r[0]: (int(r[1]), int(r[2] or 0)) for r in rows}

    def retention_counts(
        self, *, start: date, end: date, dealer_ids: DealerScope
    ) -> dict[int, tuple[int, int, int]]:
        """Per dealer: (customers with an RO in ``[start, end)``, of them with another RO at the
        same dealer in the 12, and in the 24, months from ``end``)."""
        base = (
            select(_ro.c.dealer_id, _ro.c.customer_id)
            .where(
                _ro.c.customer_id.is_not(None),
                _ro.c.opened_date >= start,
                _ro.c.opened_date < end,
                in_scope(_ro.c.dealer_id, dealer_ids),
            )
            .distinct()
            .subquery("base")
        )
        later = _ro.alias("later")

        def back_within(months: int) -> ColumnElement[bool]:
            return (
                select(later.c.id)
                .where(
                    later.c.customer_id == base.c.customer_id,
                    later.c.dealer_id == base.c.dealer_id,
                    later.c.opened_date >= end,
                    later.c.opened_date < _plus_months(end, months),
                )
                .exists()
            )

        rows = self.session.execute(
            select(
                base.c.dealer_id,
                func.count(),
                func.sum(_flag(back_within(12))),
                func.sum(_flag(back_within(24))),
            ).group_by(base.c.dealer_id)
        )
        return {r[0]: (int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in rows}

    def reactivation_counts(
        self, *, start: date, end: date, lapsed_months: int, dealer_ids: DealerScope
    ) -> dict[int, tuple[int, int]]:
        """Per dealer: (customers lapsed on ``start`` — last RO at the dealer on or before
        ``start − lapsed_months`` —, of them with an RO in ``[start, end)``)."""
        threshold = _minus_months(start, lapsed_months)
        last_visit = (
            select(
                _ro.c.dealer_id,
                _ro.c.customer_id,
                func.max(_ro.c.opened_date).label("last_visit"),
            )
            .where(
                _ro.c.customer_id.is_not(None),
                _ro.c.opened_date < start,
                in_scope(_ro.c.dealer_id, dealer_ids),
            )
            .group_by(_ro.c.dealer_id, _ro.c.customer_id)
            .subquery("last_visit")
        )
        came_back = (
            select(_ro.c.id)
            .where(
                _ro.c.customer_id == last_visit.c.customer_id,
                _ro.c.dealer_id == last_visit.c.dealer_id,
                _ro.c.opened_date >= start,
                _ro.c.opened_date < end,
            )
            .exists()
        )
        rows = self.session.execute(
            select(last_visit.c.dealer_id, func.count(), func.sum(_flag(came_back)))
            .where(last_visit.c.last_visit <= threshold)
            .group_by(last_visit.c.dealer_id)
        )
        return {r[0]: (int(r[1]), int(r[2] or 0)) for r in rows}

    # Recalls ------------------------------------------------------------------------------------

    def recall_counts(
        self, *, dealer_ids: DealerScope
    ) -> list[tuple[int, str, str, dict[str, int]]]:
        """Per dealer and campaign: (dealer id, code, title, vehicles by recall status), counting
        the recalled VINs that are vehicles of the dealer."""
        rows = self.session.execute(
            select(
                _veh.c.dealer_id,
                _rcamp.c.campaign_code,
                _rcamp.c.title,
                _rveh.c.status,
                func.count(),
            )
            .join(_rcamp, _rcamp.c.id == _rveh.c.campaign_id)
            .join(_veh, _veh.c.vin == _rveh.c.vin)
            .where(in_scope(_veh.c.dealer_id, dealer_ids))
            .group_by(_veh.c.dealer_id, _rcamp.c.campaign_code, _rcamp.c.title, _rveh.c.status)
        )
        out: dict[tuple[int, str], tuple[str, dict[str, int]]] = {}
        for dealer_id, code, title, status, count in rows:
            out.setdefault((dealer_id, code), (title, {}))[1][status] = int(count)
        return [(d, code, title, counts) for (d, code), (title, counts) in sorted(out.items())]


def _as_date(value: Any) -> Any:
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        return value.date()
    return value


def _sortable(value: Any) -> tuple[int, Any]:
    return (0, "") if value is None else (1, value)


def _plus_months(day: date, months: int) -> date:
    return add_months(day, months)


def _minus_months(day: date, months: int) -> date:
    return add_months(day, -months)
