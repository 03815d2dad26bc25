"""Contact-centre claim benchmark: next-call + outcome under concurrent agents, against a bare
FastAPI endpoint served the same way in the same run.

    python benchmarks/claim.py --connections 64 --seconds 20

Builds a scratch PostgreSQL database (``wt_contact_bench`` on 127.0.0.1, dropped and recreated;
``--database`` to change), migrates it, loads the demo data (``load_demo``), creates one ready call
task per demo customer with a phone (set-based, as the nightly run would), analyses the tables
(as autovacuum would after such a load) and creates ``--connections`` agents of the first dealer
group. Then it starts the app under uvicorn (``--workers`` processes, default 2, on a free
loopback port) and, for ``--seconds``, each of ``--connections`` concurrent clients loops: POST
``/api/v1/agent/next-call``, then POST the outcome ``declined`` with the claim token (which closes
the task, so a task claimed twice is a duplicate). Then the same clients drive ``GET /bare`` of a
bare FastAPI app (one sync endpoint) under an identical uvicorn (same ``--workers``) for
``--seconds``.

The clients are asyncio tasks in one process (uvloop), each on its own keep-alive connection,
speaking HTTP/1.1 with ``httptools``' response parser (both ship with ``uvicorn[standard]``):
an order of magnitude less client CPU per request than threads with httpx, which on a 2-core
machine would otherwise take the CPU the server is being measured on.

The last stdout line is JSON: ``claims``, ``claims_per_s`` (claim + outcome round trips per
second), ``bare_per_s``, ``ratio``, ``p50_ms``/``p99_ms`` (the next-call request), ``duplicates``,
``workers``, the client's CPU seconds in each phase and the load average at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httptools  # noqa: E402
import httpx  # noqa: E402
import psycopg  # noqa: E402
import uvloop  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from sqlalchemy import text  # noqa: E402

from app.audit.models import ActorType  # noqa: E402
from app.audit.service import Actor  # noqa: E402
from app.db import build_engine  # noqa: E402
from app.demo.generator import load_demo  # noqa: E402
from app.enums import Role  # noqa: E402

# The bare endpoint: what one uvicorn process serves with no database, auth or logic.
bare_app = FastAPI()


@bare_app.get("/bare")
def bare() -> dict[str, bool]:
    return {"ok": True}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _fresh_database(server: str, name: str) -> str:
    with psycopg.connect(f"postgresql://{server}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://{server}/{name}"


def _migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    engine = build_engine(url)
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    config.attributes["configure_logger"] = False
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    engine.dispose()


CREATE_TASKS = text(
    """
    INSERT INTO call_task (dealer_id, customer_id, status, priority, primary_type, purpose,
                           attempts, created_at, updated_at)
    SELECT c.dealer_id, c.id, 'ready', (c.id * 7919) % 100, 'next_service', 'service_reminder',
           0, now(), now()
    FROM customer c JOIN dealer d ON d.id = c.dealer_id
    WHERE d.group_id = :group_id AND c.do_not_call = false
      AND EXISTS (SELECT 1 FROM customer_phone p WHERE p.customer_id = c.id AND p.is_valid)
      AND NOT EXISTS (SELECT 1 FROM call_task t WHERE t.customer_id = c.id AND t.status <> 'closed')
    """
)


def _prepare(url: str, *, vehicles: int, agents: int, secret: str) -> tuple[int, list[str]]:
    from sqlmodel import Session

    from app.auth import service as auth_service

    engine = build_engine(url)
    started = time.perf_counter()
    load_demo(engine, vehicles=vehicles, seed=42, as_of=datetime.now(UTC).date())
    _log(f"demo data: {vehicles} vehicles in {time.perf_counter() - started:.1f}s")
    with Session(engine) as session:
        group_id, group_name = session.execute(
            text("SELECT id, name FROM dealer_group ORDER BY id LIMIT 1")
        ).one()
        tasks = session.execute(CREATE_TASKS, {"group_id": group_id}).rowcount
        session.commit()
        # What autovacuum does after a bulk load: without statistics the planner takes the
        # just-filled call_task for empty and picks the wrong plan for the queue head.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
        password = secrets.token_urlsafe(16)
        cookies = []
        for n in range(agents):
            auth_service.create_user(
                session,
                email=f"bench-agent-{n}@bench.test",
                display_name=f"Bench agent {n}",
                role=Role.AGENT,
                password=password,
                group=group_name,
            )
            signed = auth_service.login(
                session,
                email=f"bench-agent-{n}@bench.test",
                password=password,
                actor=Actor(type=ActorType.USER),
                now=datetime.now(UTC),
            )
            cookies.append(signed.token)
    engine.dispose()
    _log(f"call tasks: {tasks}, agents: {agents}")
    return int(tasks), cookies


def _serve(
    target: str, env: dict[str, str], *, factory: bool, workers: int
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    args = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", str(workers)]
    args += ["--log-level", "warning", "--no-access-log", "--app-dir", str(ROOT)]
    # Keep idle client connections open across the warm-up (uvicorn closes them after 5 s).
    args += ["--timeout-keep-alive", "120"]
    if factory:
        args.append("--factory")
    process = subprocess.Popen(args, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/docs", timeout=1).status_code < 500:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"uvicorn {target} did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


class _Reply:
    """httptools callbacks: collects one response's body."""

    __slots__ = ("body", "done")

    def __init__(self) -> None:
        self.body = bytearray()
        self.done = False

    def on_body(self, chunk: bytes) -> None:
        self.body += chunk

    def on_message_complete(self) -> None:
        self.done = True


class _Connection:
    """One keep-alive HTTP/1.1 connection to the server (one request at a time)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port = host, int(port)
        fixed = {"Host": f"{host}:{port}", **headers}
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode("latin-1")
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        assert self.reader is not None
        assert self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\n".encode("latin-1") + self.fixed
        if body is not None:
            head += b"Content-Type: application/json\r\n"
        head += b"Content-Length: %d\r\n\r\n" % len(body or b"")
        self.writer.write(head + (body or b""))
        reply = _Reply()
        parser = httptools.HttpResponseParser(reply)
        while not reply.done:
            chunk = await self.reader.read(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            parser.feed_data(chunk)
        return parser.get_status_code(), bytes(reply.body)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _agent_headers(cookie: str, secret: str) -> dict[str, str]:
    from app.auth.service import csrf_token_for
    from app.security.access import CSRF_HEADER, SESSION_COOKIE

    return {
        "Cookie": f"{SESSION_COOKIE}={cookie}",
        CSRF_HEADER: csrf_token_for(cookie, secret=secret),
    }


async def _claim_and_close(connection: _Connection) -> tuple[int, float, int | None, bool]:
    """(next-call status, next-call seconds, claimed task id, outcome ok)."""
    t0 = time.perf_counter()
    status, raw = await connection.request("POST", "/api/v1/agent/next-call", b"")
    took = time.perf_counter() - t0
    if status != 200:
        return status, took, None, False
    card = json.loads(raw)
    outcome = json.dumps({"claim_token": card["claim_token"], "disposition": "declined"})
    done, _ = await connection.request(
        "POST", f"/api/v1/call-tasks/{card['task_id']}/outcome", outcome.encode()
    )
    return status, took, int(card["task_id"]), done == 200


async def _drive_claims(
    base: str, cookies: list[str], secret: str, seconds: float
) -> tuple[list[float], list[int], int]:
    latencies: list[float] = []
    claimed: list[int] = []
    failures = 0
    connections = [_Connection(base, _agent_headers(c, secret)) for c in cookies]
    for connection in connections:
        await connection.open()
    # Warm-up (not measured): every connection once, and a few claims so the first measured
    # ones are not paying for imports and caches (time-zone, holiday and phone-number data).
    await asyncio.gather(*(c.request("GET", "/healthz") for c in connections))
    for _ in range(3):
        await asyncio.gather(*(_claim_and_close(c) for c in connections[:4]))
    stop_at = time.monotonic() + seconds

    async def agent(connection: _Connection) -> None:
        nonlocal failures
        while time.monotonic() < stop_at:
            try:
                status, took, task_id, ok = await _claim_and_close(connection)
            except (OSError, ConnectionError):
                failures += 1
                await connection.open()
                continue
            if status == 204:
                return
            latencies.append(took)
            if task_id is None or not ok:
                failures += 1
            if task_id is not None:
                claimed.append(task_id)

    await asyncio.gather(*(agent(c) for c in connections))
    for connection in connections:
        connection.close()
    return latencies, claimed, failures


async def _drive_bare(base: str, connections: int, seconds: float) -> int:
    clients = [_Connection(base, {}) for _ in range(connections)]
    for client in clients:
        await client.open()
    await asyncio.gather(*(c.request("GET", "/bare") for c in clients))
    stop_at = time.monotonic() + seconds
    count = 0

    async def client_loop(client: _Connection) -> None:
        nonlocal count
        while time.monotonic() < stop_at:
            status, _ = await client.request("GET", "/bare")
            if status != 200:
                raise SystemExit(f"GET /bare answered {status}")
            count += 1

    await asyncio.gather(*(client_loop(c) for c in clients))
    for client in clients:
        client.close()
    return count


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--vehicles", type=int, default=40_000)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn processes, for both apps")
    parser.add_argument("--server", default="postgres@127.0.0.1")
    parser.add_argument("--database", default="wt_contact_bench")
    args = parser.parse_args()

    secret = secrets.token_urlsafe(48)
    url = _fresh_database(args.server, args.database)
    # Each worker's pool holds at most one connection per concurrent request it can run.
    pool = max(2, min(args.connections // args.workers + 2, 40))
    env = {
        **os.environ,
        "RETENTION_DATABASE_URL": url,
        "RETENTION_SECRET_KEY": secret,
        "RETENTION_DB_POOL_SIZE": str(pool),
    }
    os.environ.update(env)
    _migrate(url)
    tasks, cookies = _prepare(url, vehicles=args.vehicles, agents=args.connections, secret=secret)

    process, base = _serve("app.main:create_app", env, factory=True, workers=args.workers)
    try:
        cpu0 = time.process_time()
        started = time.perf_counter()
        latencies, claimed, failures = uvloop.run(
            _drive_claims(base, cookies, secret, args.seconds)
        )
        elapsed = time.perf_counter() - started
        claims_cpu = time.process_time() - cpu0
    finally:
        _stop(process)
    bare_process, bare_base = _serve(
        "benchmarks.claim:bare_app", env, factory=False, workers=args.workers
    )
    try:
        cpu0 = time.process_time()
        bare_started = time.perf_counter()
        bare = uvloop.run(_drive_bare(bare_base, args.connections, args.seconds))
        bare_elapsed = time.perf_counter() - bare_started
        bare_cpu = time.process_time() - cpu0
    finally:
        _stop(bare_process)

    claims = len(claimed)
    duplicates = sum(n - 1 for n in Counter(claimed).values() if n > 1)
    claims_per_s = claims / elapsed
    bare_per_s = bare / bare_elapsed
    result = {
        "connections": args.connections,
        "seconds": args.seconds,
        "workers": args.workers,
        "tasks": tasks,
        "claims": claims,
        "claims_per_s": round(claims_per_s, 1),
        "bare_per_s": round(bare_per_s, 1),
        "ratio": round(claims_per_s / bare_per_s, 3) if bare_per_s else 0.0,
        "p50_ms": round(_percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
        "duplicates": duplicates,
        "failed_requests": failures,
        "client_cpu_s_claims": round(claims_cpu, 1),
        "client_cpu_s_bare": round(bare_cpu, 1),
        "cpu_count": os.cpu_count(),
        "load_average": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
