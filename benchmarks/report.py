"""Benchmark the service-funnel report (DESIGN §7: 1M invitations, 3M attempts, PostgreSQL).

    python benchmarks/report.py --invitations 1000000

1. Setup (not timed): a fresh scratch database ``retention_bench_report`` (``--db-name``) on
   127.0.0.1 (user postgres), migrated, then bulk-loaded server-side with ``INSERT … SELECT
   generate_series``: 20 dealers in 4 groups, 50 agents, N invitations due in 2025 (one vehicle
   each, two per customer; 5 % control, 10 % suppressed), a call task per targeted invitation
   with 3 or 4 attempts (about 3 per invitation), bookings for a fifth of them (80 % arrived,
   with an RO) and organic ROs for a seventh; then ``ANALYZE``.
2. Aggregates (timed separately, not part of the report timings): the daily funnel and agent
   aggregates rebuilt for every dealer as ``retention report rebuild`` does
   (``app.reporting.aggregates.rebuild_aggregates``, one transaction per dealer and chunk),
   including the distinct customers per dealer and calendar month / quarter / year
   (``report_funnel_period``; ``report_funnel_shared_customer`` stays empty here: every bench
   customer has all its invitations at one dealer).
3. Measure: the funnel report exactly as the API builds it (periods, total, previous period,
   uplift per type: ``app.reporting.service.funnel_report``, reading the aggregates; ``--source
   raw`` for the raw-table queries), warm, median of 3 runs:
   * ``dealer_quarter_ms``: one dealer, 2025-Q2, by month;
   * ``all_year_ms``: every dealer, 2025, by month and dealer;
   * ``agents_ms``: the agent KPI report (``agents_report``), every dealer, 2025, by month,
     from ``report_agent_day`` (``--source raw``: from the call attempts).

The last stdout line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1/postgres"
PG_NAME = "retention_bench_report"
DEALERS = 20
AGENTS = 50

LOAD = """
INSERT INTO dealer_group (id, name, settings)
  SELECT g, 'Group ' || g, '{{}}' FROM generate_series(1, 4) g;
INSERT INTO dealer (id, code, name, group_id, country, time_zone, locale, distance_unit, currency,
                    workshop_capacity_per_day, settings)
  SELECT d, 'D' || d, 'Dealer ' || d, (d % 4) + 1, 'CZ', 'Europe/Prague', 'cs', 'km', 'CZK',
         20, '{{}}'
  FROM generate_series(1, {dealers}) d;
INSERT INTO app_user (id, email, display_name, role, language)
  SELECT a, 'agent' || a || '@bench.test', 'Agent ' || a, 'agent', 'en'
  FROM generate_series(1, {agents}) a;
INSERT INTO disposition (id, group_id, code, label, contact_made, final, booked, dnc, bad_number,
                         callback, ends_ownership, counts_as_attempt, sort_order)
  SELECT (g - 1) * 3 + k, g, c.code, c.code, c.contact, c.booked, c.booked, false, false, false,
         false, true, k
  FROM generate_series(1, 4) g,
       (VALUES (1, 'no_answer', false, false), (2, 'declined', true, false),
               (3, 'booked', true, true)) AS c(k, code, contact, booked);
INSERT INTO customer (id, group_id, dealer_id, source, external_id, status, value_segment)
  SELECT c, ((c % {dealers}) + 1) % 4 + 1, (c % {dealers}) + 1, 'bench', 'C' || c, 'active',
         (ARRAY['vip', 'high', 'standard', 'standard', 'low'])[(c % 5) + 1]
  FROM generate_series(1, ({n} + 1) / 2) c;
INSERT INTO vehicle (id, vin, dealer_id, make, model, fuel, status)
  SELECT i, lpad(i::text, 17, '0'), ((((i + 1) / 2) % {dealers}) + 1), 'Skoda', 'Octavia',
         'petrol', 'active'
  FROM generate_series(1, {n}) i;
CREATE TEMP TABLE bench_inv AS
  SELECT i, (i + 1) / 2 AS customer_id, (((i + 1) / 2) % {dealers}) + 1 AS dealer_id,
         DATE '2025-01-01' + ((i::bigint * 7919) % 365)::int AS due_date,
         (i::bigint * 48271 % 2147483647) % 100 AS h
  FROM generate_series(1, {n}) i;
ALTER TABLE bench_inv ADD COLUMN control boolean, ADD COLUMN suppressed boolean;
UPDATE bench_inv SET control = h < 5, suppressed = h BETWEEN 5 AND 14;
INSERT INTO call_task (id, dealer_id, customer_id, status, priority, primary_type, purpose,
                       attempts)
  SELECT i, dealer_id, customer_id, 'closed', 60, 'next_service', 'service_reminder', 3
  FROM bench_inv WHERE NOT control AND NOT suppressed;
INSERT INTO invitation (id, dedup_key, dealer_id, vehicle_id, customer_id, type, due_date,
                        opens_date, expires_date, priority, status, suppression_reason,
                        is_control, explanation, explanation_params, computed_on, call_task_id)
  SELECT i, 'bench:' || i, dealer_id, i, customer_id,
         (ARRAY['next_service', 'next_service', 'warranty_expiry', 'lapsed'])[(i % 4) + 1],
         due_date, due_date - 30, due_date + 90, 60,
         CASE WHEN control THEN 'control' WHEN suppressed THEN 'suppressed' ELSE 'closed' END,
         CASE WHEN suppressed AND NOT control
              THEN (ARRAY['do_not_call', 'sold', 'recent_visit'])[(i % 3) + 1] END,
         control, 'bench', '{{}}', due_date - 30,
         CASE WHEN NOT control AND NOT suppressed THEN i END
  FROM bench_inv;
INSERT INTO call_attempt (call_task_id, agent_id, disposition_id, started_at, ended_at, purpose,
                          legal_basis)
  SELECT b.i, (b.i % {agents}) + 1,
         ((b.dealer_id % 4)) * 3 + CASE
             WHEN k = 3 + (b.i % 2) AND b.h BETWEEN 15 AND 34 THEN 3
             WHEN k = 3 + (b.i % 2) AND b.h BETWEEN 35 AND 54 THEN 2
             ELSE 1 END,
         (b.due_date - 10 + k)::timestamp + interval '8 hours'
           + ((b.i % 480) * interval '1 minute'),
         (b.due_date - 10 + k)::timestamp + interval '8 hours'
           + ((b.i % 480) * interval '1 minute') + ((30 + b.i % 200) * interval '1 second'),
         'service_reminder', 'legitimate_interest'
  FROM bench_inv b, generate_series(1, 4) k
  WHERE NOT b.control AND NOT b.suppressed AND k <= 3 + (b.i % 2);
INSERT INTO appointment (id, dealer_id, vehicle_id, customer_id, slot_start, duration_minutes,
                         service_types, status, origin, call_task_id, created_at, updated_at)
  SELECT i, dealer_id, i, customer_id, (due_date + 5)::timestamp + interval '8 hours', 60, '[]',
         CASE WHEN i % 25 < 20 THEN 'arrived' ELSE 'no_show' END, 'call', i,
         (due_date - 7)::timestamp + interval '9 hours', now()
  FROM bench_inv WHERE h BETWEEN 15 AND 34;
INSERT INTO repair_order (id, source, external_id, dealer_id, vehicle_id, customer_id,
                          opened_date, appointment_id)
  SELECT i, 'bench', 'RO' || i, dealer_id, i, customer_id, due_date + 5,
         CASE WHEN h BETWEEN 15 AND 34 AND i % 25 < 20 THEN i END
  FROM bench_inv
  WHERE (h BETWEEN 15 AND 34 AND i % 25 < 20) OR i % 7 = 3;
INSERT INTO repair_order_line (repair_order_id, line_no, pay_type, service_kind, labor_amount,
                               parts_amount)
  SELECT id, 1, (ARRAY['customer_pay', 'customer_pay', 'warranty', 'internal'])[(id % 4) + 1],
         'maintenance', 100 + id % 300, 50 + id % 100
  FROM repair_order;
"""

SEQUENCES = (
    "dealer_group",
    "dealer",
    "app_user",
    "disposition",
    "customer",
    "vehicle",
    "call_task",
    "invitation",
    "appointment",
    "repair_order",
)


def database_url() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1/{PG_NAME}"


def setup(invitations: int) -> None:
    from sqlalchemy import create_engine, text

    from app.migrations import upgrade_to_head

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
    admin.dispose()
    upgrade_to_head(database_url())
    engine = create_engine(database_url())
    started = time.perf_counter()
    script = LOAD.format(n=invitations, dealers=DEALERS, agents=AGENTS)
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        for statement in script.split(";\n"):
            if statement.strip():
                raw.execute(statement)
        for table in SEQUENCES:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
        attempts = conn.exec_driver_sql("SELECT count(*) FROM call_attempt").scalar_one()
    engine.dispose()
    print(
        f"setup: {invitations} invitations, {attempts} attempts in "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )


def build_aggregates(chunk_days: int) -> dict[str, Any]:
    from sqlalchemy import text

    from app.db import build_engine
    from app.reporting.aggregates import rebuild_aggregates

    engine = build_engine(database_url())
    started = time.perf_counter()

    def progress(dealer_id: int, first: date, last: date, rows: int) -> None:
        print(f"aggregates: dealer {dealer_id} {first}..{last}: {rows} rows", file=sys.stderr)

    rows = rebuild_aggregates(
        engine, list(range(1, DEALERS + 1)), chunk_days=chunk_days, progress=progress
    )
    seconds = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE report_funnel_day"))
        conn.execute(text("ANALYZE report_funnel_customer_day"))
        conn.execute(text("ANALYZE report_funnel_period"))
        conn.execute(text("ANALYZE report_funnel_shared_customer"))
        customer_rows = conn.execute(
            text("SELECT count(*) FROM report_funnel_customer_day")
        ).scalar_one()
        period_rows = conn.execute(text("SELECT count(*) FROM report_funnel_period")).scalar_one()
        shared_rows = conn.execute(
            text("SELECT count(*) FROM report_funnel_shared_customer")
        ).scalar_one()
    engine.dispose()
    print(
        f"aggregates: {rows} day rows, {customer_rows} customer rows, {period_rows} period rows, "
        f"{shared_rows} shared-customer rows in {seconds:.1f} s",
        file=sys.stderr,
    )
    return {
        "aggregates_build_s": round(seconds, 1),
        "aggregate_day_rows": rows,
        "aggregate_customer_rows": customer_rows,
        "aggregate_period_rows": period_rows,
        "aggregate_shared_rows": shared_rows,
    }


def measure(runs: int, source: str) -> dict[str, Any]:
    from sqlmodel import Session

    from app.db import build_engine
    from app.reporting import service as reporting_service
    from reports import Grain

    engine = build_engine(database_url())

    def timed(**kwargs: Any) -> tuple[float, dict[str, Any]]:
        times = []
        data: dict[str, Any] = {}
        for _ in range(runs + 1):  # the first run warms the cache
            with Session(engine) as session:
                started = time.perf_counter()
                data = reporting_service.funnel_report(session, **kwargs, source=source).data
                times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times[1:]), data

    quarter_ms, quarter = timed(
        start=date(2025, 4, 1),
        end=date(2025, 7, 1),
        grain=Grain.MONTH,
        dealer="D1",
        dealer_ids=None,
    )
    year_ms, year = timed(
        start=date(2025, 1, 1),
        end=date(2026, 1, 1),
        grain=Grain.MONTH,
        dimension="dealer",
        dealer_ids=None,
    )
    agent_times = []
    agents: dict[str, Any] = {}
    for _ in range(runs + 1):  # the agent KPI report (raw attempts), all dealers, 2025 by month
        with Session(engine) as session:
            started = time.perf_counter()
            agents = reporting_service.agents_report(
                session,
                start=date(2025, 1, 1),
                end=date(2026, 1, 1),
                grain=Grain.MONTH,
                dealer_ids=None,
                source=source,
            ).data
            agent_times.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return {
        "dealer_quarter_ms": round(quarter_ms, 1),
        "all_year_ms": round(year_ms, 1),
        "agents_ms": round(statistics.median(agent_times[1:]), 1),
        "agents_attempts": agents["team"]["attempts"],
        "dealer_quarter_due": quarter["total"]["invitations"]["due"],
        "all_year_due": year["total"]["invitations"]["due"],
        "all_year_attempted": year["total"]["invitations"]["attempted"],
        "all_year_arrived": year["total"]["invitations"]["arrived"],
    }


def main() -> None:
    global PG_NAME
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invitations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-setup", action="store_true", help="reuse the loaded database")
    parser.add_argument("--db-name", default=PG_NAME, help="scratch PostgreSQL database name")
    parser.add_argument(
        "--skip-aggregates", action="store_true", help="reuse the aggregates already built"
    )
    parser.add_argument("--chunk-days", type=int, default=366, help="due dates per rebuild step")
    parser.add_argument("--source", choices=["aggregates", "raw"], default="aggregates")
    args = parser.parse_args()
    PG_NAME = args.db_name
    if not args.skip_setup:
        setup(args.invitations)
    built: dict[str, Any] = {}
    if args.source == "aggregates" and not args.skip_aggregates:
        built = build_aggregates(args.chunk_days)
    result = {
        "invitations": args.invitations,
        "db": "postgresql",
        "source": args.source,
        **built,
        **measure(args.runs, args.source),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
