"""The job-run recorder on real databases: a period runs once, a failed or abandoned one again."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlmodel import Session

from app.db import build_engine
from app.migrations import upgrade_to_head
from app.scheduler import jobs
from app.scheduler.models import JobRun
from app.scheduler.repository import JobRunRepository
from app.scheduler.runs import error_text, first_fire_of_day, period_of, run_recorded
from app.settings import Settings
from tests.app.auth.factories import use_session
from tests.app.ops.conftest import app_on_engine, sign_in_admin
from tests.conftest import drop_database, fresh_database_url

FAST = Settings(environment="test", job_heartbeat_seconds=0.05, job_stale_seconds=30)


@pytest.fixture
def committed(backend: str, tmp_path: Path) -> Iterator[Engine]:
    url = fresh_database_url(backend, str(tmp_path))
    upgrade_to_head(url)
    engine = build_engine(url)
    yield engine
    engine.dispose()
    drop_database(url)


def row(engine: Engine, job: str, period: str) -> JobRun:
    with Session(engine) as session:
        found = JobRunRepository(session).get(job=job, period=period)
        assert found is not None
        session.expunge(found)
        return found


class TestRunRecorded:
    def test_a_period_that_succeeded_is_never_run_again(self, committed: Engine) -> None:
        calls: list[int] = []

        first = run_recorded("j", "2026-11-23", lambda: calls.append(1), engine=committed,
                             settings=FAST)  # fmt: skip
        second = run_recorded("j", "2026-11-23", lambda: calls.append(2), engine=committed,
                              settings=FAST)  # fmt: skip
        other_day = run_recorded("j", "2026-11-24", lambda: calls.append(3), engine=committed,
                                 settings=FAST)  # fmt: skip

        assert (first, second, other_day) == ("succeeded", "skipped", "succeeded")
        assert calls == [1, 3]
        done = row(committed, "j", "2026-11-23")
        assert done.state == "succeeded"
        assert done.attempts == 1
        assert done.finished_at is not None
        assert done.finished_at >= done.started_at
        assert done.error is None
        assert done.owner.count(":") == 2

    def test_a_failed_run_is_recorded_with_its_error_and_retried(self, committed: Engine) -> None:
        def fail() -> None:
            raise RuntimeError("DMS said no to +420 601 123 456\nsecond line")

        assert run_recorded("j", "p", fail, engine=committed, settings=FAST) == "failed"
        failed = row(committed, "j", "p")
        assert failed.state == "failed"
        assert failed.error == "RuntimeError: DMS said no to [phone]"

        assert run_recorded("j", "p", lambda: None, engine=committed, settings=FAST) == (
            "succeeded"
        )
        retried = row(committed, "j", "p")
        assert (retried.state, retried.attempts, retried.error) == ("succeeded", 2, None)

    def test_a_run_with_a_live_owner_is_skipped_and_a_stale_one_is_taken_over(
        self, committed: Engine
    ) -> None:
        now = datetime.now(UTC)
        with Session(committed) as session:
            session.add(JobRun(job="j", period="p", state="running", owner="dead:1:x",
                               started_at=now, heartbeat_at=now))  # fmt: skip
            session.commit()
        calls: list[int] = []

        live = run_recorded("j", "p", lambda: calls.append(1), engine=committed, settings=FAST)
        with Session(committed) as session:
            session.execute(
                update(JobRun).values(
                    heartbeat_at=now - timedelta(seconds=FAST.job_stale_seconds + 1)
                )
            )
            session.commit()
        stale = run_recorded("j", "p", lambda: calls.append(2), engine=committed, settings=FAST)

        assert (live, stale) == ("skipped", "succeeded")
        assert calls == [2]
        taken = row(committed, "j", "p")
        assert taken.attempts == 2
        assert not taken.owner.startswith("dead:")

    def test_a_long_run_keeps_its_heartbeat_fresh(self, committed: Engine) -> None:
        seen: list[datetime] = []

        def slow() -> None:
            start = row(committed, "slow", "p").heartbeat_at
            time.sleep(0.4)
            seen.extend([start, row(committed, "slow", "p").heartbeat_at])

        run_recorded("slow", "p", slow, engine=committed, settings=FAST)

        assert seen[1] > seen[0]

    def test_two_threads_racing_for_one_period_run_it_once(self, committed: Engine) -> None:
        calls: list[int] = []
        barrier = threading.Barrier(4)

        def racer() -> None:
            barrier.wait()
            run_recorded("race", "p", lambda: (calls.append(1), time.sleep(0.2)),
                         engine=committed, settings=FAST)  # fmt: skip

        threads = [threading.Thread(target=racer) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

        assert calls == [1]
        assert row(committed, "race", "p").attempts == 1


def test_periods_are_the_local_day_of_a_cron_job_and_the_slot_of_an_interval_job() -> None:
    at = datetime(2026, 11, 23, 23, 30, 42, tzinfo=UTC)

    assert period_of(CronTrigger(hour=2, timezone=ZoneInfo("Europe/Prague")), at) == "2026-11-24"
    assert period_of(CronTrigger(hour=2, timezone=ZoneInfo("America/New_York")), at) == (
        "2026-11-23"
    )
    assert period_of(IntervalTrigger(seconds=60), at) == "2026-11-23T23:30:00Z"
    assert period_of(IntervalTrigger(minutes=15), at) == "2026-11-23T23:30:00Z"
    assert period_of(IntervalTrigger(minutes=15), at + timedelta(minutes=14)) == (
        "2026-11-23T23:30:00Z"
    )
    prague_two = CronTrigger(hour=2, minute=0, timezone=ZoneInfo("Europe/Prague"))
    assert first_fire_of_day(prague_two, at) == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def test_an_error_keeps_only_its_type_and_first_line() -> None:
    assert error_text(ValueError("bad\n[SQL: SELECT secret]")) == "ValueError: bad"
    assert error_text(ValueError()) == "ValueError: "


def test_catch_up_runs_a_daily_job_whose_time_passed_once(committed: Engine) -> None:
    scheduler = BackgroundScheduler(timezone="UTC")
    calls: list[str] = []
    now = datetime.now(UTC)
    passed = CronTrigger(hour=0, minute=0, timezone="UTC")  # midnight UTC today: passed
    later = CronTrigger(hour=23, minute=59, second=59, timezone="Etc/GMT+12")  # not yet today
    jobs.add_recorded_job(scheduler, lambda: calls.append("passed"), passed, id="passed",
                          engine=committed)  # fmt: skip
    jobs.add_recorded_job(scheduler, lambda: calls.append("later"), later, id="later",
                          engine=committed)  # fmt: skip
    jobs.add_recorded_job(scheduler, lambda: calls.append("minute"), IntervalTrigger(seconds=60),
                          id="minute", engine=committed)  # fmt: skip

    first = jobs.catch_up(scheduler, committed)
    again = jobs.catch_up(scheduler, committed)

    assert first == ["passed"]
    assert again == []
    assert calls == ["passed"]
    assert row(committed, "passed", now.date().isoformat()).state == "succeeded"


def test_every_job_but_the_bookkeeping_runs_through_the_recorder(committed: Engine) -> None:
    scheduler = jobs.build_scheduler(blocking=False, engine=committed)

    recorded = {j.id for j in scheduler.get_jobs() if isinstance(j.func, jobs.RecordedJob)}
    others = {j.id for j in scheduler.get_jobs()} - recorded

    assert {"release-leases", "dms:pull", "dms:outbox", "anonymise-inactive",
            "prune-job-runs"} <= recorded  # fmt: skip
    assert others == {"sync-jobs", "catch-up"}


def test_old_finished_runs_are_pruned(committed: Engine) -> None:
    old = datetime.now(UTC) - timedelta(days=90)
    with Session(committed) as session:
        for period, state, finished in (("a", "succeeded", old), ("b", "failed", old),
                                        ("c", "running", None)):  # fmt: skip
            session.add(JobRun(job="j", period=period, state=state, owner="o", started_at=old,
                               heartbeat_at=old, finished_at=finished))  # fmt: skip
        session.commit()
    run_recorded("j", "new", lambda: None, engine=committed, settings=FAST)

    assert jobs.prune_job_runs(engine=committed) == 2
    with Session(committed) as session:
        rows, _ = JobRunRepository(session).page(job="j", state=None, limit=10, offset=0)
        left = {r.period for r in rows}
    assert left == {"c", "new"}


def test_the_scheduler_process_on_sqlite_runs_its_jobs_without_leadership(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/one-node.sqlite3"
    upgrade_to_head(url)
    engine = build_engine(url)
    stop = threading.Event()
    settings = Settings(environment="test", database_url=url, scheduler_poll_seconds=0.05)
    runner = threading.Thread(
        target=jobs.run_scheduler, kwargs={"engine": engine, "settings": settings, "stop": stop}
    )
    runner.start()
    try:
        deadline = time.monotonic() + 20
        ran: list[JobRun] = []
        # Until the run has finished: its row is written as "running" first.
        while time.monotonic() < deadline and (not ran or ran[0].state == "running"):
            time.sleep(0.1)
            with Session(engine) as session:
                ran = list(JobRunRepository(session).page(job="anonymise-inactive", state=None,
                                                          limit=1, offset=0)[0])  # fmt: skip
    finally:
        stop.set()
        runner.join(timeout=30)
    engine.dispose()
    # The catch-up at start ran the daily privacy job (03:30 UTC has passed, or it is due today
    # and the catch-up found nothing; either way the process ran and stopped cleanly).
    assert not runner.is_alive()
    if datetime.now(UTC).time() >= datetime.strptime("03:30", "%H:%M").time():
        assert ran
        assert ran[0].state == "succeeded"


class TestJobRunsApi:
    def test_an_administrator_reads_the_runs_newest_first_with_their_duration(
        self, committed: Engine
    ) -> None:
        run_recorded("a", "1", lambda: None, engine=committed, settings=FAST)
        run_recorded("b", "1", lambda: 1 / 0, engine=committed, settings=FAST)
        signed = sign_in_admin(committed)
        with TestClient(app_on_engine(committed)) as client:
            use_session(client, signed)
            everything = client.get("/api/v1/job-runs")
            failed = client.get("/api/v1/job-runs", params={"state": "failed"})
            bad = client.get("/api/v1/job-runs", params={"state": "exploded"})

        assert everything.status_code == 200, everything.text
        body = everything.json()
        assert body["count"] == 2
        assert [r["job"] for r in body["data"]] == ["b", "a"]
        assert body["data"][1]["duration_seconds"] >= 0
        assert [r["error"] for r in failed.json()["data"]] == [
            "ZeroDivisionError: division by zero"
        ]
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "state"

    def test_metrics_count_recorded_runs_by_job_and_state(self, committed: Engine) -> None:
        run_recorded("metered", "1", lambda: None, engine=committed, settings=FAST)
        run_recorded("metered", "2", lambda: 1 / 0, engine=committed, settings=FAST)
        with TestClient(app_on_engine(committed), client=("127.0.0.1", 40000)) as client:
            body = client.get("/metrics").text

        assert 'retention_job_run_records{job="metered",state="succeeded"} 1.0' in body
        assert 'retention_job_run_records{job="metered",state="failed"} 1.0' in body
        assert 'retention_job_runs_total{job="metered",outcome="failed"}' in body
        assert "retention_outbox_backlog 0.0" in body


def test_the_openapi_document_lists_503_on_every_api_operation(committed: Engine) -> None:
    with TestClient(app_on_engine(committed)) as client:
        paths = client.get("/openapi.json").json()["paths"]

    missing = [
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method, operation in operations.items()
        if path.startswith("/api") and "503" not in operation["responses"]
    ]
    assert not missing
    assert paths["/api/v1/job-runs"]["get"]["responses"]["503"]["headers"]["Retry-After"]
