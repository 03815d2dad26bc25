"""The daily funnel aggregates (``app.reporting.models``): how they are filled and read.

Filling (``refresh_aggregates``): for one dealer and a range of due dates, the rows of those days
are deleted and inserted again with ``INSERT … SELECT`` over the raw stage query
(``ReportingRepository.invitation_stages`` at day grain), in the caller's transaction. The
revenue of an RO goes to its owner among *all* the dealer's invitations of the same vehicle
(``FunnelFilter.vehicles_of_cohort``), so refreshing a few days never counts an RO that an
invitation outside those days owns, and the sum of two ranges equals the range that covers both.

The same refresh recomputes the stored periods (calendar months, quarters and years) that
overlap those due dates, whole, from ``report_funnel_customer_day`` (``refresh_periods``): the
dealer's distinct-customer counts in ``report_funnel_period`` and, in
``report_funnel_shared_customer``, the rows of the customers the refresh touched who have
invitations at two or more dealers in a period.

Reading (``funnel_rows_aggregated``): the same :class:`FunnelRow` s as the raw
``ReportingRepository.funnel_rows``: invitation counts, suppressed counts and revenue are sums
of ``report_funnel_day``. Distinct customers come from ``report_funnel_period`` when each group
is one stored period (the report's months or quarters over a range aligned to them; a total
over exactly one month, quarter or year): the sum of the dealers' counts minus, for each shared
customer, what that sum counted more than once (``stored_customer_rows``). Other ranges take,
per customer and group, the maximum of each flag of ``report_funnel_customer_day`` and count.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce
from typing import Any

from sqlalchemy import (
    Engine,
    String,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    true,
    tuple_,
    union,
)
from sqlmodel import Session

from app.models import CallAttempt, CallTask, Dealer, Invitation, RepairOrderLine
from app.reporting.models import (
    ALL,
    ReportAgentDay,
    ReportFunnelCustomerDay,
    ReportFunnelDay,
    ReportFunnelPeriod,
    ReportFunnelSharedCustomer,
)
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
from reports import add_months

_day = ReportFunnelDay.__table__  # type: ignore[attr-defined]
_cday = ReportFunnelCustomerDay.__table__  # type: ignore[attr-defined]
_aday = ReportAgentDay.__table__  # type: ignore[attr-defined]
_per = ReportFunnelPeriod.__table__  # type: ignore[attr-defined]
_shared = ReportFunnelSharedCustomer.__table__  # type: ignore[attr-defined]
_dealer = Dealer.__table__  # type: ignore[attr-defined]
_inv = Invitation.__table__  # type: ignore[attr-defined]
_task = CallTask.__table__  # type: ignore[attr-defined]
_att = CallAttempt.__table__  # type: ignore[attr-defined]
_line = RepairOrderLine.__table__  # type: ignore[attr-defined]

PAY_TYPES = ("customer_pay", "warranty", "internal")

STORED_GRAINS = {"month": 1, "quarter": 3, "year": 12}
"""The calendar periods whose distinct-customer counts are stored, with their length in months."""

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
    refresh_periods(session, dealer_id, since, until)
    written = session.execute(
        select(func.count()).where(
            _day.c.dealer_id == dealer_id, _day.c.due_date >= since, _day.c.due_date < until
        )
    ).scalar_one()
    return int(written)


def period_floor(day: date, grain: str) -> date:
    """The first day of the stored period of ``grain`` (``STORED_GRAINS``) holding ``day``."""
    months = STORED_GRAINS[grain]
    return date(day.year, (day.month - 1) // months * months + 1, 1)


def stored_grain_of(start: date, end: date) -> str | None:
    """The stored grain of which ``[start, end)`` is exactly one period, if any."""
    for grain, months in STORED_GRAINS.items():
        if period_floor(start, grain) == start and add_months(start, months) == end:
            return grain
    return None


def is_aligned(start: date, end: date, grain: str) -> bool:
    """Whether ``[start, end)`` is a whole number of stored periods of ``grain``."""
    return (
        grain in STORED_GRAINS
        and period_floor(start, grain) == start
        and period_floor(end, grain) == end
    )


def refresh_periods(session: Session, dealer_id: int, since: date, until: date) -> None:
    """Recompute, from ``report_funnel_customer_day``, the stored periods of ``dealer_id`` that
    overlap the due dates ``[since, until)`` (whole months, quarters and years), in the caller's
    transaction (done by :func:`refresh_aggregates` after the days)."""
    if since >= until:
        return
    for grain, months in STORED_GRAINS.items():
        first = period_floor(since, grain)
        last = add_months(period_floor(until - timedelta(days=1), grain), months)
        _refresh_period_counts(session, dealer_id, grain, first, last)
        _refresh_shared_customers(session, dealer_id, grain, first, last)


def _refresh_period_counts(
    session: Session, dealer_id: int, grain: str, first: date, last: date
) -> None:
    session.execute(
        delete(_per).where(
            _per.c.grain == grain,
            _per.c.period_start >= first,
            _per.c.period_start < last,
            _per.c.dealer_id == dealer_id,
        )
    )
    c = _cday.c
    period = PeriodStart(c.due_date, grain).label("period_start")
    every = literal_column(f"'{ALL}'", String)
    # Each combination of (one type or all) × (one segment or all) × (all customers or those
    # suppressed for one reason): per customer the maximum of each flag, then counted.
    for by_type, by_segment, by_reason in itertools.product((False, True), repeat=3):
        keys = [
            (c.type if by_type else every).label("type"),
            (c.segment if by_segment else every).label("segment"),
            (c.suppressed_reason if by_reason else every).label("suppressed_reason"),
        ]
        grouped = [
            period.element,
            *[
                k.element
                for k, on in zip(keys, (by_type, by_segment, by_reason), strict=True)
                if on
            ],
        ]
        per_customer = (
            select(period, *keys, c.customer_id, *[func.max(c[f]).label(f) for f in STAGE_FLAGS])
            .where(
                c.dealer_id == dealer_id,
                c.due_date >= first,
                c.due_date < last,
                c.suppressed_reason.is_not(None) if by_reason else true(),
            )
            .group_by(*grouped, c.customer_id)
            .subquery("per_customer")
        )
        p = per_customer.c
        session.execute(
            insert(_per).from_select(
                [
                    "dealer_id",
                    "grain",
                    "period_start",
                    "type",
                    "segment",
                    "suppressed_reason",
                    "due",
                    *STAGE_FLAGS,
                ],
                select(
                    literal(dealer_id),
                    literal(grain, String),
                    p.period_start,
                    p.type,
                    p.segment,
                    p.suppressed_reason,
                    func.count(),
                    *[func.sum(p[f]) for f in STAGE_FLAGS],
                ).group_by(p.period_start, p.type, p.segment, p.suppressed_reason),
            )
        )


def _refresh_shared_customers(
    session: Session, dealer_id: int, grain: str, first: date, last: date
) -> None:
    """Keep ``report_funnel_shared_customer`` exact for the customers whose rows the refresh of
    ``dealer_id`` may have changed: those of its new day rows (when they have rows at another
    dealer in the range) and those it shared before."""
    c, sh = _cday.c, _shared.c
    in_range = [c.due_date >= first, c.due_date < last]
    shared_in_range = [sh.grain == grain, sh.period_start >= first, sh.period_start < last]
    # The dealer's customers with rows at another dealer too (the others cannot be shared), and
    # those the dealer shared before (they may still be, elsewhere). LIMIT keeps the lookup one
    # index probe per customer: as an EXISTS, PostgreSQL hashes every other dealer's rows.
    other = _cday.alias("other")
    elsewhere = (
        select(other.c.id)
        .where(
            other.c.customer_id == c.customer_id,
            other.c.due_date >= first,
            other.c.due_date < last,
            other.c.dealer_id != dealer_id,
        )
        .limit(1)
        .scalar_subquery()
        .is_not(None)
    )
    touched = union(
        select(c.customer_id).where(c.dealer_id == dealer_id, *in_range, elsewhere),
        select(sh.customer_id).where(sh.dealer_id == dealer_id, *shared_in_range),
    )
    period = PeriodStart(c.due_date, grain)
    several = (
        select(period.label("period_start"), c.customer_id)
        .where(*in_range, c.customer_id.in_(touched))
        .group_by(period, c.customer_id)
        .having(func.count(func.distinct(c.dealer_id)) > 1)
        .subquery("several_dealers")
    )
    keys = [c.dealer_id, period, c.type, c.segment, c.suppressed_reason, c.customer_id]

    def rows(*where: Any) -> Any:
        return (
            select(literal(grain, String), *keys, *[func.max(c[f]) for f in STAGE_FLAGS])
            .join(
                several,
                and_(several.c.customer_id == c.customer_id, several.c.period_start == period),
            )
            .where(*in_range, *where)
            .group_by(*keys)
        )

    columns = [
        "grain",
        "dealer_id",
        "period_start",
        "type",
        "segment",
        "suppressed_reason",
        "customer_id",
        *STAGE_FLAGS,
    ]
    # The other dealers' rows of the touched customers first, while this dealer's old rows
    # still name the customers it shared before; then this dealer's own rows.
    session.execute(
        delete(_shared).where(
            *shared_in_range, sh.dealer_id != dealer_id, sh.customer_id.in_(touched)
        )
    )
    session.execute(insert(_shared).from_select(columns, rows(c.dealer_id != dealer_id)))
    session.execute(delete(_shared).where(*shared_in_range, sh.dealer_id == dealer_id))
    session.execute(insert(_shared).from_select(columns, rows(c.dealer_id == dealer_id)))


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
    stored = stored_customer_rows(session, filters, group_by=group_by, grain=grain)
    if stored is not None and total and n > 0:
        whole = stored_customer_rows(session, filters, group_by=[], grain=grain)
        stored = None if whole is None else (stored[0] | whole[0], stored[1] | whole[1])
    if stored is not None:
        return _rows(invitations, stored[0], suppressed_inv, stored[1], revenue)
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


def stored_customer_rows(
    session: Session, filters: FunnelFilter, *, group_by: Sequence[str], grain: str
) -> tuple[dict[tuple[Any, ...], dict[str, int]], dict[tuple[Any, ...], dict[str, int]]] | None:
    """The distinct-customer figures of :func:`funnel_rows_aggregated` (per group: the customer
    counts, and the suppressed customers per reason) from ``report_funnel_period``, or None when
    a group would not be one stored period: grouped by period, the report's ``grain`` must be a
    month or quarter and the range aligned to it; otherwise the range must be exactly one month,
    quarter or year.

    Per group, the dealers' stored counts are added up; a customer with invitations at several
    of those dealers (``report_funnel_shared_customer``) was counted once per dealer, and per
    stage once per dealer where they reached it, so the excess is subtracted: (dealers − 1) for
    ``due`` and per reason, (sum − maximum of the per-dealer flags) per stage."""
    if "period" in group_by:
        stored_grain = grain if is_aligned(filters.start, filters.end, grain) else None
        if grain == "year":
            stored_grain = None  # not a report grain
    else:
        stored_grain = stored_grain_of(filters.start, filters.end)
    if stored_grain is None or filters.vehicles_of_cohort:
        return None
    with_group = "group" in group_by or filters.group_id is not None

    def keys_and_where(table: Any, *, stored: bool) -> tuple[list[Any], list[Any], Any]:
        t = table.c
        source = table.join(_dealer, _dealer.c.id == t.dealer_id) if with_group else table
        columns = {
            "period": t.period_start,
            "dealer": t.dealer_id,
            "group": _dealer.c.group_id,
            "type": t.type,
            "segment": t.segment,
        }
        keys = [columns[name].label(f"k{i}") for i, name in enumerate(group_by)]
        where = [
            t.grain == stored_grain,
            t.period_start >= filters.start,
            t.period_start < filters.end,
            in_scope(t.dealer_id, filters.dealer_ids),
        ]
        if filters.dealer_id is not None:
            where.append(t.dealer_id == filters.dealer_id)
        if filters.group_id is not None:
            where.append(_dealer.c.group_id == filters.group_id)
        for name, value in (("type", filters.type), ("segment", filters.segment)):
            if value is not None:
                where.append(t[name] == value)
            elif stored:  # the rows of every value, or of each value when grouped by it
                where.append(t[name] != ALL if name in group_by else t[name] == ALL)
        return keys, where, source

    if not _periods_complete(session, filters, stored_grain):
        return None
    n = len(group_by)

    def key_of(row: Any) -> tuple[Any, ...]:
        return tuple(
            _as_date(v) if name == "period" else v for name, v in zip(group_by, row, strict=False)
        )

    counted = ("due", *STAGE_FLAGS)
    customers: dict[tuple[Any, ...], dict[str, int]] = {}
    suppressed: dict[tuple[Any, ...], dict[str, int]] = {}
    keys, where, source = keys_and_where(_per, stored=True)
    reason = _per.c.suppressed_reason
    for r in session.execute(
        select(*keys, reason, *[func.sum(_per.c[f]) for f in counted])
        .select_from(source)
        .where(*where)
        .group_by(*[k.element for k in keys], reason)
    ):
        if r[n] == ALL:
            customers[key_of(r)] = {f: int(r[n + 1 + i] or 0) for i, f in enumerate(counted)}
        else:
            suppressed.setdefault(key_of(r), {})[r[n]] = int(r[n + 1] or 0)

    one_dealer_per_group = (
        filters.dealer_id is not None
        or "dealer" in group_by
        or (filters.dealer_ids is not None and len(filters.dealer_ids) <= 1)
    )
    if one_dealer_per_group:  # nothing was counted twice
        return customers, suppressed
    # What the sums counted more than once: the shared customers, per dealer and then overall.
    keys, where, source = keys_and_where(_shared, stored=False)
    sh = _shared.c
    per_dealer = (
        select(*keys, sh.customer_id, *[func.max(sh[f]).label(f) for f in STAGE_FLAGS])
        .select_from(source)
        .where(*where)
        .group_by(*[k.element for k in keys], sh.customer_id, sh.dealer_id)
        .subquery("per_dealer")
    )
    pkeys = [per_dealer.c[f"k{i}"] for i in range(n)]
    per_customer = (
        select(
            *pkeys,
            (func.count() - 1).label("due"),
            *[
                (func.sum(per_dealer.c[f]) - func.max(per_dealer.c[f])).label(f)
                for f in STAGE_FLAGS
            ],
        )
        .group_by(*pkeys, per_dealer.c.customer_id)
        .subquery("excess")
    )
    ekeys = [per_customer.c[f"k{i}"] for i in range(n)]
    for r in session.execute(
        select(*ekeys, *[func.sum(per_customer.c[f]) for f in counted]).group_by(*ekeys)
    ):
        excess = [int(v or 0) for v in r[n:]]
        if any(excess):  # (without any shared customer, the total's one row is all NULL)
            row = customers[key_of(r)]
            for f, x in zip(counted, excess, strict=True):
                row[f] -= x
    per_reason = (
        select(
            *keys,
            sh.suppressed_reason,
            (func.count(func.distinct(sh.dealer_id)) - 1).label("excess"),
        )
        .select_from(source)
        .where(*where, sh.suppressed_reason.is_not(None))
        .group_by(*[k.element for k in keys], sh.suppressed_reason, sh.customer_id)
        .subquery("excess_per_reason")
    )
    rkeys = [per_reason.c[f"k{i}"] for i in range(n)]
    for r in session.execute(
        select(*rkeys, per_reason.c.suppressed_reason, func.sum(per_reason.c.excess)).group_by(
            *rkeys, per_reason.c.suppressed_reason
        )
    ):
        suppressed[key_of(r)][r[n]] -= int(r[n + 1] or 0)
    return customers, suppressed


def _periods_complete(session: Session, filters: FunnelFilter, grain: str) -> bool:
    """Whether every dealer and period of ``grain`` with day rows in the filter has its stored
    counts (not so before ``retention report rebuild`` has run after migration 0013)."""
    period = PeriodStart(_day.c.due_date, grain)
    conditions = [
        in_scope(_day.c.dealer_id, filters.dealer_ids),
        _day.c.due_date >= filters.start,
        _day.c.due_date < filters.end,
    ]
    if filters.dealer_id is not None:
        conditions.append(_day.c.dealer_id == filters.dealer_id)
    source = _day
    if filters.group_id is not None:
        source = _day.join(_dealer, _dealer.c.id == _day.c.dealer_id)
        conditions.append(_dealer.c.group_id == filters.group_id)
    days = (
        select(_day.c.dealer_id, period.label("period_start"))
        .select_from(source)
        .where(*conditions)
        .distinct()
        .subquery("day_periods")
    )
    stored = (
        select(_per.c.id)
        .where(
            _per.c.grain == grain,
            _per.c.period_start == days.c.period_start,
            _per.c.dealer_id == days.c.dealer_id,
            _per.c.type == ALL,
            _per.c.segment == ALL,
            _per.c.suppressed_reason == ALL,
        )
        .exists()
    )
    missing = session.execute(select(func.count()).select_from(days).where(~stored)).scalar_one()
    return int(missing) == 0


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
