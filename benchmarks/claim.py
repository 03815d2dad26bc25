"""Contact-centre claim benchmark: next-call + outcome under concurrent agents, against a bare
FastAPI endpoint served the same way in the same run.

    python benchmarks/claim.py --connections 64 --seconds 20

Builds a scratch PostgreSQL database (``wt_contact_bench`` on 127.0.0.1, dropped and recreated;
``--database`` to change), migrates it, loads the demo data (``load_demo``), creates one ready call
task per demo customer with a phone (set-based, as the nightly run would) and ``--connections``
agents of the first dealer group. Then it starts the app under uvicorn (one process, a free
loopback port) and, for ``--seconds``, each of ``--connections`` client threads loops: POST
``/api/v1/agent/next-call``, then POST the outcome ``declined`` with the claim token (which closes
the task, so a task claimed twice is a duplicate). Then the same threads drive ``GET /bare`` of a
bare FastAPI app (one sync endpoint) under an identical uvicorn for ``--seconds``.

The last stdout line is JSON: ``claims``, ``claims_per_s`` (claim + outcome round trips per
second), ``bare_per_s``, ``ratio``, ``p50_ms``/``p99_ms`` (the next-call request), ``duplicates``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402
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
    target: str, env: dict[str, str], *, factory: bool
) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    args = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
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


def _drive_claims(
    base: str, cookies: list[str], secret: str, seconds: float
) -> tuple[list[float], list[int], int]:
    from app.auth.service import csrf_token_for
    from app.security.access import CSRF_HEADER, SESSION_COOKIE

    latencies: list[list[float]] = [[] for _ in cookies]
    claimed: list[list[int]] = [[] for _ in cookies]
    failures = [0]
    lock = threading.Lock()
    ready = threading.Barrier(len(cookies) + 1)
    stop_at = [0.0]

    def agent(n: int) -> None:
        headers = {CSRF_HEADER: csrf_token_for(cookies[n], secret=secret)}
        with httpx.Client(
            base_url=base, headers=headers, cookies={SESSION_COOKIE: cookies[n]}, timeout=30
        ) as client:
            # Warm-up (not measured): connect and let the server import and cache what it needs
            # (time-zone, holiday and phone-number data) before the clock starts.
            client.get("/healthz")
            ready.wait()
            while time.monotonic() < stop_at[0]:
                t0 = time.perf_counter()
                try:
                    card = client.post("/api/v1/agent/next-call")
                except httpx.HTTPError:
                    with lock:
                        failures[0] += 1
                    continue
                latencies[n].append(time.perf_counter() - t0)
                if card.status_code == 204:
                    return
                if card.status_code != 200:
                    with lock:
                        failures[0] += 1
                    continue
                body = card.json()
                claimed[n].append(body["task_id"])
                try:
                    done = client.post(
                        f"/api/v1/call-tasks/{body['task_id']}/outcome",
                        json={"claim_token": body["claim_token"], "disposition": "declined"},
                    )
                except httpx.HTTPError:
                    with lock:
                        failures[0] += 1
                    continue
                if done.status_code != 200:
                    with lock:
                        failures[0] += 1

    threads = [threading.Thread(target=agent, args=(n,)) for n in range(len(cookies))]
    for t in threads:
        t.start()
    _warm(base, cookies[0], secret)
    stop_at[0] = time.monotonic() + seconds
    ready.wait()
    for t in threads:
        t.join()
    return [x for xs in latencies for x in xs], [x for xs in claimed for x in xs], failures[0]


def _warm(base: str, cookie: str, secret: str) -> None:
    """A few claims (not measured) so the first measured ones are not
    paying for imports and caches."""
    from app.auth.service import csrf_token_for
    from app.security.access import CSRF_HEADER, SESSION_COOKIE

    headers = {CSRF_HEADER: csrf_token_for(cookie, secret=secret)}
    with httpx.Client(
        base_url=base, headers=headers, cookies={SESSION_COOKIE: cookie}, timeout=60
    ) as client:
        for _ in range(3):
            card = client.post("/api/v1/agent/next-call")
            if card.status_code != 200:
                return
            body = card.json()
            client.post(
                f"/api/v1/call-tasks/{body['task_id']}/outcome",
                json={"claim_token": body["claim_token"], "disposition": "declined"},
            )


def _drive_bare(base: str, connections: int, seconds: float) -> int:
    counts = [0] * connections
    ready = threading.Barrier(connections + 1)
    stop_at = [0.0]

    def client_loop(n: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            client.get("/bare").raise_for_status()
            ready.wait()
            while time.monotonic() < stop_at[0]:
                client.get("/bare").raise_for_status()
                counts[n] += 1

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    stop_at[0] = time.monotonic() + seconds
    ready.wait()
    for t in threads:
        t.join()
    return sum(counts)


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
    parser.add_argument("--vehicles", type=int, default=30_000)
    parser.add_argument("--server", default="postgres@127.0.0.1")
    parser.add_argument("--database", default="wt_contact_bench")
    args = parser.parse_args()

    secret = secrets.token_urlsafe(48)
    url = _fresh_database(args.server, args.database)
    env = {
        **os.environ,
        "RETENTION_DATABASE_URL": url,
        "RETENTION_SECRET_KEY": secret,
        "RETENTION_DB_POOL_SIZE": str(min(args.connections, 40)),
    }
    os.environ.update(env)
    _migrate(url)
    tasks, cookies = _prepare(url, vehicles=args.vehicles, agents=args.connections, secret=secret)

    process, base = _serve("app.main:create_app", env, factory=True)
    try:
        started = time.perf_counter()
        latencies, claimed, failures = _drive_claims(base, cookies, secret, args.seconds)
        elapsed = time.perf_counter() - started
    finally:
        _stop(process)
    bare_process, bare_base = _serve("benchmarks.claim:bare_app", env, factory=False)
    try:
        bare_started = time.perf_counter()
        bare = _drive_bare(bare_base, args.connections, args.seconds)
        bare_elapsed = time.perf_counter() - bare_started
    finally:
        _stop(bare_process)

    claims = len(claimed)
    duplicates = sum(n - 1 for n in Counter(claimed).values() if n > 1)
    claims_per_s = claims / elapsed
    bare_per_s = bare / bare_elapsed
    result = {
        "connections": args.connections,
        "seconds": args.seconds,
        "tasks": tasks,
        "claims": claims,
        "claims_per_s": round(claims_per_s, 1),
        "bare_per_s": round(bare_per_s, 1),
        "ratio": round(claims_per_s / bare_per_s, 3) if bare_per_s else 0.0,
        "p50_ms": round(_percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
        "duplicates": duplicates,
        "failed_requests": failures,
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
