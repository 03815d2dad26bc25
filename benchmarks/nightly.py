"""Benchmark the nightly run (DESIGN §7) against one bare read of the same inputs.

    python benchmarks/nightly.py --vehicles 100000 --db sqlite
    python benchmarks/nightly.py --vehicles 1000000 --db postgresql --workers 2

1. Setup (not timed, in its own process): a fresh scratch database named by ``--db-name`` (default
   ``wtn_nightly_bench``; SQLite: ``var/<name>.sqlite3``; PostgreSQL: that database on 127.0.0.1,
   user postgres), migrated, filled by the demo generator.
2. Measure (in a second process, so its memory is the run's alone):
   * ``input_read_seconds``: the statements the run uses to read the engine's inputs, without the
     chunking, per dealer (vehicles, ownerships, warranties, repair orders with the service flag
     aggregated in SQL, odometer readings, recalls, appointments, the owners with the valid-phone
     flag and the owners' visits on other vehicles) plus the customer-pay revenue per group —
     PostgreSQL ``COPY (SELECT ...) TO STDOUT``, SQLite a plain fetch of every row;
   * ``seconds``: the full nightly run of every dealer (value segments, invitations, call tasks);
   * the run again for the same date: ``rerun_rows_written`` must be 0;
   * ``peak_rss_mb``: the largest sum of the resident memory of this process and its worker
     processes, sampled every 100 ms;
   * ``cpu_seconds`` (the run's CPU time, this process and its workers; ``main_cpu_seconds`` this
     process alone; ``cpu_us_per_vehicle``) and ``load_average``: on a shared machine the wall
     clock also measures the neighbours. Earlier versions counted this process only (the workers'
     CPU was missed).

The last stdout line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = date(2026, 11, 20)
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1/postgres"
DEFAULT_NAME = "wtn_nightly_bench"
NAME = DEFAULT_NAME  # the scratch database (``--db-name``)


def sqlite_path() -> Path:
    return ROOT / "var" / f"{NAME}.sqlite3"


def database_url(db: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{sqlite_path()}"
    return f"postgresql+psycopg://postgres@127.0.0.1/{NAME}"


def setup(db: str, vehicles: int, seed: int) -> None:
    from sqlalchemy import create_engine, text

    from app.db import build_engine
    from app.demo.generator import load_demo
    from app.migrations import upgrade_to_head

    url = database_url(db)
    if db == "sqlite":
        path = sqlite_path()
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{NAME}"'))
        admin.dispose()
    upgrade_to_head(url)
    engine = build_engine(url)
    started = time.perf_counter()
    summary = load_demo(engine, vehicles=vehicles, seed=seed, as_of=AS_OF)
    engine.dispose()
    print(
        f"setup: {summary.vehicles} vehicles, {summary.repair_orders} repair orders in "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )


def reset(db: str) -> None:
    """Forget a previous run's results, so that a reused database is measured like a fresh one."""
    from sqlalchemy import text

    from app.db import build_engine

    engine = build_engine(database_url(db))
    with engine.begin() as conn:
        for table in ("invitation", "call_task", "nightly_run"):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("UPDATE customer SET value_segment = 'standard'"))
    engine.dispose()


class MemorySampler(threading.Thread):
    """Peak of (this process + its descendants) resident memory, from /proc, and the CPU time of
    the descendants (the evaluation workers are children of the forkserver process, which is
    never reaped while this process runs, so ``RUSAGE_CHILDREN`` does not see them)."""

    TICKS = os.sysconf("SC_CLK_TCK")
    PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.cpu_ticks: dict[int, int] = {}  # last seen utime + stime of each descendant
        self.running = True

    @staticmethod
    def _descendants(root: int) -> list[int]:
        """Walks ``/proc/<pid>/task/<tid>/children`` down from ``root``: a few files, where a scan
        of every process on the machine cost about 12 ms of this process's CPU per sample."""
        found: list[int] = []
        stack = [root]
        while stack:
            pid = stack.pop()
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                try:
                    with open(f"/proc/{pid}/task/{tid}/children") as handle:
                        children = [int(c) for c in handle.read().split()]
                except OSError:
                    continue
                found += children
                stack += children
        return found

    def _sample(self, root: int) -> int:
        total = 0
        for pid in [root, *self._descendants(root)]:
            try:
                with open(f"/proc/{pid}/stat") as handle:
                    stat = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(stat[21]) * self.PAGE_KB  # rss in pages (field 24)
            if pid != root:
                ticks = int(stat[11]) + int(stat[12])  # utime, stime (fields 14 and 15)
                self.cpu_ticks[pid] = max(self.cpu_ticks.get(pid, 0), ticks)
        return total

    def descendants_cpu_seconds(self) -> float:
        return sum(self.cpu_ticks.values()) / self.TICKS

    def run(self) -> None:
        root = os.getpid()
        while self.running:
            self.peak_kb = max(self.peak_kb, self._sample(root))
            time.sleep(0.1)


def bare_read(url: str) -> tuple[float, int]:
    """Seconds and rows (SQLite) or bytes (PostgreSQL) of one bare read of the run's inputs."""
    from sqlmodel import Session

    from app.db import build_engine
    from app.invitation.repository import InvitationRepository
    from invitations import add_months

    engine = build_engine(url)
    dialect = engine.dialect
    with Session(engine) as session:
        repo = InvitationRepository(session)
        dealers = repo.dealers()
        statements: list[Any] = []
        for dealer in dealers:
            statements += repo.chunk_input_statements(
                dealer_id=dealer.id, lo=0, hi=2**31 - 1, today=AS_OF
            ).values()
        groups = sorted({d.group_id for d in dealers})
        revenue = [
            repo.customer_pay_revenue_statement(
                group_id=g, since=add_months(AS_OF, -24), today=AS_OF
            )
            for g in groups
        ]
    sqls = [
        str(s.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        for s in statements + revenue
    ]
    raw = engine.raw_connection()
    volume = 0
    started = time.perf_counter()
    try:
        cursor = raw.cursor()
        for sql in sqls:
            if dialect.name == "postgresql":
                with cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:  # type: ignore[attr-defined]
                    for block in copy:
                        volume += len(block)
            else:
                volume += len(cursor.execute(sql).fetchall())
        elapsed = time.perf_counter() - started
    finally:
        raw.close()
        engine.dispose()
    return elapsed, volume


def _own_cpu_seconds() -> float:
    """User + system CPU of this process (reading, writing, call tasks, value segments)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime


def measure(db: str, vehicles: int, workers: int) -> dict[str, Any]:
    from sqlmodel import Session

    from app.db import build_engine
    from app.invitation import service as invitation_service

    url = database_url(db)
    input_seconds, volume = bare_read(url)
    engine = build_engine(url)
    sampler = MemorySampler()
    sampler.start()
    cpu_before = _own_cpu_seconds()
    started = time.perf_counter()
    with Session(engine) as session:
        first = invitation_service.run_nightly(session, as_of=AS_OF, workers=workers)
    seconds = time.perf_counter() - started
    main_cpu_seconds = _own_cpu_seconds() - cpu_before
    sampler.running = False
    sampler.join()
    cpu_seconds = main_cpu_seconds + sampler.descendants_cpu_seconds()
    started = time.perf_counter()
    with Session(engine) as session:
        second = invitation_service.run_nightly(session, as_of=AS_OF, workers=workers)
    rerun_seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "vehicles": sum(s.vehicles for s in first),
        "requested_vehicles": vehicles,
        "db": db,
        "workers": workers,
        "seconds": round(seconds, 2),
        "input_read_seconds": round(input_seconds, 2),
        "input_read_volume": volume,
        "ratio": round(seconds / input_seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "main_cpu_seconds": round(main_cpu_seconds, 2),
        "cpu_us_per_vehicle": round(cpu_seconds / max(sum(s.vehicles for s in first), 1) * 1e6),
        "load_average": round(os.getloadavg()[0], 2),
        "peak_rss_mb": round(sampler.peak_kb / 1024, 1),
        "rows_written": sum(s.rows_written for s in first),
        "invitations": sum(s.invitations_inserted for s in first),
        "call_tasks": sum(s.tasks_inserted for s in first),
        "rerun_seconds": round(rerun_seconds, 2),
        "rerun_rows_written": sum(s.rows_written for s in second),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="evaluation processes")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--db-name",
        default=DEFAULT_NAME,
        help="scratch database (PostgreSQL database, or var/<name>.sqlite3); dropped by the setup",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="skip the setup (the scratch database exists)"
    )
    parser.add_argument("--phase", choices=("all", "setup", "reset", "measure"), default="all")
    args = parser.parse_args()
    global NAME
    NAME = args.db_name
    if args.phase == "setup":
        setup(args.db, args.vehicles, args.seed)
        return
    if args.phase == "reset":
        reset(args.db)
        return
    if args.phase == "measure":
        print(json.dumps(measure(args.db, args.vehicles, args.workers)))
        return
    common = [
        f"--vehicles={args.vehicles}",
        f"--db={args.db}",
        f"--seed={args.seed}",
        f"--db-name={args.db_name}",
    ]
    phase = "--phase=reset" if args.reuse else "--phase=setup"
    subprocess.run([sys.executable, __file__, phase, *common], check=True)
    result = subprocess.run(
        [sys.executable, __file__, "--phase=measure", f"--workers={args.workers}", *common],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    print(result.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
