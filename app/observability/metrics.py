"""Prometheus metrics: every metric object of the application is defined here.

Other modules import the object and update it; nothing else registers metrics, so names, labels
and help texts stay consistent and reviewable in one place. Label values must come from small,
fixed sets (a route template, a job name, an invitation type, a dealer code): never an id, a
path with ids in it, or anything personal.

``/metrics`` (``app/observability/router.py``) renders the default registry of the process.
Behind ``uvicorn --workers N`` each worker is its own process: set ``PROMETHEUS_MULTIPROC_DIR``
to an empty directory before starting and the endpoint aggregates every worker's samples
(prometheus_client's multiprocess mode; docs/operations.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

# HTTP (updated by app/observability/middleware.py) ----------------------------------------------
HTTP_REQUEST_DURATION = Histogram(
    "retention_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status code.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

# Contact centre -------------------------------------------------------------------------------
CALL_QUEUE_DEPTH = Gauge(
    "retention_call_queue_depth",
    "Call tasks callable now (state ready or callback due), per dealer code.",
    ["dealer"],
    multiprocess_mode="mostrecent",
)

# Nightly run ----------------------------------------------------------------------------------
INVITATIONS_COMPUTED = Counter(
    "retention_invitations_computed",
    "Invitations the nightly run created or changed, by invitation type and status.",
    ["type", "status"],
)

# Scheduled jobs (see ``job_run``) ---------------------------------------------------------------
JOB_RUNS = Counter(
    "retention_job_runs",
    "Scheduled job runs by job name and outcome (succeeded, failed, skipped).",
    ["job", "outcome"],
)
JOB_DURATION = Histogram(
    "retention_job_duration_seconds",
    "Duration of scheduled job runs that finished (succeeded or failed), by job name.",
    ["job"],
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0),
)
JOB_LAST_SUCCESS = Gauge(
    "retention_job_last_success_timestamp_seconds",
    "Unix time of the job's last successful run (alert when it is older than a day).",
    ["job"],
    multiprocess_mode="max",
)

JOB_RUN_RECORDS = Gauge(
    "retention_job_run_records",
    "Recorded job runs (the job_run table, kept RETENTION_JOB_RUN_KEEP_DAYS) by job and state "
    "(running, succeeded, failed); read from the database at each scrape.",
    ["job", "state"],
    multiprocess_mode="mostrecent",
)

# DMS outbox -----------------------------------------------------------------------------------
OUTBOX_BACKLOG = Gauge(
    "retention_outbox_backlog",
    "Outbox messages (bookings for the DMS) not yet delivered.",
    multiprocess_mode="mostrecent",
)

# Database faults (updated by app/db_faults.py) ------------------------------------------------
DB_RETRIES = Counter(
    "retention_db_retries",
    "Transactions run again after a transient database error, by reason.",
    ["reason"],
)


@contextmanager
def job_run(job: str) -> Iterator[None]:
    """Time a job run and count its outcome; a raised exception counts as ``failed`` and is
    re-raised. Use ``JOB_RUNS.labels(job=..., outcome="skipped").inc()`` for a skipped run."""
    start = time.perf_counter()
    try:
        yield
    except BaseException:
        JOB_RUNS.labels(job=job, outcome="failed").inc()
        JOB_DURATION.labels(job=job).observe(time.perf_counter() - start)
        raise
    JOB_RUNS.labels(job=job, outcome="succeeded").inc()
    JOB_DURATION.labels(job=job).observe(time.perf_counter() - start)
    JOB_LAST_SUCCESS.labels(job=job).set_to_current_time()


def render() -> tuple[bytes, str]:
    """The exposition text of this process, or of every worker in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
