"""The daily funnel aggregates (``app.reporting.models``): how they are filled and read.

Filling (``refresh_aggregates``): for one dealer and a range of due dates, the rows of those days
are deleted and inserted again with ``INSERT … SELECT`` over the raw stage query
(``ReportingRepository.invitation_stages`` at day grain), in the caller's transaction. The
revenue of an RO goes to its owner among *all* the dealer's invitations of the same vehicle
(``FunnelFilter.vehicles_of_cohort``), so refreshing a few days never counts an RO that an
invitation outside those days owns, and the sum of two ranges equals the range that covers both.

Reading (``funnel_rows_aggregated``): the same :class:`FunnelRow` s as the raw
``ReportingRepository.funnel_rows``: invitation counts, suppressed counts and revenue are sums
of ``report_funnel_day``; distinct customers take, per customer and group, the maximum of each
flag of ``report_funnel_customer_day`` and then count.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce
from typing import Any

from sqlalchemy import Engine, and_, case, delete, func, insert, select, tuple_
from sqlmodel import Session

from app.models import CallAttempt, CallTask, Dealer, Invitation, RepairOrderLine
from app.reporting.models import ReportAgentDay, ReportFunnelCustomerDay, ReportFunnelDay
from app.reporting.repository import (
    DIMENSIONS,
    STAGE_FLAGS,
    FunnelFilter,
    FunnelRow,
    PeriodStart,
    ReportingRepository,
    _as_date,
    _sortable,
)
from app.security.principal import DealerScope, in_scope

_day = ReportFunnelDay.__table__  # type: ignore[attr-defined]
_cday = ReportFunnelCustomerDay.__table__  # type: ignore[attr-defined]
_aday = ReportAgentDay.__table__  # type: ignore[attr-defined]
_dealer = Dealer.__table__  # type: ignore[attr-defined]
_inv = Invitation.__table__  # type: ignore[attr-defined]
_task = CallTask.__table__  # type: ignore[attr-defined]
_att = CallAttempt.__table__  # type: ignore[attr-defined]
_line = RepairOrderLine.__table__  # type: ignore[attr-defined]

PAY_TYPES = ("customer_pay", "warranty", "internal")

NIGHTLY_BACK_DAYS = 200
"""The nightly refresh covers due dates from this many days back (an invitation's calls,
bookings and attributed ROs keep changing for its validity and the 60-day attribution window
after it) ..."""
NIGHTLY_AHEAD_DAYS = 120
"""... to this many days ahead (invitations are created and called before they are due)."""


# Filling ------------------------------------------------------------------------------------------


def refresh_aggregates(session: Session, dealer_id: int, since: date, until: date) -> int:
    """Recompute the aggregate rows of ``dealer_id`` for the due dates ``[since, until)``;
    returns the number of ``report_funnel_day`` rows written. Runs in the caller's
    transaction (the delete and the inserts commit together)."""
    repo = ReportingRepository(session)
    for table in (_day, _cday):
        session.execute(
            delete(table).where(
                table.c.dealer_id == dealer_id, table.c.due_date >= since, table.c.due_date < until
            )
        )
    core = FunnelFilter(start=since, end=until, dealer_ids=None, dealer_id=dealer_id)

    # Per customer: the flags each customer reached in the day's group.
    stages = repo.invitation_stages(core, grain="day")
    ckeys = [
        stages.c.dealer_id,
        stages.c.period,
        stages.c.type,
        stages.c.segment,
        stages.c.suppressed_reason,
        stages.c.customer_id,
    ]
    session.execute(
        insert(_cday).from_select(
            [
                "dealer_id",
                "due_date",
                "type",
                "segment",
                "suppressed_reason",
                "customer_id",
                *STAGE_FLAGS,
            ],
            select(*ckeys, *[func.max(stages.c[f]) for f in STAGE_FLAGS]).group_by(*ckeys),
        )
    )

    # Per day and group: the invitation counts and the revenue of the ROs they own.
    wide = repo.invitation_stages(
        FunnelFilter(
            start=since, end=until, dealer_ids=None, dealer_id=dealer_id, vehicles_of_cohort=True
        ),
        grain="day",
    )
    owner = repo.revenue_owners(wide)
    amount = _line.c.labor_amount + _line.c.parts_amount
    revenue = (
        select(
            owner.c.invitation_id,
            *[
                func.sum(case((_line.c.pay_type == pay, amount), else_=0)).label(pay)
                for pay in PAY_TYPES
            ],
        )
        .join(_line, _line.c.repair_order_id == owner.c.ro_id)
        .group_by(owner.c.invitation_id)
        .subquery("invitation_revenue")
    )
    keys = [wide.c.dealer_id, wide.c.period, wide.c.type, wide.c.segment, wide.c.suppressed_reason]
    session.execute(
        insert(_day).from_select(
            [
                "dealer_id",
                "due_date",
                "type",
                "segment",
                "suppressed_reason",
                "due",
                *STAGE_FLAGS,
                *[f"revenue_{pay}" for pay in PAY_TYPES],
            ],
            select(
                *keys,
                func.count(),
                *[func.sum(wide.c[f]) for f in STAGE_FLAGS],
                *[func.coalesce(func.sum(revenue.c[pay]), 0) for pay in PAY_TYPES],
            )
            .select_from(wide)
            .outerjoin(revenue, revenue.c.invitation_id == wide.c.invitation_id)
            .where(wide.c.period >= since, wide.c.period < until)
            .group_by(*keys),
        )
    )
    refresh_agent_days(session, dealer_id, since, until)
    written = session.execute(
        select(func.count()).where(
            _day.c.dealer_id == dealer_id, _day.c.due_date >= since, _day.c.due_date < until
        )
    ).scalar_one()
    return int(written)


def refresh_agent_days(session: Session, dealer_id: int, since: date, until: date) -> None:
    """Recompute ``report_agent_day`` of ``dealer_id`` for the local attempt days
    ``[since, until)`` in the caller's transaction (done by :func:`refresh_aggregates` for the
    same range of days as the funnel's due dates)."""
    session.execute(
        delete(_aday).where(
            _aday.c.dealer_id == dealer_id, _aday.c.day >= since, _aday.c.day < until
        )
    )
    days = ReportingRepository(session).agent_day_select(
        start=since, end=until, dealer_ids=None, dealer_id=dealer_id
    )
    session.execute(
        insert(_aday).from_select(
            [
                "agent_id",
                "dealer_id",
                "day",
                "attempts",
                "contacts",
                "bookings",
                "arrived",
                "handling_seconds",
                "span_seconds",
            ],
            days,
        )
    )


def agent_days_aggregated(
    session: Session,
    *,
    start: date,
    end: date,
    dealer_ids: DealerScope,
    dealer_id: int | None = None,
) -> list[dict[str, Any]]:
    """:meth:`ReportingRepository.agent_days` read from ``report_agent_day``."""
    conditions = [
        in_scope(_aday.c.dealer_id, dealer_ids),
        _aday.c.day >= start,
        _aday.c.day < end,
    ]
    if dealer_id is not None:
        conditions.append(_aday.c.dealer_id == dealer_id)
    days = select(_aday).where(*conditions).subquery("agent_days")
    return ReportingRepository(session).agent_day_dicts(days)


def due_date_range(session: Session, dealer_id: int) -> tuple[date, date] | None:
    """``[first, last + 1 day)`` of the dealer's invitation due dates and call-attempt days,
    or None without any (the attempt days widened by a day each side: local days)."""
    first, last = session.execute(
        select(func.min(_inv.c.due_date), func.max(_inv.c.due_date)).where(
            _inv.c.dealer_id == dealer_id
        )
    ).one()
    called_first, called_last = session.execute(
        select(func.min(_att.c.started_at), func.max(_att.c.started_at))
        .join(_task, _task.c.id == _att.c.call_task_id)
        .where(_task.c.dealer_id == dealer_id)
    ).one()
    bounds = [_as_date(v) for v in (first, last) if v is not None]
    bounds += [
        _as_date(v) + timedelta(days=d)
        for v, d in ((called_first, -1), (called_last, 1))
        if v is not None
    ]
    if not bounds:
        return None
    return min(bounds), max(bounds) + timedelta(days=1)


def rebuild_aggregates(
    engine: Engine,
    dealer_ids: Sequence[int],
    *,
    since: date | None = None,
    until: date | None = None,
    chunk_days: int = 92,
    progress: Callable[[int, date, date, int], None] | None = None,
) -> int:
    """Rebuild the aggregates of the dealers for ``[since, until)`` (default: each dealer's
    first to last due date), committing one transaction per dealer and chunk of ``chunk_days``
    due dates; ``progress(dealer_id, start, end, rows)`` after each. Returns the rows written."""
    total = 0
    for dealer_id in dealer_ids:
        with Session(engine) as session:
            bounds = due_date_range(session, dealer_id)
        if since is not None and until is not None:
            start, end = since, until
        elif bounds is None:
            continue
        else:
            start, end = since or bounds[0], until or bounds[1]
        chunk = start
        while chunk < end:
            chunk_end = min(end, chunk + timedelta(days=chunk_days))
            with Session(engine) as session:
                rows = refresh_aggregates(session, dealer_id, chunk, chunk_end)
                session.commit()
            total += rows
            if progress is not None:
                progress(dealer_id, chunk, chunk_end, rows)
            chunk = chunk_end
    return total


def refresh_recent(session: Session, dealer_id: int, today: date) -> int:
    """The nightly refresh: due dates from ``NIGHTLY_BACK_DAYS`` before ``today`` to
    ``NIGHTLY_AHEAD_DAYS`` after it."""
    return refresh_aggregates(
        session,
        dealer_id,
        today - timedelta(days=NIGHTLY_BACK_DAYS),
        today + timedelta(days=NIGHTLY_AHEAD_DAYS),
    )


def refresh_zone(session: Session, *, time_zone: str, today: date) -> int:
    """The nightly refresh of every dealer in ``time_zone`` (:func:`refresh_recent`)."""
    dealer_ids = session.execute(
        select(_dealer.c.id).where(_dealer.c.time_zone == time_zone).order_by(_dealer.c.id)
    ).scalars()
    return sum(refresh_recent(session, dealer_id, today) for dealer_id in list(dealer_ids))


# Reading ------------------------------------------------------------------------------------------


def funnel_rows_aggregated(
    session: Session,
    filters: FunnelFilter,
    *,
    group_by: Sequence[str],
    grain: str = "month",
    customers: bool = True,
    total: bool = False,
) -> list[FunnelRow]:
    """:meth:`ReportingRepository.funnel_rows` computed from the aggregate tables
    (``customers=False``: skip the distinct-customer counts, left at zero, the costly part;
    ``total=True``: also the row of the whole filter, ungrouped, with the key ``()``)."""
    for name in group_by:
        if name != "period" and name not in DIMENSIONS:
            raise ValueError(f"unknown dimension {name!r}")
    pg = session.get_bind().dialect.name == "postgresql"
    if total and group_by and not (pg and customers):
        # Two passes (SQLite has no GROUPING SETS; without customers both are cheap).
        return [
            *funnel_rows_aggregated(
                session, filters, group_by=group_by, grain=grain, customers=customers
            ),
            *funnel_rows_aggregated(
                session, filters, group_by=[], grain=grain, customers=customers
            ),
        ]
    with_group = "group" in group_by or filters.group_id is not None

    def joined(stmt: Any, table: Any) -> Any:
        if with_group:
            return stmt.join(_dealer, _dealer.c.id == table.c.dealer_id)
        return stmt

    def keys_of(table: Any) -> list[Any]:
        columns = {
            "period": PeriodStart(table.c.due_date, grain),
            "dealer": table.c.dealer_id,
            "group": _dealer.c.group_id,
            "type": table.c.type,
            "segment": table.c.segment,
        }
        return [columns[name].label(f"k{i}") for i, name in enumerate(group_by)]

    def where(table: Any) -> list[Any]:
        conditions = [
            in_scope(table.c.dealer_id, filters.dealer_ids),
            table.c.due_date >= filters.start,
            table.c.due_date < filters.end,
        ]
        if filters.dealer_id is not None:
            conditions.append(table.c.dealer_id == filters.dealer_id)
        if filters.group_id is not None:
            conditions.append(_dealer.c.group_id == filters.group_id)
        if filters.type is not None:
            conditions.append(table.c.type == filters.type)
        if filters.segment is not None:
            conditions.append(table.c.segment == filters.segment)
        return conditions

    def key_of(row: Any) -> tuple[Any, ...]:
        return tuple(
            _as_date(v) if n == "period" else v for n, v in zip(group_by, row, strict=False)
        )

    n = len(group_by)
    zero = dict.fromkeys(("due", *STAGE_FLAGS), 0)
    invitations: dict[tuple[Any, ...], dict[str, int]] = {}
    suppressed_inv: dict[tuple[Any, ...], dict[str, int]] = {}
    revenue: dict[tuple[Any, ...], dict[str, Decimal]] = {}
    keys = keys_of(_day)
    reason = _day.c.suppressed_reason
    for r in session.execute(
        select(
            *keys,
            reason,
            func.sum(_day.c.due),
            *[func.sum(_day.c[f]) for f in STAGE_FLAGS],
            *[func.sum(_day.c[f"revenue_{pay}"]) for pay in PAY_TYPES],
        )
        .select_from(joined(_day, _day))
        .where(*where(_day))
        .group_by(*keys, reason)
    ):
        key = key_of(r)
        counts = invitations.setdefault(key, dict(zero))
        for i, f in enumerate(("due", *STAGE_FLAGS)):
            counts[f] += int(r[n + 1 + i] or 0)
        if r[n] is not None:
            suppressed_inv.setdefault(key, {})[r[n]] = int(r[n + 1])
        money = revenue.setdefault(key, {})
        for i, pay in enumerate(PAY_TYPES):
            value = Decimal(str(r[n + 2 + len(STAGE_FLAGS) + i] or 0))
            money[pay] = (money.get(pay, Decimal(0)) + value).quantize(Decimal("0.01"))

    if total and n > 0:
        # The invitation figures of the total: sums of the same few day rows, ungrouped.
        for row in funnel_rows_aggregated(
            session, filters, group_by=[], grain=grain, customers=False
        ):
            invitations[()] = row.invitations
            if row.suppressed_invitations:
                suppressed_inv[()] = row.suppressed_invitations
            revenue[()] = row.revenue
    if not customers:
        return _rows(invitations, {}, suppressed_inv, {}, revenue)
    ckeys = keys_of(_cday)
    kexprs = [k.element for k in ckeys]  # the expressions under the k0… labels
    customer = _cday.c.customer_id
    # With the total, one pass over the customer rows gives both the groups and the total
    # (PostgreSQL GROUPING SETS); the total's key is () and grouping() tells the two apart.
    sets = total and n > 0
    if sets:
        marker = [func.grouping(*kexprs).label("g")]
        customer_groups = [func.grouping_sets(tuple_(*kexprs, customer), tuple_(customer))]
    else:
        marker, customer_groups = [], [*ckeys, customer]

    def key_or_total(r: Any, offset: int) -> tuple[Any, ...]:
        if sets and r[0] != 0:
            return ()
        return key_of(r[offset:])

    if pg:
        # The flags (0/1) packed into one integer, so a customer's row of the hash aggregate
        # keeps one bit_or instead of eight max() states: the same counts, less work.
        packed = reduce(operator.add, (_cday.c[f] * (1 << i) for i, f in enumerate(STAGE_FLAGS)))
        per_customer = (
            select(*marker, *ckeys, customer, func.bit_or(packed).label("bits"))
            .select_from(joined(_cday, _cday))
            .where(*where(_cday))
            .group_by(*customer_groups)
            .subquery("per_customer")
        )
        bits = per_customer.c.bits
        flag_sums = [
            func.sum(case((bits.op("&")(1 << i) != 0, 1), else_=0)) for i in range(len(STAGE_FLAGS))
        ]
    else:
        per_customer = (
            select(*ckeys, customer, *[func.max(_cday.c[f]).label(f) for f in STAGE_FLAGS])
            .select_from(joined(_cday, _cday))
            .where(*where(_cday))
            .group_by(*ckeys, customer)
            .subquery("per_customer")
        )
        flag_sums = [func.sum(per_customer.c[f]) for f in STAGE_FLAGS]
    pkeys = [per_customer.c[f"k{i}"] for i in range(n)]
    pmarker = [per_customer.c.g] if sets else []
    m = len(pmarker)
    by_customer = {
        key_or_total(r, m): {"due": int(r[m + n])}
        | {f: int(r[m + n + 1 + i] or 0) for i, f in enumerate(STAGE_FLAGS)}
        for r in session.execute(
            select(*pmarker, *pkeys, func.count(), *flag_sums).group_by(*pmarker, *pkeys)
        )
    }
    creason = _cday.c.suppressed_reason
    reason_groups = (
        [func.grouping_sets(tuple_(*kexprs, creason), tuple_(creason))]
        if sets
        else [*ckeys, creason]
    )
    suppressed_cus: dict[tuple[Any, ...], dict[str, int]] = {}
    for r in session.execute(
        select(*marker, *ckeys, creason, func.count(func.distinct(customer)))
        .select_from(joined(_cday, _cday))
        .where(*where(_cday), and_(creason.is_not(None)))
        .group_by(*reason_groups)
    ):
        suppressed_cus.setdefault(key_or_total(r, m), {})[r[m + n]] = int(r[m + n + 1])

    return _rows(invitations, by_customer, suppressed_inv, suppressed_cus, revenue)


def _rows(
    invitations: dict[tuple[Any, ...], dict[str, int]],
    customers: dict[tuple[Any, ...], dict[str, int]],
    suppressed_inv: dict[tuple[Any, ...], dict[str, int]],
    suppressed_cus: dict[tuple[Any, ...], dict[str, int]],
    revenue: dict[tuple[Any, ...], dict[str, Decimal]],
) -> list[FunnelRow]:
    zero = dict.fromkeys(("due", *STAGE_FLAGS), 0)
    out = [
        FunnelRow(
            key=key,
            invitations=counts,
            customers=customers.get(key, zero),
            suppressed_invitations=suppressed_inv.get(key, {}),
            suppressed_customers=suppressed_cus.get(key, {}),
            revenue=revenue.get(key, {}),
        )
        for key, counts in invitations.items()
    ]
    out.sort(key=lambda row: tuple(_sortable(v) for v in row.key))
    return out
