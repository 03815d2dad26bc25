"""The job-run recorder: every scheduled job runs through ``run_recorded``.

A run is keyed by (job, period): the day of a daily job in its trigger's time zone
(``2026-11-23``), the slot of an interval job (``2026-11-23T13:31:00Z`` for a job every minute).
Before running, the recorder claims the key in ``job_run`` (``JobRunRepository.claim``):

* nobody ran the period yet: a new ``running`` row, owned by this process; run;
* the period ``succeeded``: skip (``JOB_RUNS{outcome="skipped"}``), so a run is never done twice,
  whatever starts it (two schedulers by mistake, a failover, the catch-up after a restart);
* it ``failed``, or its owner stopped sending heartbeats (killed): take it over and run again;
  the nightly run itself resumes after its last committed chunk (``nightly_run``);
* a live owner is running it: skip.

While the job runs, a thread writes a heartbeat every ``job_heartbeat_seconds``; the outcome,
the timings and a value-free error message are written at the end. A database outage while
claiming or finishing is retried with backoff (``run_in_transaction``); if the outcome still
cannot be written, the row keeps ``running`` with a stale heartbeat and the run is retried.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.db import begin_immediate, get_engine
from app.db_faults import run_in_transaction
from app.model_base import utcnow
from app.observability.metrics import JOB_RUNS, job_run
from app.scheduler.models import JobRunState
from app.scheduler.repository import Claimed, JobRunRepository
from app.security.redaction import redact
from app.settings import Settings, get_settings

log = logging.getLogger(__name__)

Outcome = Literal["succeeded", "failed", "skipped"]
ERROR_CHARS = 1000


def new_owner() -> str:
    """``host:pid:token``: the process, and a token per claim (two threads of one process
    never take each other's run)."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def period_of(trigger: Any, now: datetime) -> str:
    """The period a run started at ``now`` belongs to: the trigger's local day for a cron
    trigger (the jobs here fire at most once a day), the interval slot for an interval one."""
    if isinstance(trigger, IntervalTrigger):
        seconds = max(1, int(trigger.interval.total_seconds()))
        slot = int(now.timestamp()) // seconds * seconds
        return datetime.fromtimestamp(slot, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(trigger, CronTrigger):
        return now.astimezone(trigger.timezone).date().isoformat()
    return now.astimezone(UTC).date().isoformat()


def first_fire_of_day(trigger: CronTrigger, now: datetime) -> datetime | None:
    """When a daily cron trigger fires (fired) on ``now``'s day in its time zone."""
    local = now.astimezone(trigger.timezone)
    midnight = datetime.combine(local.date(), datetime.min.time(), tzinfo=trigger.timezone)
    fire: datetime | None = trigger.get_next_fire_time(None, midnight)
    if fire is None or fire.astimezone(trigger.timezone).date() != local.date():
        return None
    return fire


def error_text(exc: BaseException) -> str:
    """The exception's type and first line, with phone numbers and e-mails masked (a database
    error's statement and parameters are on later lines and never stored)."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return redact(f"{type(exc).__name__}: {first}")[:ERROR_CHARS]


class _Heartbeat:
    """Writes the run's heartbeat every ``every`` seconds until stopped."""

    def __init__(self, engine: Engine, run_id: int, owner: str, every: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, args=(engine, run_id, owner, every), daemon=True,
            name=f"job-run-heartbeat-{run_id}",
        )  # fmt: skip

    def _beat(self, engine: Engine, run_id: int, owner: str, every: float) -> None:
        while not self._stop.wait(every):
            try:
                with Session(engine) as session:
                    begin_immediate(session)
                    JobRunRepository(session).heartbeat(run_id, owner=owner, now=utcnow())
                    session.commit()
            except SQLAlchemyError as exc:  # the run goes on; a later beat may get through
                log.warning("job-run heartbeat failed: %s", type(exc).__name__)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def claim(
    job: str, period: str, *, owner: str, engine: Engine, settings: Settings
) -> Claimed | None:
    def work(session: Session) -> Claimed | None:
        begin_immediate(session)
        now = utcnow()
        claimed = JobRunRepository(session).claim(
            job=job,
            period=period,
            owner=owner,
            now=now,
            stale_before=now - timedelta(seconds=settings.job_stale_seconds),
        )
        session.commit()
        return claimed

    return run_in_transaction(work, engine=engine)


def finish(claimed: Claimed, *, owner: str, state: str, error: str | None, engine: Engine) -> bool:
    def work(session: Session) -> bool:
        begin_immediate(session)
        done = JobRunRepository(session).finish(
            claimed.id, owner=owner, state=state, now=utcnow(), error=error
        )
        session.commit()
        return done

    return run_in_transaction(work, engine=engine)


def run_recorded(
    job: str,
    period: str,
    work: Callable[[], object],
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
) -> Outcome:
    """Run ``work`` as the run of ``job`` for ``period`` unless it ran already (module
    docstring). An exception of ``work`` is recorded and logged, not raised: the run is
    retried by the next trigger or catch-up of the same period."""
    engine = engine or get_engine()
    settings = settings or get_settings()
    owner = new_owner()
    try:
        claimed = claim(job, period, owner=owner, engine=engine, settings=settings)
    except SQLAlchemyError as exc:
        JOB_RUNS.labels(job=job, outcome="failed").inc()
        log.error("job %s for %s not started: database unavailable (%s)", job, period,
                  type(exc).__name__, extra={"job": job, "period": period})  # fmt: skip
        return "failed"
    if claimed is None:
        JOB_RUNS.labels(job=job, outcome="skipped").inc()
        log.debug("job %s for %s: done or running elsewhere; skipped", job, period)
        return "skipped"
    extra = {"job": job, "period": period, "attempt": claimed.attempts}
    if claimed.attempts > 1:
        log.info("job %s for %s: attempt %d", job, period, claimed.attempts, extra=extra)
    error: str | None = None
    try:
        with (
            _Heartbeat(engine, claimed.id, owner, settings.job_heartbeat_seconds),
            job_run(job),
        ):
            work()
    except Exception as exc:
        error = error_text(exc)
        log.exception("job %s for %s failed (attempt %d)", job, period, claimed.attempts,
                      extra=extra)  # fmt: skip
    state = JobRunState.FAILED if error else JobRunState.SUCCEEDED
    try:
        recorded = finish(claimed, owner=owner, state=state, error=error, engine=engine)
    except SQLAlchemyError as exc:
        log.error("job %s for %s: outcome %s not recorded (%s); it will be retried", job,
                  period, state, type(exc).__name__, extra=extra)  # fmt: skip
        return "failed"
    if not recorded:
        log.warning("job %s for %s: taken over by another process meanwhile", job, period,
                    extra=extra)  # fmt: skip
    return "failed" if error else "succeeded"
