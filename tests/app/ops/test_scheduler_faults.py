"""Fault tests of the scheduler process and the service on real PostgreSQL (skipped on SQLite).

* two ``retention scheduler`` processes started at once: one leads, the other waits as a
  standby, the nightly run runs once, and the standby takes over when the leader is killed;
* a scheduler SIGKILLed in the middle of the nightly run and started again finishes it: no
  duplicate invitation or call task, a re-run writes nothing, the job run ends ``succeeded``;
* a connection terminated in the middle of a claim leaves the task claimable;
* PostgreSQL restarted under load (a private server, never the shared one): the service
  recovers by itself within 10 seconds and no acknowledged outcome is lost.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from glob import glob
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, text
from sqlmodel import Session

from app.contact.router import get_now
from app.db import build_engine
from app.demo.generator import load_demo
from app.enums import Role
from app.invitation import service as invitation_service
from app.migrations import upgrade_to_head
from app.scheduler import jobs
from app.scheduler.leader import LOCK_KEY
from app.settings import Settings
from tests.app.auth.factories import create_user, sign_in, use_session
from tests.app.contact.factories import TUESDAY_10_PRAGUE, create_dealer, create_task
from tests.app.ops.conftest import app_on_engine
from tests.app.ops.test_database_faults import backend_pid, terminate_backend
from tests.conftest import PG_ENV, PG_SKIP

RETENTION = Path(sys.executable).with_name("retention")
FAST_SCHEDULER = {
    "RETENTION_ENVIRONMENT": "test",
    "RETENTION_LOG_FORMAT": "json",
    "RETENTION_LOG_LEVEL": "INFO",
    "RETENTION_SCHEDULER_POLL_SECONDS": "0.5",
    "RETENTION_JOB_HEARTBEAT_SECONDS": "0.5",
    "RETENTION_JOB_STALE_SECONDS": "3",
    "RETENTION_SCHEDULER_CATCH_UP_SECONDS": "1",
}


CHUNK = 10  # vehicles per chunk of the nightly run: small, so that a kill lands mid-way


def zone_after_the_nightly_hour() -> str:
    """A time zone where 02:00 has passed today (so the catch-up runs the nightly at start)."""
    for zone in ("Europe/Prague", "America/New_York", "Asia/Tokyo", "America/Los_Angeles",
                 "Asia/Kolkata", "Pacific/Auckland"):  # fmt: skip
        if 3 <= datetime.now(ZoneInfo(zone)).hour <= 22:
            return zone
    raise AssertionError("unreachable: some zone is between 03:00 and 22:59")


def load_dealers(url: str, *, vehicles: int) -> tuple[Engine, str]:
    """The demo dataset, every dealer moved to one zone whose nightly time has passed."""
    engine = build_engine(url)
    zone = zone_after_the_nightly_hour()
    load_demo(engine, vehicles=vehicles, seed=11, as_of=date.today())
    with engine.begin() as conn:
        conn.execute(text("UPDATE dealer SET time_zone = :zone"), {"zone": zone})
    return engine, zone


@dataclass
class Scheduler:
    process: subprocess.Popen[bytes]
    log: Path

    def lines(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    continue
        return out

    def said(self, words: str) -> bool:
        return any(words in str(line.get("message", "")) for line in self.lines())

    def kill(self, signum: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signum)  # the process and its nightly-run workers
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)


@pytest.fixture
def schedulers(tmp_path: Path) -> Iterator[Callable[..., Scheduler]]:
    started: list[Scheduler] = []

    def start(url: str, name: str, **env: str) -> Scheduler:
        log = tmp_path / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                [str(RETENTION), "scheduler"],
                env={**os.environ, **FAST_SCHEDULER, "RETENTION_DATABASE_URL": url, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(Scheduler(process, log))
        return started[-1]

    yield start
    for s in started:
        s.kill(signal.SIGTERM)


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def job_run(engine: Engine, job: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT state, attempts, period FROM job_run WHERE job = :job"), {"job": job}
        ).first()


# Two schedulers ---------------------------------------------------------------------------------


def test_two_schedulers_started_at_once_run_the_nightly_once_and_the_standby_takes_over(
    pg_url: str, schedulers: Callable[..., Scheduler]
) -> None:
    engine, zone = load_dealers(pg_url, vehicles=200)
    job = f"nightly:{zone}"

    first, second = schedulers(pg_url, "first"), schedulers(pg_url, "second")
    wait_for(lambda: (r := job_run(engine, job)) and r.state == "succeeded", timeout=60,
             what="the nightly run")  # fmt: skip
    time.sleep(3)  # several catch-up rounds of both processes

    leaders = [s for s in (first, second) if s.said("is the leader")]
    standbys = [s for s in (first, second) if s.said("is standby")]
    assert len(leaders) == 1, [s.lines()[-5:] for s in (first, second)]
    assert len(standbys) == 1
    assert leaders[0] is not standbys[0]
    assert job_run(engine, job).attempts == 1
    with engine.connect() as conn:
        retried = conn.execute(text("SELECT count(*) FROM job_run WHERE attempts > 1")).scalar()
        runs = conn.execute(
            text("SELECT count(*), count(DISTINCT dealer_id) FROM nightly_run")
        ).one()
        dealers = conn.execute(text("SELECT count(*) FROM dealer")).scalar()
    assert retried == 0
    assert runs[0] == runs[1] == dealers  # one run per dealer and date

    leaders[0].kill()
    wait_for(lambda: standbys[0].said("is the leader"), timeout=15, what="the standby to lead")
    engine.dispose()


# SIGKILL in the middle of the nightly run ---------------------------------------------------------


def test_a_scheduler_killed_mid_nightly_run_and_restarted_finishes_it_without_duplicates(
    pg_url: str, schedulers: Callable[..., Scheduler]
) -> None:
    engine, zone = load_dealers(pg_url, vehicles=300)
    job = f"nightly:{zone}"
    slow = {"RETENTION_NIGHTLY_CHUNK_VEHICLES": str(CHUNK)}

    first = schedulers(pg_url, "first", **slow)

    def progress() -> Any:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM nightly_run WHERE cursor > 0 OR status = 'completed'")
            ).scalar()

    wait_for(lambda: progress() >= 2, timeout=60, what="committed chunks of the nightly run")
    first.kill()
    with engine.connect() as conn:
        unfinished = conn.execute(
            text(
                "SELECT count(*) FROM dealer d WHERE NOT EXISTS (SELECT 1 FROM nightly_run r "
                "WHERE r.dealer_id = d.id AND r.status = 'completed')"
            )  # fmt: skip
        ).scalar()
    killed = job_run(engine, job)
    assert unfinished, "the nightly run finished before the kill; make it slower"
    assert (killed.state, killed.attempts) == ("running", 1)

    schedulers(pg_url, "second", **slow)
    done = wait_for(lambda: (r := job_run(engine, job)) and r.state == "succeeded" and r,
                    timeout=120, what="the restarted nightly run")  # fmt: skip

    assert done.attempts == 2
    with engine.connect() as conn:
        # Each chunk's writes and its progress commit together: after the kill and the resume,
        # every vehicle was counted exactly once (a chunk done twice would count twice).
        evaluated = conn.execute(text("SELECT sum(vehicles) FROM nightly_run")).scalar()
        vehicles = conn.execute(text("SELECT count(*) FROM vehicle")).scalar()
        same_reason_twice = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT vehicle_id, dedup_key FROM invitation "
                "GROUP BY vehicle_id, dedup_key HAVING count(*) > 1) d"
            )  # fmt: skip
        ).scalar()
        open_tasks_twice = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT customer_id FROM call_task WHERE status <> "
                "'closed' GROUP BY customer_id HAVING count(*) > 1) d"
            )  # fmt: skip
        ).scalar()
        completed = conn.execute(
            text("SELECT count(*) FROM nightly_run WHERE status = 'completed'")
        ).scalar()
        invitations = conn.execute(text("SELECT count(*) FROM invitation")).scalar()
        dealers = conn.execute(text("SELECT count(*) FROM dealer")).scalar()
    assert evaluated == vehicles
    assert same_reason_twice == 0
    assert open_tasks_twice == 0
    assert completed == dealers
    assert invitations > 0
    # The resumed result is the complete one: running the whole date again (same chunk size:
    # the result of a run depends on it today, a separate finding) changes nothing.
    with Session(engine) as session:
        again = invitation_service.run_nightly(
            session, as_of=date.fromisoformat(done.period), time_zone=zone, chunk_size=CHUNK
        )
    assert sum(s.rows_written for s in again) == 0
    engine.dispose()


# A connection terminated in the middle of a claim -------------------------------------------------


def test_a_connection_terminated_mid_claim_leaves_the_task_claimable(pg_url: str) -> None:
    engine = build_engine(pg_url)
    with Session(engine) as session:
        dealer = create_dealer(session)
        task = create_task(session, dealer=dealer)
        first = create_user(session, role=Role.AGENT, dealers=[dealer])
        second = create_user(session, role=Role.AGENT, dealers=[dealer])
        session.commit()
        first_in, second_in = sign_in(session, first), sign_in(session, second)
        task_id = task.id
    killed: list[int] = []

    @event.listens_for(engine, "after_cursor_execute")
    def kill_after_the_claim(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # The claim's UPDATE has run inside the transaction; the connection dies before COMMIT.
        if (
            not killed
            and statement.startswith("UPDATE call_task SET")
            and "claim_token" in (statement)
        ):
            killed.append(backend_pid(conn))
            terminate_backend(pg_url, killed[0])

    application = app_on_engine(engine)
    application.dependency_overrides[get_now] = lambda: TUESDAY_10_PRAGUE
    with TestClient(application) as client:
        failed = use_session(client, first_in).post("/api/v1/agent/next-call")
        assert killed, "the claim never reached its UPDATE"
        with engine.connect() as conn:
            state = conn.execute(
                text("SELECT status, lease_agent_id, claim_token FROM call_task WHERE id = :id"),
                {"id": task_id},
            ).one()
        client.cookies.clear()
        claimed = use_session(client, second_in).post("/api/v1/agent/next-call")

    assert failed.status_code == 503, failed.text
    assert tuple(state) == ("ready", None, None)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["task_id"] == task_id
    engine.dispose()


# PostgreSQL restarted under load ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """A PostgreSQL server of our own in a temporary directory, owned by the ``postgres`` user."""

    def __init__(self) -> None:
        bins = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins or shutil.which("runuser") is None or os.geteuid() != 0:
            pytest.skip("a private PostgreSQL needs initdb (Debian's postgresql) and root")
        self.bin = Path(bins[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="wt_ops_pg_"))
        shutil.chown(self.dir, user="postgres", group="postgres")
        self.data = self.dir / "data"
        self.port = _free_port()
        self._as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        self.ctl("start")

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True,
                       capture_output=True, timeout=120)  # fmt: skip

    def ctl(self, action: str, *extra: str) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} "
                   "-c fsync=off -c max_connections=60")  # fmt: skip
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                          str(self.dir / "server.log"), "-o", options, "-w", "-t", "60",
                          action, *extra)  # fmt: skip

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        try:
            self.ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    if not os.environ.get(PG_ENV):
        pytest.skip(PG_SKIP)
    server = PrivatePostgres()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Outcomes:
    acknowledged: int = 0
    unanswered: int = 0  # 503 or a dropped connection: the client does not know
    statuses: Counter[int] = field(default_factory=Counter)
    successes: list[float] = field(default_factory=list)  # monotonic times of 2xx answers
    lock: threading.Lock = field(default_factory=threading.Lock)


def _agent_loop(base: str, signed: Any, stop: threading.Event, out: Outcomes) -> None:
    from app.security.access import CSRF_HEADER, SESSION_COOKIE

    with httpx.Client(base_url=base, timeout=20, cookies={SESSION_COOKIE: signed.token},
                      headers={CSRF_HEADER: signed.csrf}) as client:  # fmt: skip
        while not stop.is_set():
            try:
                card = client.post("/api/v1/agent/next-call")
            except httpx.HTTPError:
                time.sleep(0.1)
                continue
            with out.lock:
                out.statuses[card.status_code] += 1
            if card.status_code == 204:
                return
            if card.status_code != 200:
                time.sleep(0.1)
                continue
            body = {"claim_token": card.json()["claim_token"], "disposition": "no_answer"}
            url = f"/api/v1/call-tasks/{card.json()['task_id']}/outcome"
            while not stop.is_set():  # retry the outcome until the service says what happened
                try:
                    done = client.post(url, json=body)
                except httpx.HTTPError:
                    with out.lock:
                        out.unanswered += 1
                    time.sleep(0.1)
                    continue
                with out.lock:
                    out.statuses[done.status_code] += 1
                    if done.status_code == 200:
                        out.acknowledged += 1
                        out.successes.append(time.monotonic())
                    elif done.status_code == 503:
                        out.unanswered += 1
                if done.status_code != 503:
                    break
                time.sleep(0.1)


def test_postgresql_restarted_under_load_the_service_recovers_within_ten_seconds(
    private_pg: PrivatePostgres,
) -> None:
    admin = create_engine(private_pg.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE retention"))
    admin.dispose()
    url = private_pg.url("retention")
    upgrade_to_head(url)
    engine = build_engine(url, pool_size=10, max_overflow=5)
    agents = 4
    with Session(engine) as session:
        dealer = create_dealer(session)
        for _ in range(400):
            create_task(session, dealer=dealer)
        users = [create_user(session, role=Role.AGENT, dealers=[dealer]) for _ in range(agents)]
        session.commit()
        signed = [sign_in(session, u) for u in users]
    application = app_on_engine(engine)
    application.dependency_overrides[get_now] = lambda: TUESDAY_10_PRAGUE
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(application, host="127.0.0.1", port=port,
                                           log_config=None, access_log=False))  # fmt: skip
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    wait_for(lambda: server.started, timeout=30, what="the server")
    base = f"http://127.0.0.1:{port}"
    out, stop = Outcomes(), threading.Event()
    load = [threading.Thread(target=_agent_loop, args=(base, s, stop, out)) for s in signed]
    for t in load:
        t.start()
    try:
        wait_for(lambda: out.acknowledged >= 10, timeout=30, what="outcomes before the restart")
        before = out.acknowledged
        private_pg.ctl("restart", "-m", "fast")  # returns once the server accepts connections
        back = time.monotonic()
        recovered = wait_for(
            lambda: next((t for t in list(out.successes) if t > back), None),
            timeout=10, what="an outcome after the restart",
        )  # fmt: skip
        ready = httpx.get(f"{base}/readyz", timeout=10)
        wait_for(lambda: out.acknowledged >= before + 20, timeout=20, what="steady load")
    finally:
        stop.set()
        for t in load:
            t.join(timeout=30)
        server.should_exit = True
        serving.join(timeout=30)
    with engine.connect() as conn:
        attempts = conn.execute(text("SELECT count(*) FROM call_attempt")).scalar_one()
    engine.dispose()

    assert recovered - back <= 10
    assert ready.status_code == 200
    assert out.statuses[500] == 0, out.statuses
    assert set(out.statuses) <= {200, 204, 409, 503}, out.statuses
    # Every acknowledged outcome is stored; an unanswered one may or may not have been.
    assert out.acknowledged <= attempts <= out.acknowledged + out.unanswered


# The lock's connection lost -------------------------------------------------------------------


def _lock_holder(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = :key "
                "AND a.application_name = 'retention-scheduler'"
            ),  # fmt: skip
            {"key": LOCK_KEY},
        ).scalar()


def test_a_leader_whose_lock_connection_is_killed_goes_back_to_standby_and_leads_again(
    pg_url: str,
) -> None:
    engine = build_engine(pg_url)
    stop = threading.Event()
    settings = Settings(environment="test", database_url=pg_url, scheduler_poll_seconds=0.2,
                        scheduler_catch_up_seconds=3600)  # fmt: skip
    runner = threading.Thread(
        target=jobs.run_scheduler, kwargs={"engine": engine, "settings": settings, "stop": stop}
    )
    runner.start()
    try:
        first = wait_for(lambda: _lock_holder(engine), timeout=30, what="the lock")
        terminate_backend(pg_url, first)
        second = wait_for(lambda: (pid := _lock_holder(engine)) != first and pid, timeout=30,
                          what="the lock taken again")  # fmt: skip
    finally:
        stop.set()
        runner.join(timeout=30)
    after_stop = _lock_holder(engine)
    engine.dispose()

    assert second != first
    assert not runner.is_alive()
    assert logging.getLogger("apscheduler").getEffectiveLevel() == logging.WARNING
    assert after_stop is None  # a stopped scheduler releases the lock
