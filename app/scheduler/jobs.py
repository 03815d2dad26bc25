"""The nightly run, scheduled at 02:00 local time in every dealer time zone.

One cron job per distinct ``dealer.time_zone`` (``nightly:<zone>``) runs the dealers of that zone
for their local date; ``coalesce``, ``max_instances=1`` and a misfire grace of an hour mean a late
or doubled trigger runs it once. A run already completed for the date is skipped (the
``nightly_run`` table), an interrupted one resumes. Every 15 minutes ``sync_jobs`` adds the job of
a time zone that a newly imported dealer brought in, and drops the job of a zone no dealer uses.

* Embedded mode (the default, ``RETENTION_EMBEDDED_SCHEDULER=true``): ``retention serve`` runs
  ``build_scheduler(blocking=False)`` in a thread of the API's process (``embedded_scheduler``).
* Its own process (``python -m app.scheduler``, later ``retention scheduler``): ``run_scheduler``
  with a ``BlockingScheduler``; set ``RETENTION_EMBEDDED_SCHEDULER=false`` on the API servers.
  Leadership (a PostgreSQL advisory lock, so that a second scheduler started by mistake stays
  idle) is not here yet. The jobs are safe to run twice regardless: a completed run is skipped,
  and every write of a run is an upsert that writes only what differs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
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
from app.privacy import service as privacy_service
from app.reporting import aggregates as report_aggregates
from app.settings import get_settings

log = logging.getLogger(__name__)

NIGHTLY_HOUR = 2
MISFIRE_GRACE_SECONDS = 3600
SYNC_MINUTES = 15
JOB_PREFIX = "nightly:"


def run_nightly_for_time_zone(time_zone: str, *, engine: Engine | None = None) -> None:
    """The job body: the nightly run of the zone's dealers for their local date."""
    today = datetime.now(ZoneInfo(time_zone)).date()
    workers = 1 if (engine or get_engine()).dialect.name == "sqlite" else 2
    with session_scope(engine) as session:
        summaries = invitation_service.run_nightly(
            session, as_of=today, time_zone=time_zone, skip_completed=True, workers=workers
        )
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
        scheduler.add_job(
            run_nightly_for_time_zone,
            CronTrigger(hour=NIGHTLY_HOUR, minute=0, timezone=ZoneInfo(zone)),
            args=[zone],
            kwargs={"engine": engine},
            id=JOB_PREFIX + zone,
            name=f"Nightly run {zone}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )


def build_scheduler(blocking: bool, *, engine: Engine | None = None) -> BaseScheduler:
    """A scheduler (not started) with the nightly job of every dealer time zone."""
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
    scheduler.add_job(
        release_expired_leases,
        IntervalTrigger(seconds=RELEASE_EVERY_SECONDS),
        kwargs={"engine": engine},
        id="release-leases",
        name="Return call tasks with expired leases to the queue",
        max_instances=1,
        coalesce=True,
    )
    register_dms_jobs(scheduler)  # pull connectors every 15 minutes, booking export every minute
    scheduler.add_job(
        anonymise_inactive_customers,
        CronTrigger(hour=3, minute=30, timezone="UTC"),
        kwargs={"engine": engine},
        id="anonymise-inactive",
        name="Anonymise customers inactive for the configured years",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=MISFIRE_GRACE_SECONDS,
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
    scheduler = build_scheduler(blocking=False, engine=engine)
    scheduler.start()
    log.info("embedded scheduler started: %d job(s)", len(scheduler.get_jobs()))
    try:
        yield scheduler
    finally:
        # A nightly run in progress is interrupted; the next start resumes it.
        scheduler.shutdown(wait=False)


def run_scheduler() -> None:
    """Run the scheduler in this process until interrupted (``python -m app.scheduler``)."""
    scheduler = build_scheduler(blocking=True, engine=get_engine())
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
