"""Gauges read from the database when ``/metrics`` is scraped.

The queue, the outbox and the job runs are shared by every process (API replicas, the scheduler),
so their figures come from the database, not from one process's memory: whichever replica is
scraped reports the same values. A scrape while the database is down still answers, without them.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.contact.repository import ContactRepository
from app.dms.models import AppointmentOutbox, DeliveryStatus
from app.model_base import utcnow
from app.observability.metrics import CALL_QUEUE_DEPTH, JOB_RUN_RECORDS, OUTBOX_BACKLOG
from app.scheduler.repository import JobRunRepository

log = logging.getLogger(__name__)


def refresh_database_gauges(session: Session) -> bool:
    """Set the queue depth, outbox backlog and job-run gauges; False when the database failed."""
    try:
        depth: dict[str, int] = defaultdict(int)
        for row in ContactRepository(session).queue_depth(dealer_ids=None, now=utcnow()):
            depth[str(row.code)] += int(row.callable_now or 0)
        backlog = session.execute(
            select(func.count())
            .select_from(AppointmentOutbox)
            .where(AppointmentOutbox.status == DeliveryStatus.PENDING.value)  # type: ignore[arg-type]
        ).scalar_one()
        runs = JobRunRepository(session).counts()
    except SQLAlchemyError as exc:
        log.warning("metrics: database figures unavailable (%s)", type(exc).__name__)
        return False
    CALL_QUEUE_DEPTH.clear()
    for dealer, tasks in depth.items():
        CALL_QUEUE_DEPTH.labels(dealer=dealer).set(tasks)
    OUTBOX_BACKLOG.set(int(backlog))
    JOB_RUN_RECORDS.clear()
    for job, state, count, _ in runs:
        JOB_RUN_RECORDS.labels(job=job, state=state).set(count)
    return True
