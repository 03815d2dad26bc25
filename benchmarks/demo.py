"""Demo-data loader benchmark: how fast ``load_demo`` fills a fresh database.

    python benchmarks/demo.py --vehicles 1000000 --db postgresql
    python benchmarks/demo.py --vehicles 100000 --db sqlite

Creates a scratch database (PostgreSQL: ``retention_bench_demo`` on 127.0.0.1, dropped and
recreated; SQLite: ``var/bench_demo.sqlite3``), migrates it with Alembic, times ``load_demo`` and
prints progress to stderr and, as the last line on stdout, one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import Engine  # noqa: E402

from app.db import build_engine  # noqa: E402
from app.demo.generator import load_demo  # noqa: E402

PG_DATABASE = "retention_bench_demo"


def _fresh_postgresql(server: str) -> str:
    with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {PG_DATABASE}")
    return f"postgresql+psycopg://{server}/{PG_DATABASE}"


def _fresh_sqlite() -> str:
    path = ROOT / "var" / "bench_demo.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _migrate(engine: Engine) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["configure_logger"] = False
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vehicles", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 23))
    parser.add_argument(
        "--pg-server", default="postgres@127.0.0.1", help="user@host of the PostgreSQL server"
    )
    args = parser.parse_args()

    url = _fresh_postgresql(args.pg_server) if args.db == "postgresql" else _fresh_sqlite()
    engine = build_engine(url)
    _migrate(engine)

    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        rate = done / elapsed if elapsed else 0.0
        print(
            f"\r{done:>10,} / {total:,} vehicles  {elapsed:7.1f} s  {rate:9,.0f} vehicles/s",
            end="",
            file=sys.stderr,
            flush=True,
        )

    summary = load_demo(engine, vehicles=args.vehicles, seed=args.seed, as_of=args.as_of,
                        progress=progress)  # fmt: skip
    seconds = time.perf_counter() - started
    print(file=sys.stderr)
    engine.dispose()
    rows = summary.by_table()
    result = {
        "vehicles": args.vehicles,
        "db": args.db,
        "seconds": round(seconds, 2),
        "vehicles_per_second": round(args.vehicles / seconds, 1) if seconds else None,
        "rows_total": sum(rows.values()),
        "rows_per_second": round(sum(rows.values()) / seconds, 1) if seconds else None,
        "rows": rows,
        "peak_rss_mb": _peak_rss_mb(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
