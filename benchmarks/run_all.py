"""Run every benchmark at a stated size and rewrite the generated block of docs/benchmarks.md.

    python benchmarks/run_all.py --size small     # a quick check (a few minutes)
    python benchmarks/run_all.py --size full      # the sizes of DESIGN §7 (hours on 2 cores)
    make bench                                    # --size full; make bench BENCH_SIZE=small

Each benchmark script runs in its own process; its last stdout line is one JSON object, which is
parsed here and compared with its DESIGN §7 target. Only the scripts' command-line flags and
those JSON keys are relied on. The block between ``<!-- bench:begin -->`` and
``<!-- bench:end -->`` (created below the title when missing) is replaced with a table of the
figures, the machine, the load average, the versions and the date; the rest of the file (the
hand-written sections) is left as it is. A benchmark that fails is reported as failed in the
table (with its exit status) and the others still run; the exit status is then 1.

``--db-prefix wt_x`` names the scratch databases of the scripts that accept a name (claim,
import, report, nightly; nightly's SQLite file is ``var/wt_x_nightly_sqlite.sqlite3``)
``wt_x_<benchmark>``; demo.py uses its own fixed name (``retention_bench_demo``) and nightly.py
defaults to ``wtn_nightly_bench``. ``--only`` / ``--skip`` choose benchmarks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- bench:begin -->"
END = "<!-- bench:end -->"
LIBRARIES = ("fastapi", "uvicorn", "sqlalchemy", "sqlmodel", "psycopg", "pydantic", "apscheduler")

Result = dict[str, Any]
Check = Callable[[Result], list[tuple[str, bool]]]


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    args: dict[str, list[str]]  # per size
    size: Callable[[Result], str]  # the size actually measured, from the result
    target: str  # DESIGN §7, in words
    target_size: str  # the size the target is stated for
    checks: Check  # (label, met) per criterion
    figures: Callable[[Result], str]
    db_flag: str | None = None  # the script's flag naming its scratch PostgreSQL database


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


BENCHMARKS = [
    Benchmark(
        name="demo",
        script="demo.py",
        args={
            "small": ["--vehicles", "2000", "--db", "sqlite"],
            "full": ["--vehicles", "100000", "--db", "sqlite"],
        },
        size=lambda r: f"{_n(r.get('vehicles'))} vehicles, {r.get('db')}",
        target="none (the data generator every other benchmark uses)",
        target_size="-",
        checks=lambda r: [],
        figures=lambda r: (
            f"{r.get('seconds')} s, {_n(r.get('rows_total'))} rows, "
            f"{r.get('rows_per_second')} rows/s, peak RSS {r.get('peak_rss_mb')} MB"
        ),
    ),
    Benchmark(
        name="nightly-postgresql",
        script="nightly.py",
        args={
            "small": ["--vehicles", "5000", "--db", "postgresql", "--workers", "2"],
            "full": ["--vehicles", "1000000", "--db", "postgresql", "--workers", "2"],
        },
        size=lambda r: f"{_n(r.get('vehicles'))} vehicles, PostgreSQL",
        target="≤ 3× the bare read (COPY); < 60 s; peak memory < 1 GB; a re-run writes 0 rows",
        target_size="1,000,000 vehicles",
        checks=lambda r: [
            ("≤ 3× bare read", float(r.get("ratio", 1e9)) <= 3),
            ("< 60 s", float(r.get("seconds", 1e9)) < 60),
            ("< 1 GB", float(r.get("peak_rss_mb", 1e9)) < 1024),
            ("re-run 0 rows", r.get("rerun_rows_written") == 0),
        ],
        db_flag="--db-name",
        figures=lambda r: (
            f"{r.get('seconds')} s (bare read {r.get('input_read_seconds')} s, ratio "
            f"{r.get('ratio')}), CPU {r.get('cpu_seconds')} s, peak {r.get('peak_rss_mb')} MB, "
            f"re-run wrote {r.get('rerun_rows_written')}"
        ),
    ),
    Benchmark(
        name="nightly-sqlite",
        script="nightly.py",
        args={
            "small": ["--vehicles", "5000", "--db", "sqlite"],
            "full": ["--vehicles", "100000", "--db", "sqlite"],
        },
        size=lambda r: f"{_n(r.get('vehicles'))} vehicles, SQLite",
        target="< 20 s",
        target_size="100,000 vehicles",
        checks=lambda r: [
            ("< 20 s", float(r.get("seconds", 1e9)) < 20),
            ("re-run 0 rows", r.get("rerun_rows_written") == 0),
        ],
        db_flag="--db-name",
        figures=lambda r: (
            f"{r.get('seconds')} s (bare read {r.get('input_read_seconds')} s), CPU "
            f"{r.get('cpu_seconds')} s, re-run wrote {r.get('rerun_rows_written')}"
        ),
    ),
    Benchmark(
        name="import",
        script="import.py",
        args={"small": ["--ros", "10000"], "full": ["--ros", "200000"]},
        size=lambda r: f"{_n(r.get('ros'))} ROs, PostgreSQL",
        target="≥ 10,000 ROs/s through the HTTP API; a re-import changes 0 rows",
        target_size="any (≥ 100,000 ROs for a steady rate)",
        checks=lambda r: [
            ("≥ 10,000 ROs/s", float(r.get("ros_per_s", 0)) >= 10_000),
            ("re-import 0 rows", r.get("reimport_rows_changed") == 0),
        ],
        figures=lambda r: (
            f"{_n(r.get('ros_per_s'))} ROs/s ({r.get('seconds')} s), re-import changed "
            f"{r.get('reimport_rows_changed')}"
        ),
        db_flag="--db-name",
    ),
    Benchmark(
        name="claim",
        script="claim.py",
        args={
            "small": ["--connections", "16", "--seconds", "5", "--vehicles", "3000"],
            "full": ["--connections", "64", "--seconds", "20", "--vehicles", "30000"],
        },
        size=lambda r: f"{r.get('connections')} connections, {r.get('seconds')} s",
        target="≥ 30 % of a bare endpoint; p99 ≤ 100 ms at 64 connections; 0 duplicates "
        "of ≥ 10,000",
        target_size="64 connections, ≥ 10,000 claims",
        checks=lambda r: [
            ("≥ 30 % of bare", float(r.get("ratio", 0)) >= 0.30),
            ("p99 ≤ 100 ms", float(r.get("p99_ms", 1e9)) <= 100),
            ("0 duplicates", r.get("duplicates") == 0),
            ("≥ 10,000 claims", int(r.get("claims", 0)) >= 10_000),
        ],
        figures=lambda r: (
            f"{_n(r.get('claims'))} claims, {r.get('claims_per_s')}/s vs bare "
            f"{r.get('bare_per_s')}/s (ratio {r.get('ratio')}), p50 {r.get('p50_ms')} ms, "
            f"p99 {r.get('p99_ms')} ms, {r.get('duplicates')} duplicates"
        ),
        db_flag="--database",
    ),
    Benchmark(
        name="report",
        script="report.py",
        args={"small": ["--invitations", "20000"], "full": ["--invitations", "1000000"]},
        size=lambda r: f"{_n(r.get('invitations'))} invitations, PostgreSQL",
        target="one dealer-quarter ≤ 200 ms; all dealers for a year ≤ 2 s",
        target_size="1,000,000 invitations, 3,000,000 attempts",
        checks=lambda r: [
            ("dealer-quarter ≤ 200 ms", float(r.get("dealer_quarter_ms", 1e9)) <= 200),
            ("all-year ≤ 2 s", float(r.get("all_year_ms", 1e9)) <= 2000),
        ],
        figures=lambda r: (
            f"dealer-quarter {r.get('dealer_quarter_ms')} ms, all-year {r.get('all_year_ms')} ms"
        ),
        db_flag="--db-name",
    ),
]


@dataclass
class Outcome:
    benchmark: Benchmark
    command: str
    result: Result | None
    seconds: float
    error: str | None = None
    skipped: bool = False


def last_json(stdout: str) -> Result:
    """The JSON object on the last non-empty line of a benchmark's output."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise ValueError("no output")
    value = json.loads(lines[-1])
    if not isinstance(value, dict):
        raise ValueError("the last line is not a JSON object")
    return value


def run(benchmark: Benchmark, size: str, db_prefix: str | None, log_dir: Path) -> Outcome:
    args = list(benchmark.args[size])
    if db_prefix and benchmark.db_flag:
        args += [benchmark.db_flag, f"{db_prefix}_{benchmark.name.replace('-', '_')}"]
    command = ["python", f"benchmarks/{benchmark.script}", *args]
    print(f"--- {benchmark.name}: {' '.join(command)}", file=sys.stderr, flush=True)
    log = log_dir / f"{benchmark.name}.log"
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as err:
        done = subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / benchmark.script), *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            check=False,
        )
    seconds = time.monotonic() - started
    shown = " ".join(command)
    if done.returncode != 0:
        return Outcome(benchmark, shown, None, seconds, f"exit status {done.returncode} ({log})")
    try:
        return Outcome(benchmark, shown, last_json(done.stdout), seconds)
    except ValueError as exc:
        return Outcome(benchmark, shown, None, seconds, f"unreadable output: {exc}")


def verdict(benchmark: Benchmark, result: Result, size: str) -> str:
    checks = benchmark.checks(result)
    if not checks:
        return "-"
    missed = [label for label, ok in checks if not ok]
    word = "met" if not missed else "missed: " + ", ".join(missed)
    if size != "full":
        word += " (at a smaller size than the target's)"
    return word


# The machine -------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def postgresql_version(server: str) -> str:
    try:
        import psycopg

        with psycopg.connect(f"postgresql://{server}/postgres", connect_timeout=5) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "unknown"
    except Exception as exc:  # the table still says why
        return f"unavailable ({type(exc).__name__})"


def versions(pg_server: str) -> dict[str, str]:
    out = {
        "Python": platform.python_version(),
        "PostgreSQL": postgresql_version(pg_server),
        "SQLite": sqlite3.sqlite_version,
    }
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                          capture_output=True, check=False)  # fmt: skip
    return done.stdout.strip() or "unknown"


# The document ------------------------------------------------------------------------------------


def render(
    outcomes: list[Outcome], *, size: str, load: tuple[str, str], pg_server: str, when: datetime
) -> str:
    lines = [
        BEGIN,
        "<!-- Generated by `make bench` (benchmarks/run_all.py); edits here are overwritten. -->",
        "",
        f"## Latest `make bench` run ({size} size)",
        "",
        f"Run on {when:%Y-%m-%d %H:%M} UTC at commit `{git_commit()}`; load average "
        f"{load[0]} at the start and {load[1]} at the end (1 minute). "
        + (
            "Size **small** is a quick check: the figures are far below DESIGN §7's sizes and "
            "say nothing about its targets. "
            if size == "small"
            else "Size **full** uses DESIGN §7's sizes where this machine allows. "
        )
        + "Each benchmark's own section below explains its method.",
        "",
        "| benchmark | size | figures | target (DESIGN §7) | target size | verdict | command |",
        "|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        b = o.benchmark
        if o.skipped:
            lines.append(
                f"| {b.name} | - | not run in this run (`--skip`) | {b.target} | {b.target_size} "
                f"| not measured | - |"
            )
            continue
        if o.result is None:
            lines.append(
                f"| {b.name} | - | **failed**: {o.error} | {b.target} | {b.target_size} | "
                f"not measured | `{o.command}` |"
            )
            continue
        lines.append(
            f"| {b.name} | {b.size(o.result)} | {b.figures(o.result)} | {b.target} | "
            f"{b.target_size} | {verdict(b, o.result, size)} | `{o.command}` |"
        )
    v = versions(pg_server)
    lines += [
        "",
        f"**Machine:** {os.cpu_count()} CPU ({cpu_model()}), {ram_gib()} RAM, "
        f"{platform.system()} {platform.release()}. PostgreSQL on the same machine.",
        "",
        "**Versions:** " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
        "",
        END,
    ]
    return "\n".join(lines)


def rewrite(text: str, block: str) -> str:
    """``text`` with its generated block replaced by ``block`` (inserted after the title line
    when there is none); everything outside the markers is kept byte for byte."""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        return head + block + tail
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith("# "):
        return lines[0] + "\n" + block + "\n" + "".join(lines[1:])
    return block + "\n\n" + text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("small", "full"), default="small")
    names = [b.name for b in BENCHMARKS]
    parser.add_argument("--only", nargs="*", choices=names, help="run only these")
    parser.add_argument("--skip", nargs="*", choices=names, default=[], help="leave these out")
    parser.add_argument("--db-prefix", help="scratch database names: PREFIX_<benchmark>")
    parser.add_argument("--pg-server", default="postgres@127.0.0.1", help="for its version")
    parser.add_argument("--output", type=Path, default=DOC)
    args = parser.parse_args()

    chosen = [b for b in BENCHMARKS if (not args.only or b.name in args.only)]
    chosen = [b for b in chosen if b.name not in args.skip]
    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    when = datetime.now(UTC)
    load_start = f"{os.getloadavg()[0]:.2f}"
    outcomes = [
        run(b, args.size, args.db_prefix, log_dir)
        if b in chosen
        else Outcome(b, "", None, 0.0, skipped=True)
        for b in BENCHMARKS
    ]
    load_end = f"{os.getloadavg()[0]:.2f}"
    block = render(outcomes, size=args.size, load=(load_start, load_end),
                   pg_server=args.pg_server, when=when)  # fmt: skip
    text = args.output.read_text(encoding="utf-8") if args.output.exists() else "# Benchmarks\n"
    args.output.write_text(rewrite(text, block), encoding="utf-8")
    summary = {
        o.benchmark.name: (o.result if o.result is not None else {"error": o.error})
        for o in outcomes
        if not o.skipped
    }
    print(json.dumps({"size": args.size, "load_average": [load_start, load_end], **summary}))
    return 0 if all(o.result is not None for o in outcomes if not o.skipped) else 1


if __name__ == "__main__":
    sys.exit(main())
