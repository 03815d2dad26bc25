"""Scheduled DMS jobs as plain functions, and the hook that adds them to a scheduler.

Wire them where the scheduler is built (``app/scheduler/jobs.py``)::

    from app.dms.jobs import register_jobs as register_dms_jobs
    register_dms_jobs(scheduler)

* ``dms:pull`` every 15 minutes: the pull connector of every dealer with ``pull_enabled``;
* ``dms:outbox`` every minute: delivers the due booking-export rows.

Both are ``max_instances=1`` and ``coalesce=True``: a slow run is never doubled.
"""

from __future__ import annotations

import logging

import httpx
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from app.db import session_scope
from app.dms import connector
from app.dms import outbox as dms_outbox
from app.model_base import utcnow
from app.settings import get_settings

log = logging.getLogger(__name__)

PULL_MINUTES = 15
OUTBOX_SECONDS = 60


def run_pull_connectors(
    *, engine: Engine | None = None, dealer_code: str | None = None
) -> list[connector.ConnectorRun]:
    """The job body (also ``retention dms-pull``): one connector run per enabled dealer."""
    settings = get_settings()
    with (
        httpx.Client(timeout=settings.dms_http_timeout_seconds) as client,
        session_scope(engine) as session,
    ):
        runs = connector.pull_all(
            session,
            client=client,
            now=utcnow(),
            allowed_networks=settings.dms_outbound_allow_networks,
            dealer_code=dealer_code,
        )
    for run in runs:
        for e in run.entities:
            log.info(
                "DMS pull %s/%s: %d fetched, %d applied, %d stale%s",
                run.dealer,
                e.entity,
                e.fetched,
                e.applied,
                e.stale,
                f", error: {e.error}" if e.error else "",
            )
    return runs


def deliver_outbox(*, engine: Engine | None = None) -> dms_outbox.DeliverySummary:
    """The job body (also ``retention dms-deliver``): deliver due booking-export rows."""
    settings = get_settings()
    with (
        httpx.Client(timeout=settings.dms_http_timeout_seconds) as client,
        session_scope(engine) as session,
    ):
        summary = dms_outbox.deliver_due(
            session,
            client=client,
            now=utcnow(),
            allowed_networks=settings.dms_outbound_allow_networks,
        )
    if summary.delivered or summary.retrying or summary.failed:
        log.info(
            "DMS outbox: %d delivered, %d to retry, %d failed",
            summary.delivered,
            summary.retrying,
            summary.failed,
        )
    return summary


def register_jobs(scheduler: BaseScheduler) -> None:
    scheduler.add_job(
        run_pull_connectors,
        IntervalTrigger(minutes=PULL_MINUTES),
        id="dms:pull",
        name="DMS pull connectors",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
    scheduler.add_job(
        deliver_outbox,
        IntervalTrigger(seconds=OUTBOX_SECONDS),
        id="dms:outbox",
        name="DMS booking export",
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
