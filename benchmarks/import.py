"""Bulk import benchmark: repair orders posted through the HTTP bulk endpoint into PostgreSQL.

    python benchmarks/import.py --ros 200000

Creates a scratch PostgreSQL database (``--db-name``, dropped and recreated on 127.0.0.1),
migrates it, loads the dealer and its vehicles and customers (not timed), starts the API with
uvicorn on a loopback port, then times ``POST /api/v1/import`` of ``--ros`` repair orders (two
lines each) in requests of ``--batch`` (at most 5,000, the bulk limit) sent ``--concurrency`` at a
time with a dealer's ``import:write`` API key. It then posts the same requests again and sums the
rows they changed (inserted + updated + deleted), which must be 0. The last line on stdout is one
JSON object with ``ros``, ``seconds``, ``ros_per_s`` and ``reimport_rows_changed``, and, when the
database runs on this machine, the CPU time per 1,000 ROs of the API processes and of the
database's client backends (from ``/proc``; a shared machine's load does not inflate them as it
does the wall-clock figures), with the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app.audit import SYSTEM  # noqa: E402
from app.auth import service as auth_service  # noqa: E402
from app.auth.models import ApiScope  # noqa: E402
from app.dataset.service import import_dataset  # noqa: E402
from app.db import build_engine, session_scope  # noqa: E402
from app.migrations import upgrade_to_head  # noqa: E402
from app.model_base import utcnow  # noqa: E402
from app.models import Dealer  # noqa: E402

VEHICLES_PER_RO = 0.25  # four visits per vehicle
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def _fresh_postgresql(server: str, name: str) -> str:
    with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://{server}/{name}"


def _vin(n: int) -> str:
    # European WMI (no check digit enforced): TMB + 14 characters derived from n.
    tail = ""
    for _ in range(8):
        n, r = divmod(n, len(VIN_CHARS))
        tail = VIN_CHARS[r] + tail
    return "TMBJJ7NE8L" + tail[-7:]


def _seed(url: str, vehicles: int) -> str:
    """The dealer, vehicles and customers; returns an import:write API key."""
    engine = build_engine(url)
    doc: dict[str, Any] = {
        "source": "bench-dms",
        "dealers": [
            {
                "code": "BENCH1",
                "name": "Bench Motors",
                "group": "Bench",
                "country": "CZ",
                "time_zone": "Europe/Prague",
                "locale": "cs",
                "currency": "CZK",
            }
        ],
    }
    with session_scope(engine) as session:
        import_dataset(session, doc)
        for start in range(0, vehicles, 5000):
            block = range(start, min(vehicles, start + 5000))
            import_dataset(
                session,
                {
                    "source": "bench-dms",
                    "customers": [{"external_id": f"C-{n}", "dealer": "BENCH1"} for n in block],
                    "vehicles": [
                        {"vin": _vin(n), "dealer": "BENCH1", "make": "Skoda", "model": "Octavia"}
                        for n in block
                    ],
                },
            )
        dealer_id = session.execute(select(Dealer.id).where(Dealer.code == "BENCH1")).scalar_one()
        _, secret = auth_service.create_api_key(
            session,
            dealer_id=dealer_id,
            name="bench",
            scopes=[ApiScope.IMPORT_WRITE],
            actor=SYSTEM,
            dealer_ids=None,
            now=utcnow(),
        )
    engine.dispose()
    return secret


def _bodies(ros: int, vehicles: int, batch: int) -> list[bytes]:
    start = date(2020, 1, 1)
    bodies = []
    for first in range(0, ros, batch):
        orders = []
        for n in range(first, min(ros, first + batch)):
            v = n % vehicles
            visit = n // vehicles
            opened = start + timedelta(days=200 * visit + v % 150)
            orders.append(
                {
                    "external_id": f"RO-{n}",
                    "dealer": "BENCH1",
                    "vin": _vin(v),
                    "customer": f"C-{v}",
                    "opened_date": opened.isoformat(),
                    "closed_date": opened.isoformat(),
                    "odometer_in": 15_000 * (visit + 1) + v % 1000,
                    "lines": [
                        {
                            "op_code": "SRV-A",
                            "pay_type": "customer_pay",
                            "labor_amount": "2400.00",
                            "parts_amount": "1850.00",
                            "service_kind": "maintenance",
                        },
                        {
                            "op_code": "TYRE",
                            "pay_type": "customer_pay",
                            "labor_amount": "300.00",
                            "service_kind": "tyres",
                        },
                    ],
                }
            )
        bodies.append(json.dumps({"source": "bench-dms", "repair_orders": orders}).encode())
    return bodies


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_pids(master: int) -> list[int]:
    """The uvicorn master and its worker processes."""
    pids = [master]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid == master:
                pids.append(int(entry))
    return pids


class CpuMeter:
    """CPU seconds used by the API processes and the database's client backends between
    ``start()`` and ``stop()``; ``None`` for the database when its processes are not visible
    here (a remote server)."""

    def __init__(self, server: int, dsn: str, db_name: str) -> None:
        self.server, self.dsn, self.db_name = server, dsn, db_name
        self._before: dict[int, float] = {}
        self._db_before: dict[int, float] = {}

    def _backends(self) -> list[int]:
        with psycopg.connect(self.dsn, autocommit=True) as db:
            rows = db.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                (self.db_name,),
            ).fetchall()
        return [int(r[0]) for r in rows]

    def start(self) -> None:
        self._before = {p: _cpu_seconds(p) for p in _server_pids(self.server)}
        self._db_before = {p: _cpu_seconds(p) for p in self._backends()}

    def stop(self) -> tuple[float, float | None]:
        server = sum(_cpu_seconds(p) - self._before.get(p, 0.0) for p in _server_pids(self.server))
        backends = self._backends()
        if not all(os.path.exists(f"/proc/{p}") for p in backends):
            return server, None
        db = sum(_cpu_seconds(p) - self._db_before.get(p, 0.0) for p in backends)
        return server, db


def _post_all(base: str, key: str, bodies: list[bytes], concurrency: int) -> tuple[float, int]:
    """(seconds, rows changed) of posting every body."""

    def post(body: bytes) -> int:
        with httpx.Client(timeout=600) as client:
            r = client.post(
                f"{base}/api/v1/import",
                content=body,
                headers={"X-API-Key": key, "Content-Type": "application/json"},
            )
        if r.status_code != 200:
            raise SystemExit(f"import failed: HTTP {r.status_code}: {r.text[:500]}")
        sections = r.json()["sections"].values()
        return sum(s["inserted"] + s["updated"] + s["deleted"] for s in sections)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        changed = sum(pool.map(post, bodies))
    return time.perf_counter() - started, changed


def _per_1000(cpu_seconds: float | None, ros: int) -> float | None:
    return None if cpu_seconds is None else round(cpu_seconds * 1000 / ros * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ros", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--server", default="postgres@127.0.0.1")
    parser.add_argument("--db-name", default="retention_bench_import")
    args = parser.parse_args()
    if not 1 <= args.batch <= 5000:
        parser.error("--batch must be 1..5000 (the bulk limit)")

    url = _fresh_postgresql(args.server, args.db_name)
    upgrade_to_head(url)
    vehicles = max(1, int(args.ros * VEHICLES_PER_RO))
    print(f"seeding {vehicles} vehicles...", file=sys.stderr)
    key = _seed(url, vehicles)
    # A live database has planner statistics; a scratch one just filled has none (without them
    # PostgreSQL filters the key lookups instead of using the unique indexes).
    with psycopg.connect(f"postgresql://{args.server}/{args.db_name}", autocommit=True) as db:
        db.execute("ANALYZE")
    bodies = _bodies(args.ros, vehicles, args.batch)

    port = _free_port()
    env = {
        **os.environ,
        "RETENTION_DATABASE_URL": url,
        "RETENTION_ENVIRONMENT": "development",
        # A bulk load is many requests a minute; the per-key import limit is a deployment setting.
        "RETENTION_IMPORT_LIMIT_PER_MINUTE": "100000",
        "RETENTION_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        meter = CpuMeter(server.pid, f"postgresql://{args.server}/{args.db_name}", args.db_name)
        print(f"posting {args.ros} ROs in {len(bodies)} requests...", file=sys.stderr)
        load = os.getloadavg()[0]
        meter.start()
        seconds, written = _post_all(base, key, bodies, args.concurrency)
        first_cpu = meter.stop()
        print(f"first pass {seconds:.2f}s ({written} rows); re-importing...", file=sys.stderr)
        reimport_load = os.getloadavg()[0]
        meter.start()
        reimport_seconds, changed = _post_all(base, key, bodies, args.concurrency)
        reimport_cpu = meter.stop()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        json.dumps(
            {
                "ros": args.ros,
                "lines_per_ro": 2,
                "batch": args.batch,
                "concurrency": args.concurrency,
                "workers": args.workers,
                "rows_written": written,
                "seconds": round(seconds, 3),
                "ros_per_s": round(args.ros / seconds),
                "reimport_seconds": round(reimport_seconds, 3),
                "reimport_ros_per_s": round(args.ros / reimport_seconds),
                "reimport_rows_changed": changed,
                "load_avg_1m": [round(load, 2), round(reimport_load, 2)],
                "server_cpu_ms_per_1000_ros": [
                    _per_1000(first_cpu[0], args.ros),
                    _per_1000(reimport_cpu[0], args.ros),
                ],
                "db_cpu_ms_per_1000_ros": [
                    _per_1000(first_cpu[1], args.ros),
                    _per_1000(reimport_cpu[1], args.ros),
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
