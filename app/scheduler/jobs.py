"""The nightly run, scheduled at 02:00 local time in every dealer time zone.

One cron job per distinct ``dealer.time_zone`` (``nightly:<zone>``) runs the dealers of that zone
for their local date; ``coalesce``, ``max_instances=1`` and a misfire grace of an hour mean a late
or doubled trigger runs it once. A run already completed for the date is skipped (the
``nightly_run`` table), an interrupted one resumes. Every 15 minutes ``sync_jobs`` adds the job of
a time zone that a newly imported dealer brought in, and drops the job of a zone no dealer uses.

* Production: ``retention scheduler`` (or ``python -m app.scheduler``) runs a
  ``BlockingScheduler`` in its own process. On PostgreSQL it first takes a session-level advisory
  lock on a dedicated connection, so a second scheduler started by mistake waits instead of
  running the jobs twice.
* Embedded mode (SQLite): ``retention serve`` starts ``build_scheduler(blocking=False)`` in the
  same process (one node, so no lock is needed).
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, text

from app.db import get_engine, session_scope
from app.invitation import service as invitation_service
from app.invitation.repository import InvitationRepository
from app.reporting import aggregates as report_aggregates

log = logging.getLogger(__name__)

NIGHTLY_HOUR = 2
MISFIRE_GRACE_SECONDS = 3600
SYNC_MINUTES = 15
JOB_PREFIX = "nightly:"
# pg_try_advisory_lock key: "retention scheduler" (any constant the app owns).
ADVISORY_LOCK_KEY = 0x5245_5445_4E54


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
    return scheduler


def run_scheduler() -> None:
    """Run the scheduler in this process until interrupted (``retention scheduler``)."""
    engine = get_engine()
    lock_connection = None
    if engine.dialect.name == "postgresql":
        lock_connection = engine.connect()
        while not lock_connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
        ).scalar():
            lock_connection.rollback()
            log.info("another scheduler holds the lock; waiting (pid %s)", os.getpid())
            time.sleep(30)
        lock_connection.commit()
    scheduler = build_scheduler(blocking=True, engine=engine)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if lock_connection is not None:
            lock_connection.close()
