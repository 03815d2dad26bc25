"""The scheduled jobs, the scheduler that runs them, and its leadership.

* ``nightly:<zone>``: the nightly run at 02:00 in every dealer time zone, for the zone's local
  date; one cron job per distinct ``dealer.time_zone``. ``sync-jobs`` (every 15 minutes) adds
  the job of a zone that a newly imported dealer brought in and drops the job of an unused one.
* ``release-leases`` every minute, ``dms:pull`` every 15 minutes, ``dms:outbox`` every minute,
  ``anonymise-inactive`` daily at 03:30 UTC, ``prune-job-runs`` daily at 04:00 UTC.

Every job except the scheduler's own bookkeeping (``sync-jobs``, ``catch-up``) runs through the
job-run recorder (``app/scheduler/runs.py``): one ``job_run`` row per job and period, so a period
that succeeded is never run again and a failed or abandoned one is retried. ``catch-up`` (at
start, then every ``RETENTION_SCHEDULER_CATCH_UP_SECONDS``) runs the daily jobs whose time today
has passed without a successful run: missed while no scheduler ran, failed, or killed mid-way
(the nightly run then resumes after its last committed chunk, ``nightly_run``).

Where the scheduler runs:

* Embedded mode (the default, ``RETENTION_EMBEDDED_SCHEDULER=true``): ``retention serve`` runs
  it in a thread of the API's process (``embedded_scheduler``); for SQLite, one node.
* Its own process (``retention scheduler``, or ``python -m app.scheduler``): ``run_scheduler``.
  On PostgreSQL it runs jobs only while it holds the advisory lock (``app/scheduler/leader.py``);
  a second process waits as a standby and takes over within a poll when the first dies. Set
  ``RETENTION_EMBEDDED_SCHEDULER=false`` on the API servers.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from app.contact.jobs import RELEASE_EVERY_SECONDS, release_expired_leases
from app.db import get_engine, session_scope
from app.dms.jobs import register_jobs as register_dms_jobs
from app.invitation import service as invitation_service
from app.invitation.repository import InvitationRepository
from app.model_base import utcnow
from app.observability.metrics import INVITATIONS_COMPUTED
from app.privacy import service as privacy_service
from app.reporting import aggregates as report_aggregates
from app.scheduler.leader import AdvisoryLock
from app.scheduler.repository import JobRunRepository
from app.scheduler.runs import first_fire_of_day, period_of, run_recorded
from app.settings import Settings, get_settings

log = logging.getLogger(__name__)

NIGHTLY_HOUR = 2
MISFIRE_GRACE_SECONDS = 3600
SYNC_MINUTES = 15
JOB_PREFIX = "nightly:"
# The scheduler's own bookkeeping: no database writes of their own, never recorded.
UNRECORDED = frozenset({"sync-jobs", "catch-up"})
# Standby: say so at INFO on entering, then every this many polls.
STANDBY_LOG_EVERY = 12


# Job bodies -----------------------------------------------------------------------------------


def run_nightly_for_time_zone(time_zone: str, *, engine: Engine | None = None) -> None:
    """The job body: the nightly run of the zone's dealers for their local date."""
    settings = get_settings()
    today = datetime.now(ZoneInfo(time_zone)).date()
    workers = 1 if (engine or get_engine()).dialect.name == "sqlite" else 2
    with session_scope(engine) as session:
        summaries = invitation_service.run_nightly(
            session,
            as_of=today,
            time_zone=time_zone,
            skip_completed=True,
            workers=workers,
            chunk_size=settings.nightly_chunk_vehicles,
        )
    for change in ("inserted", "updated", "expired", "closed"):
        count = sum(getattr(s, f"invitations_{change}") for s in summaries)
        if count:
            INVITATIONS_COMPUTED.labels(type="all", status=change).inc(count)
    log.info(
        "nightly run %s for %s: %d dealer(s), %d row(s) written",
        time_zone,
        today,
        len(summaries),
        sum(s.rows_written for s in summaries),
    )
    with session_scope(engine) as session:  # then the report aggregates of recent due dates
        rows = report_aggregates.refresh_zone(session, time_zone=time_zone, today=today)
        session.commit()
    log.info("report aggregates %s for %s: %d day row(s)", time_zone, today, rows)


def anonymise_inactive_customers(*, engine: Engine | None = None) -> int:
    """The privacy retention job: anonymise customers inactive for the configured years
    (``RETENTION_INACTIVE_CUSTOMER_YEARS``); the number anonymised."""
    years = get_settings().inactive_customer_years
    with session_scope(engine) as session:
        ids = privacy_service.anonymise_inactive(session, now=utcnow(), years=years)
    if ids:
        log.info("anonymised %d customer(s) inactive for %d year(s)", len(ids), years)
    return len(ids)


def prune_job_runs(*, engine: Engine | None = None) -> int:
    """Delete finished job runs older than ``RETENTION_JOB_RUN_KEEP_DAYS``."""
    days = get_settings().job_run_keep_days
    with session_scope(engine) as session:
        deleted = JobRunRepository(session).prune(finished_before=utcnow() - timedelta(days=days))
        session.commit()
    if deleted:
        log.info("deleted %d job run(s) finished more than %d day(s) ago", deleted, days)
    return deleted


# The recorder's wrapper -----------------------------------------------------------------------


class RecordedJob:
    """A job body run through the job-run recorder for the period of ``trigger``."""

    def __init__(
        self,
        job: str,
        trigger: Any,
        func: Callable[..., object],
        *,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.job = job
        self.trigger = trigger
        self.func = func
        self.args = args
        self.kwargs = kwargs or {}
        self.engine = engine

    def period(self, now: datetime) -> str:
        return period_of(self.trigger, now)

    def __call__(self) -> str:
        return run_recorded(
            self.job,
            self.period(utcnow()),
            lambda: self.func(*self.args, **self.kwargs),
            engine=self.engine,
        )

    def __repr__(self) -> str:  # APScheduler logs the job's callable
        return f"RecordedJob({self.job})"


def add_recorded_job(
    scheduler: BaseScheduler,
    func: Callable[..., object],
    trigger: Any,
    *,
    id: str,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    engine: Engine | None = None,
    **options: Any,
) -> None:
    recorded = RecordedJob(id, trigger, func, args=args, kwargs=kwargs, engine=engine)
    scheduler.add_job(recorded, trigger, id=id, max_instances=1, coalesce=True, **options)


def record_every_job(scheduler: BaseScheduler, engine: Engine | None = None) -> None:
    """Route jobs that others registered (``register_dms_jobs``) through the recorder."""
    for job in scheduler.get_jobs():
        if job.id in UNRECORDED or isinstance(job.func, RecordedJob):
            continue
        recorded = RecordedJob(
            job.id, job.trigger, job.func, args=tuple(job.args), kwargs=dict(job.kwargs),
            engine=engine,
        )  # fmt: skip
        job.modify(func=recorded, args=(), kwargs={})


def catch_up(
    scheduler: BaseScheduler, engine: Engine | None = None, busy: threading.Lock | None = None
) -> list[str]:
    """Run every daily job whose time today has passed and whose run of today has not
    succeeded (missed, failed or abandoned); the jobs run (module docstring). While an earlier
    catch-up is still running (a long nightly run) this one returns at once."""
    busy = busy or threading.Lock()
    if not busy.acquire(blocking=False):
        return []
    try:
        return _catch_up(scheduler, engine)
    finally:
        busy.release()


def _catch_up(scheduler: BaseScheduler, engine: Engine | None) -> list[str]:
    now = utcnow()
    ran: list[str] = []
    for job in scheduler.get_jobs():
        recorded = job.func
        if not isinstance(recorded, RecordedJob) or not isinstance(recorded.trigger, CronTrigger):
            continue
        fire = first_fire_of_day(recorded.trigger, now)
        if fire is None or fire > now:
            continue
        with session_scope(engine) as session:
            if JobRunRepository(session).succeeded(job=job.id, period=recorded.period(now)):
                continue
        log.info("catch-up: %s has no successful run today; running it", job.id)
        recorded()
        ran.append(job.id)
    return ran


# The scheduler ----------------------------------------------------------------------------------


def time_zones(engine: Engine | None = None) -> list[str]:
    with session_scope(engine) as session:
        return InvitationRepository(session).time_zones()


def sync_jobs(scheduler: BaseScheduler, engine: Engine | None = None) -> None:
    """One nightly job per dealer time zone: add missing ones, remove unused ones."""
    wanted = set(time_zones(engine))
    for job in scheduler.get_jobs():
        if job.id.startswith(JOB_PREFIX) and job.id.removeprefix(JOB_PREFIX) not in wanted:
            job.remove()
    for zone in sorted(wanted):
        if scheduler.get_job(JOB_PREFIX + zone) is not None:
            continue
        add_recorded_job(
            scheduler,
            run_nightly_for_time_zone,
            CronTrigger(hour=NIGHTLY_HOUR, minute=0, timezone=ZoneInfo(zone)),
            id=JOB_PREFIX + zone,
            args=(zone,),
            kwargs={"engine": engine},
            engine=engine,
            name=f"Nightly run {zone}",
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )


def build_scheduler(
    blocking: bool, *, engine: Engine | None = None, settings: Settings | None = None
) -> BaseScheduler:
    """A scheduler (not started) with every job; each runs through the job-run recorder."""
    settings = settings or get_settings()
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone="UTC") if blocking else BackgroundScheduler(timezone="UTC")
    )
    sync_jobs(scheduler, engine)
    scheduler.add_job(
        sync_jobs,
        IntervalTrigger(minutes=SYNC_MINUTES),
        args=[scheduler, engine],
        id="sync-jobs",
        name="Add the nightly job of new dealer time zones",
        max_instances=1,
        coalesce=True,
    )
    add_recorded_job(
        scheduler,
        release_expired_leases,
        IntervalTrigger(seconds=RELEASE_EVERY_SECONDS),
        id="release-leases",
        kwargs={"engine": engine},
        engine=engine,
        name="Return call tasks with expired leases to the queue",
    )
    register_dms_jobs(scheduler)  # pull connectors every 15 minutes, booking export every minute
    record_every_job(scheduler, engine)
    add_recorded_job(
        scheduler,
        anonymise_inactive_customers,
        CronTrigger(hour=3, minute=30, timezone="UTC"),
        id="anonymise-inactive",
        kwargs={"engine": engine},
        engine=engine,
        name="Anonymise customers inactive for the configured years",
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
    )
    add_recorded_job(
        scheduler,
        prune_job_runs,
        CronTrigger(hour=4, minute=0, timezone="UTC"),
        id="prune-job-runs",
        kwargs={"engine": engine},
        engine=engine,
        name="Delete old job runs",
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
    )
    scheduler.add_job(
        catch_up,
        IntervalTrigger(seconds=settings.scheduler_catch_up_seconds),
        args=[scheduler, engine, threading.Lock()],
        id="catch-up",
        name="Run today's daily jobs that have not succeeded",
        next_run_time=utcnow(),  # at start, then every interval
        # A catch-up running a long nightly run makes the next ones return at once (its lock),
        # rather than APScheduler warning "maximum number of running instances reached".
        max_instances=2,
        coalesce=True,
    )
    return scheduler


@contextmanager
def embedded_scheduler(
    enabled: bool, *, engine: Engine | None = None
) -> Iterator[BaseScheduler | None]:
    """The scheduler running in the background of this process while the block runs (embedded
    mode, ``retention serve``); ``None`` and nothing started when ``enabled`` is false."""
    if not enabled:
        yield None
        return
    quiet_apscheduler()
    scheduler = build_scheduler(blocking=False, engine=engine)
    scheduler.start()
    log.info("embedded scheduler started: %d job(s)", len(scheduler.get_jobs()))
    try:
        yield scheduler
    finally:
        # A nightly run in progress is interrupted; the next start resumes it.
        scheduler.shutdown(wait=False)


def quiet_apscheduler() -> None:
    """APScheduler logs every job execution at INFO (several lines a minute); keep warnings."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def run_scheduler(
    *,
    engine: Engine | None = None,
    settings: Settings | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Run the scheduler in this process until ``stop`` is set (SIGTERM or SIGINT set it when
    it is not given). On PostgreSQL only while holding the advisory lock (module docstring)."""
    settings = settings or get_settings()
    engine = engine or get_engine()
    quiet_apscheduler()
    if stop is None:
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    poll = settings.scheduler_poll_seconds
    if engine.dialect.name != "postgresql":
        log.info("scheduler started (%s: one node, no leadership)", engine.dialect.name)
        _lead(engine, settings, stop, held=lambda: True)
        return
    lock = AdvisoryLock(
        engine.url.render_as_string(hide_password=False),
        connect_timeout=settings.db_connect_timeout_seconds,
    )
    polls = 0
    try:
        while not stop.is_set():
            if lock.try_acquire():
                polls = 0
                log.info("scheduler is the leader: it holds the scheduler lock; running jobs")
                _lead(engine, settings, stop, held=lock.held)
                if not stop.is_set():
                    log.warning("scheduler lost the lock; stopped running jobs, now standby")
                lock.release()
                continue
            if polls % STANDBY_LOG_EVERY == 0:
                log.info(
                    "scheduler is standby: another scheduler holds the lock; trying every %g s",
                    poll,
                )
            polls += 1
            stop.wait(poll)
    finally:
        lock.release()
    log.info("scheduler stopped")


def _lead(
    engine: Engine, settings: Settings, stop: threading.Event, *, held: Callable[[], bool]
) -> None:
    """Run the jobs until ``stop`` is set or ``held()`` turns false (checked every poll)."""
    scheduler = build_scheduler(blocking=False, engine=engine, settings=settings)
    scheduler.start()
    log.info("scheduler running %d job(s)", len(scheduler.get_jobs()))
    try:
        while not stop.wait(settings.scheduler_poll_seconds):
            if not held():
                break
    finally:
        # A run in progress is abandoned; its heartbeat stops and the next leader retries it.
        scheduler.shutdown(wait=False)
