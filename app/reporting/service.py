"""The reports: counts from the repository, figures from the pure ``reports`` package.

Each report is returned as a :class:`Report`: ``data`` (the JSON document of the API and of
``--format json``) and ``tables`` (the same figures as flat tables for CSV and XLSX). Every figure
is defined in ``docs/reports.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from app import audit
from app.audit import Actor
from app.db import begin_write_after_reads
from app.errors import BadRequest, NotFound
from app.reporting import aggregates
from app.reporting.aggregates import agent_days_aggregated, funnel_rows_aggregated
from app.reporting.repository import DIMENSIONS, FunnelFilter, FunnelRow, ReportingRepository
from app.security.principal import DealerScope
from reports import (
    AgentActivity,
    CountUnit,
    DateRange,
    FunnelCounts,
    FunnelPair,
    Grain,
    Proportion,
    RecallCampaignCounts,
    RetentionCohort,
    Revenue,
    agent_kpis,
    combine_agent_activity,
    compare_funnels,
    funnel_kpis,
    orphan_share,
    period_containing,
    previous_period,
    previous_range,
    reactivation_rate,
    recall_completion,
    retention,
    uplift_for_funnel,
)
from reports.funnel import CountChange, MoneyChange, RateChange

LAPSED_MONTHS = 12
MAX_RANGE_DAYS = 3 * 366


@dataclass(frozen=True, slots=True)
class Table:
    """A flat table: the sheet of an XLSX export, or the body of a CSV export."""

    name: str
    columns: list[str]
    rows: list[list[Any]]
    chart: tuple[str, list[str]] | None = None
    """(category column, value columns) of a bar chart, if the table has one."""


@dataclass(frozen=True, slots=True)
class Report:
    data: dict[str, Any]
    tables: list[Table] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Dealer:
    id: int
    code: str
    group_id: int


def _check_range(start: date, end: date) -> None:
    if end <= start:
        raise BadRequest("to: must be after from (the range is [from, to), to excluded)")
    if (end - start).days > MAX_RANGE_DAYS:
        raise BadRequest(f"to: a report covers at most {MAX_RANGE_DAYS} days")


def _dealers(repo: ReportingRepository, dealer_ids: DealerScope) -> dict[int, _Dealer]:
    return {d[0]: _Dealer(id=d[0], code=d[1], group_id=d[2]) for d in repo.dealers(dealer_ids)}


def _dealer_named(dealers: dict[int, _Dealer], code: str | None) -> int | None:
    if code is None:
        return None
    for d in dealers.values():
        if d.code == code:
            return d.id
    raise NotFound(f"dealer: no dealer {code!r} among yours")


# Serialisation helpers ----------------------------------------------------------------------------


def _rate(p: Proportion) -> dict[str, Any]:
    interval = p.interval
    return {
        "successes": p.successes,
        "trials": p.trials,
        "rate": p.rate,
        "lower": None if interval is None else interval.lower,
        "upper": None if interval is None else interval.upper,
    }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.01")))


def _counts(row: FunnelRow | None, unit: CountUnit) -> FunnelCounts:
    if row is None:
        return FunnelCounts(unit=unit, due=0, targeted=0)
    if unit is CountUnit.INVITATIONS:
        counts, suppressed = row.invitations, row.suppressed_invitations
        revenue = Revenue(
            customer_pay=row.revenue.get("customer_pay", Decimal(0)),
            warranty=row.revenue.get("warranty", Decimal(0)),
            internal=row.revenue.get("internal", Decimal(0)),
        )
    else:
        counts, suppressed = row.customers, row.suppressed_customers
        revenue = Revenue()
    return FunnelCounts(
        unit=unit,
        due=counts["due"],
        suppressed=suppressed,
        control=counts["control"],
        control_arrived=counts["control_arrived"],
        targeted=counts["targeted"],
        attempted=counts["attempted"],
        reached=counts["reached"],
        booked=counts["booked"],
        arrived=counts["arrived"],
        arrived_from_booking=counts["arrived_from_booking"],
        revenue=revenue,
    )


def _pair(row: FunnelRow | None) -> FunnelPair:
    return FunnelPair(
        invitations=_counts(row, CountUnit.INVITATIONS),
        customers=_counts(row, CountUnit.CUSTOMERS),
    )


_STAGES = (
    "due",
    "control",
    "control_arrived",
    "targeted",
    "attempted",
    "reached",
    "booked",
    "arrived",
    "arrived_from_booking",
)
_RATES = (
    "suppression_rate",
    "attempt_rate",
    "reach_rate",
    "booking_rate",
    "show_rate",
    "conversion_rate",
    "control_arrival_rate",
)


def _funnel_json(counts: FunnelCounts) -> dict[str, Any]:
    kpis = funnel_kpis(counts)
    out: dict[str, Any] = {name: getattr(counts, name) for name in _STAGES}
    out["suppressed"] = counts.suppressed_total
    out["suppressed_by_reason"] = dict(counts.suppressed)
    out["rates"] = {name: _rate(getattr(kpis, name)) for name in _RATES}
    if counts.unit is CountUnit.INVITATIONS:
        out["revenue"] = {
            "customer_pay": _money(counts.revenue.customer_pay),
            "warranty": _money(counts.revenue.warranty),
            "internal": _money(counts.revenue.internal),
            "total": _money(counts.revenue.total),
            "per_targeted": _money(kpis.revenue_per_targeted),
            "per_arrived": _money(kpis.revenue_per_arrived),
        }
    return out


def _pair_json(pair: FunnelPair) -> dict[str, Any]:
    return {
        "invitations": _funnel_json(pair.invitations),
        "customers": _funnel_json(pair.customers),
    }


def _change(change: CountChange | RateChange | MoneyChange) -> dict[str, Any]:
    if isinstance(change, CountChange):
        return {
            "current": change.current,
            "previous": change.previous,
            "change": change.absolute,
            "relative": change.relative,
        }
    if isinstance(change, RateChange):
        interval = change.interval
        return {
            "current": change.current.rate,
            "previous": change.previous.rate,
            "change": change.absolute,
            "relative": change.relative,
            "lower": None if interval is None else interval.lower,
            "upper": None if interval is None else interval.upper,
            "significant": change.significant,
        }
    return {
        "current": _money(change.current),
        "previous": _money(change.previous),
        "change": _money(change.absolute),
        "relative": None if change.relative is None else float(change.relative),
    }


def _previous(start: date, end: date) -> DateRange:
    """The previous calendar period when ``[start, end)`` is one (2026-Q1 → 2025-Q4, the year
    2025 → the year 2024 whatever its length), else the same number of days just before."""
    if start.month == start.day == 1 and end == start.replace(year=start.year + 1):
        return DateRange(start=start.replace(year=start.year - 1), end=start)
    for grain in (Grain.QUARTER, Grain.MONTH, Grain.WEEK, Grain.DAY):
        period = period_containing(start, grain)
        if period.start == start and period.end == end:
            return previous_period(period).range
    return previous_range(DateRange(start=start, end=end))


# Funnel -------------------------------------------------------------------------------------------


def funnel_report(
    session: Session,
    *,
    start: date,
    end: date,
    grain: Grain = Grain.MONTH,
    dimension: str | None = None,
    dealer: str | None = None,
    type: str | None = None,
    segment: str | None = None,
    dealer_ids: DealerScope,
    source: str = "aggregates",
) -> Report:
    """The funnel of the invitations due in ``[start, end)``: per period (and dimension value),
    the total, the comparison with the previous range of the same length, and uplift per type.

    ``source``: ``"aggregates"`` (the daily aggregate tables, kept by the nightly run and
    ``retention report rebuild``) or ``"raw"`` (the same figures straight from the raw tables)."""
    _check_range(start, end)
    if source not in ("aggregates", "raw"):
        raise ValueError(f"unknown source {source!r}")
    if dimension is not None and dimension not in DIMENSIONS:
        raise BadRequest(f"dimension: must be one of {', '.join(DIMENSIONS)}")
    repo = ReportingRepository(session)
    dealers = _dealers(repo, dealer_ids)
    groups = {d[2]: d[3] for d in repo.dealers(dealer_ids)}

    def filters(s: date, e: date) -> FunnelFilter:
        return FunnelFilter(
            start=s,
            end=e,
            dealer_ids=dealer_ids,
            dealer_id=_dealer_named(dealers, dealer),
            type=type,
            segment=segment,
        )

    def label(dim: str, value: Any) -> Any:
        if dim == "dealer":
            return dealers[value].code if value in dealers else value
        if dim == "group":
            return groups.get(value, value)
        return value

    def funnel_rows(
        f: FunnelFilter, *, group_by: list[str], grain: str, customers: bool = True
    ) -> list[FunnelRow]:
        if source == "raw":
            return repo.funnel_rows(f, group_by=group_by, grain=grain)
        return funnel_rows_aggregated(
            session, f, group_by=group_by, grain=grain, customers=customers
        )

    group_by = ["period"] + ([dimension] if dimension else [])
    if source == "raw":
        rows = funnel_rows(filters(start, end), group_by=group_by, grain=grain.value)
        total_rows = funnel_rows(filters(start, end), group_by=[], grain=grain.value)
    else:  # the periods and the total in one pass over the customer rows
        both = funnel_rows_aggregated(
            session, filters(start, end), group_by=group_by, grain=grain.value, total=True
        )
        rows = [r for r in both if r.key != ()]
        total_rows = [r for r in both if r.key == ()]
    before = _previous(start, end)
    previous_rows = funnel_rows(filters(before.start, before.end), group_by=[], grain=grain.value)
    # Uplift is counted in invitations only: no distinct customers needed per type.
    by_type = funnel_rows(
        filters(start, end), group_by=["type"], grain=grain.value, customers=False
    )

    current = _pair(total_rows[0] if total_rows else None)
    previous = _pair(previous_rows[0] if previous_rows else None)
    comparison = compare_funnels(current.invitations, previous.invitations)
    periods = []
    for row in rows:
        period = period_containing(row.key[0], grain)
        item: dict[str, Any] = {"period": period.label, "period_start": period.start.isoformat()}
        if dimension:
            item[dimension] = label(dimension, row.key[1])
        item |= _pair_json(_pair(row))
        periods.append(item)
    uplifts = []
    for row in by_type:
        result = uplift_for_funnel(_counts(row, CountUnit.INVITATIONS))
        interval = result.interval
        uplifts.append(
            {
                "type": row.key[0],
                "targeted": _rate(result.targeted),
                "control": _rate(result.control),
                "uplift": result.estimate,
                "lower": None if interval is None else interval.lower,
                "upper": None if interval is None else interval.upper,
                "significant": result.significant,
                "incremental_arrivals": result.incremental_arrivals,
            }
        )
    data = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "grain": grain.value,
        "dimension": dimension,
        "periods": periods,
        "total": _pair_json(current),
        "previous": {
            "from": before.start.isoformat(),
            "to": before.end.isoformat(),
            **_pair_json(previous),
        },
        "comparison": {
            name: _change(getattr(comparison, name)) for name in comparison.__dataclass_fields__
        },
        "uplift": uplifts,
    }
    return Report(data=data, tables=_funnel_tables(data))


def _funnel_tables(data: dict[str, Any]) -> list[Table]:
    dimension = data["dimension"]
    lead = ["period"] + ([dimension] if dimension else [])
    stages = ["due", "suppressed", "control", "targeted", "attempted", "reached", "booked"]
    stages += ["arrived", "arrived_from_booking", "control_arrived"]
    columns = lead + stages + [f"customers_{s}" for s in stages] + list(_RATES)
    columns += ["revenue_customer_pay", "revenue_warranty", "revenue_internal", "revenue_total"]
    columns += ["revenue_per_targeted", "revenue_per_arrived"]
    rows = []
    suppressed_rows = []
    for item in data["periods"]:
        inv, cus = item["invitations"], item["customers"]
        rev = inv["revenue"]
        rows.append(
            [item[c] for c in lead]
            + [inv[s] for s in stages]
            + [cus[s] for s in stages]
            + [inv["rates"][r]["rate"] for r in _RATES]
            + [_dec(rev[k]) for k in ("customer_pay", "warranty", "internal", "total")]
            + [_dec(rev["per_targeted"]), _dec(rev["per_arrived"])]
        )
        for reason, n in inv["suppressed_by_reason"].items():
            suppressed_rows.append(
                [item[c] for c in lead] + [reason, n, cus["suppressed_by_reason"].get(reason, 0)]
            )
    uplift_rows = [
        [
            u["type"],
            u["targeted"]["trials"],
            u["targeted"]["successes"],
            u["targeted"]["rate"],
            u["control"]["trials"],
            u["control"]["successes"],
            u["control"]["rate"],
            u["uplift"],
            u["lower"],
            u["upper"],
            u["significant"],
        ]
        for u in data["uplift"]
    ]
    comparison_rows = [
        [name, c["current"], c["previous"], c["change"], c["relative"]]
        for name, c in data["comparison"].items()
    ]
    return [
        Table(
            "Funnel", columns, rows, chart=("period", ["targeted", "reached", "booked", "arrived"])
        ),
        Table(
            "Suppressed",
            lead + ["reason", "invitations", "customers"],
            suppressed_rows,
        ),
        Table(
            "Uplift",
            [
                "type",
                "targeted",
                "targeted_arrived",
                "targeted_rate",
                "control",
                "control_arrived",
                "control_rate",
                "uplift",
                "lower",
                "upper",
                "significant",
            ],
            uplift_rows,
        ),
        Table(
            "Comparison",
            ["figure", "current", "previous", "change", "relative"],
            [
                [r[0]] + [_dec(v) if isinstance(v, str) else v for v in r[1:]]
                for r in comparison_rows
            ],
        ),
    ]


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


# Agents -------------------------------------------------------------------------------------------


def agents_report(
    session: Session,
    *,
    start: date,
    end: date,
    grain: Grain = Grain.MONTH,
    dealer: str | None = None,
    dealer_ids: DealerScope,
    source: str = "aggregates",
) -> Report:
    """Agent KPIs per period, per agent over the range, and for the team.

    ``source``: ``"aggregates"`` (``report_agent_day``, kept by the nightly run and
    ``retention report rebuild``) or ``"raw"`` (the same figures from the call attempts)."""
    _check_range(start, end)
    if source not in ("aggregates", "raw"):
        raise ValueError(f"unknown source {source!r}")
    repo = ReportingRepository(session)
    dealers = _dealers(repo, dealer_ids)
    read = repo.agent_days if source == "raw" else partial(agent_days_aggregated, session)
    days = read(
        start=start, end=end, dealer_ids=dealer_ids, dealer_id=_dealer_named(dealers, dealer)
    )
    per_period: dict[tuple[date, int], list[AgentActivity]] = {}
    per_agent: dict[int, list[AgentActivity]] = {}
    names: dict[int, str] = {}
    period_start: dict[date, date] = {}
    for d in days:
        activity = AgentActivity(
            attempts=d["attempts"],
            contacts=min(d["contacts"], d["attempts"]),
            bookings=d["bookings"],
            arrived=d["arrived"],
            handling_seconds=d["handling_seconds"],
            logged_seconds=d["span_seconds"],
        )
        names[d["agent_id"]] = d["agent"]
        start_of = period_start.get(d["day"])
        if start_of is None:  # one lookup per distinct day, not per agent-day row
            start_of = period_start[d["day"]] = period_containing(d["day"], grain).start
        per_period.setdefault((start_of, d["agent_id"]), []).append(activity)
        per_agent.setdefault(d["agent_id"], []).append(activity)

    def item(activity: AgentActivity) -> dict[str, Any]:
        kpis = agent_kpis(activity)
        return {
            "attempts": activity.attempts,
            "contacts": activity.contacts,
            "bookings": activity.bookings,
            "arrived": activity.arrived,
            "handling_seconds": activity.handling_seconds,
            "logged_seconds": activity.logged_seconds,
            "attempts_per_hour": kpis.attempts_per_hour,
            "reach_rate": _rate(kpis.reach_rate),
            "booking_rate": _rate(kpis.booking_rate),
            "show_rate": _rate(kpis.show_rate),
            "average_handling_seconds": kpis.average_handling_seconds,
        }

    periods = [
        {
            "period": period_containing(s, grain).label,
            "agent_id": agent,
            "agent": names[agent],
            **item(combine_agent_activity(acts)),
        }
        for (s, agent), acts in sorted(per_period.items())
    ]
    agents = [
        {"agent_id": a, "agent": names[a], **item(combine_agent_activity(acts))}
        for a, acts in sorted(per_agent.items())
    ]
    team = item(combine_agent_activity(a for acts in per_agent.values() for a in acts))
    data = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "grain": grain.value,
        "periods": periods,
        "agents": agents,
        "team": team,
    }
    columns = ["attempts", "contacts", "bookings", "arrived", "handling_seconds", "logged_seconds"]
    kpi_columns = ["attempts_per_hour", "reach_rate", "booking_rate", "show_rate"]
    kpi_columns.append("average_handling_seconds")

    def flat(entry: dict[str, Any]) -> list[Any]:
        return [entry[c] for c in columns] + [
            entry[k]["rate"] if isinstance(entry[k], dict) else entry[k] for k in kpi_columns
        ]

    tables = [
        Table(
            "Agents",
            ["agent"] + columns + kpi_columns,
            [[a["agent"], *flat(a)] for a in agents],
            chart=("agent", ["attempts", "contacts", "bookings"]),
        ),
        Table(
            "Periods",
            ["period", "agent"] + columns + kpi_columns,
            [[p["period"], p["agent"], *flat(p)] for p in periods],
        ),
    ]
    return Report(data=data, tables=tables)


# Retention ----------------------------------------------------------------------------------------


def retention_report(
    session: Session,
    *,
    start: date,
    end: date,
    dealer: str | None = None,
    dealer_ids: DealerScope,
) -> Report:
    """Per dealer: orphan share on the range's last day, 12/24-month retention of the customers
    served in the range, and the reactivation of the customers lapsed at its start."""
    _check_range(start, end)
    repo = ReportingRepository(session)
    dealers = _dealers(repo, dealer_ids)
    chosen = _dealer_named(dealers, dealer)
    as_of = DateRange(start=start, end=end).last_day
    assert as_of is not None
    orphans = repo.orphan_counts(as_of=as_of, dealer_ids=dealer_ids)
    cohorts = repo.retention_counts(start=start, end=end, dealer_ids=dealer_ids)
    lapsed = repo.reactivation_counts(
        start=start, end=end, lapsed_months=LAPSED_MONTHS, dealer_ids=dealer_ids
    )
    rows: list[dict[str, Any]] = []
    for d in sorted(dealers.values(), key=lambda x: x.code):
        if chosen is not None and d.id != chosen:
            continue
        active, orphaned = orphans.get(d.id, (0, 0))
        cohort, back12, back24 = cohorts.get(d.id, (0, 0, 0))
        was_lapsed, reactivated = lapsed.get(d.id, (0, 0))
        kpis = retention(
            RetentionCohort(cohort=cohort, retained_12_months=back12, retained_24_months=back24)
        )
        rows.append(
            {
                "dealer": d.code,
                "as_of": as_of.isoformat(),
                "active_vehicles": active,
                "orphan_vehicles": orphaned,
                "orphan_share": _rate(
                    orphan_share(active_vehicles=active, without_visit_12_months=orphaned)
                ),
                "cohort_customers": cohort,
                "retained_12_months": back12,
                "retained_24_months": back24,
                "retention_12_months": _rate(kpis.retention_12_months),
                "retention_24_months": _rate(kpis.retention_24_months),
                "lapsed_customers": was_lapsed,
                "reactivated_customers": reactivated,
                "reactivation_rate": _rate(
                    reactivation_rate(lapsed=was_lapsed, reactivated=reactivated)
                ),
            }
        )
    data = {"from": start.isoformat(), "to": end.isoformat(), "dealers": rows}
    columns = [
        "dealer",
        "active_vehicles",
        "orphan_vehicles",
        "orphan_share",
        "cohort_customers",
        "retained_12_months",
        "retained_24_months",
        "retention_12_months",
        "retention_24_months",
        "lapsed_customers",
        "reactivated_customers",
        "reactivation_rate",
    ]
    table = Table(
        "Retention",
        columns,
        [[r[c]["rate"] if isinstance(r[c], dict) else r[c] for c in columns] for r in rows],
        chart=("dealer", ["orphan_share", "retention_12_months", "retention_24_months"]),
    )
    return Report(data=data, tables=[table])


# Recalls ------------------------------------------------------------------------------------------


def recalls_report(
    session: Session, *, dealer: str | None = None, dealer_ids: DealerScope
) -> Report:
    """Per dealer and recall campaign: vehicles by status and the completion rate."""
    repo = ReportingRepository(session)
    dealers = _dealers(repo, dealer_ids)
    chosen = _dealer_named(dealers, dealer)
    rows: list[dict[str, Any]] = []
    for dealer_id, code, title, counts in repo.recall_counts(dealer_ids=dealer_ids):
        if chosen is not None and dealer_id != chosen:
            continue
        campaign = RecallCampaignCounts(
            campaign=code,
            open=counts.get("open", 0),
            completed_here=counts.get("completed_here", 0),
            completed_elsewhere=counts.get("completed_elsewhere", 0),
            not_applicable=counts.get("not_applicable", 0),
        )
        done = recall_completion(campaign)
        rows.append(
            {
                "dealer": dealers[dealer_id].code,
                "campaign": code,
                "title": title,
                "open": campaign.open,
                "completed_here": campaign.completed_here,
                "completed_elsewhere": campaign.completed_elsewhere,
                "not_applicable": campaign.not_applicable,
                "population": campaign.population,
                "completion_rate": _rate(done.completion_rate),
                "completed_here_share": _rate(done.completed_here_share),
            }
        )
    rows.sort(key=lambda r: (r["dealer"], r["campaign"]))
    columns = list(rows[0]) if rows else ["dealer", "campaign"]
    table = Table(
        "Recalls",
        columns,
        [[r[c]["rate"] if isinstance(r[c], dict) else r[c] for c in columns] for r in rows],
    )
    return Report(data={"campaigns": rows}, tables=[table])


def record_export(session: Session, *, name: str, fmt: str, report: Report, actor: Actor) -> None:
    """Audit an export (DESIGN §8: exports are in the audit log)."""
    begin_write_after_reads(session)
    audit.record(
        session,
        actor=actor,
        action="report.export",
        object_type="report",
        object_id=name,
        after={"format": fmt, "rows": len(report.tables[0].rows) if report.tables else 0},
    )
    session.commit()


def rebuild_aggregates(
    engine: Engine,
    *,
    dealer: str | None,
    since: date | None,
    until: date | None,
    actor: Actor,
    progress: Callable[[int, date, date, int], None] | None = None,
) -> int:
    """Rebuild the daily funnel aggregates of one dealer (by code) or all, audited."""
    with Session(engine) as session:
        dealers = _dealers(ReportingRepository(session), None)
        ids = [_dealer_named(dealers, dealer)] if dealer is not None else sorted(dealers)
    written = aggregates.rebuild_aggregates(
        engine,
        [i for i in ids if i is not None],
        since=since,
        until=until,
        progress=progress,
    )
    with Session(engine) as session:
        audit.record(
            session,
            actor=actor,
            action="report.rebuild",
            object_type="report",
            object_id="funnel_aggregates",
            after={
                "dealer": dealer,
                "from": None if since is None else since.isoformat(),
                "to": None if until is None else until.isoformat(),
                "rows": written,
            },
        )
        session.commit()
    return written
