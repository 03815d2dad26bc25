"""Database faults: which errors are transient, retrying idempotent work, and the 503 answer.

A dropped connection (PostgreSQL restarted, a backend terminated, a failover), a serialization
failure or a deadlock says nothing about the request itself: run again, the same work succeeds.
``run_in_transaction`` reruns a unit of work on a fresh session after such an error, with
exponential backoff and jitter (tenacity). Use it only for work that is idempotent as a whole,
i.e. that commits once at its end or whose writes are upserts keyed by a unique constraint
(the nightly run, claiming a task, delivering the outbox); a request that failed half-way left
nothing behind, because its transaction was rolled back with the connection.

Everything else that reaches the HTTP layer as a database outage is answered by
``database_unavailable``: 503 with ``Retry-After`` and ``{"detail": ...}`` telling the caller to
retry, instead of a bare 500. Checking pooled connections before use (``pool_pre_ping``, set in
``app/db.py``) means a connection that died while idle is replaced, not handed to a request.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlmodel import Session
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from app.observability.metrics import DB_RETRIES

log = logging.getLogger(__name__)
T = TypeVar("T")

# SQLSTATEs worth a retry (PostgreSQL appendix A): serialization_failure, deadlock_detected,
# admin_shutdown (pg_terminate_backend, a fast shutdown), crash_shutdown, cannot_connect_now
# (the server is starting or in recovery), too_many_connections. Class 08 is "connection
# exception" as a whole.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "57P01", "57P02", "57P03", "53300"})
RETRY_AFTER_SECONDS = 2
UNAVAILABLE_DETAIL = (
    "The database is unavailable or busy; the request was not completed. Retry in a few seconds."
)


def sqlstate_of(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    state = getattr(orig, "sqlstate", None)
    return state if isinstance(state, str) else None


def reason_of(exc: BaseException) -> str:
    """A short, value-free label for logs and metrics (never the statement or its parameters)."""
    state = sqlstate_of(exc)
    if state == "40001":
        return "serialization_failure"
    if state == "40P01":
        return "deadlock"
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "connection_lost"
    if isinstance(exc, PoolTimeoutError):
        return "pool_timeout"
    if state is not None:
        return f"sqlstate_{state}"
    if isinstance(getattr(exc, "orig", None), sqlite3.OperationalError):
        return "sqlite_busy"
    return "connection_error"


def is_transient(exc: BaseException) -> bool:
    """True when running the same transaction again may succeed."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    if isinstance(orig, sqlite3.OperationalError):
        # "no such table" is an OperationalError too; only lock contention is transient.
        text = str(orig).lower()
        return "locked" in text or "busy" in text
    state = sqlstate_of(exc)
    if state is not None:
        return state in TRANSIENT_SQLSTATES or state.startswith("08")
    # psycopg reports a refused or broken connection without a SQLSTATE.
    return isinstance(exc, OperationalError)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    reason = reason_of(exc) if exc else "unknown"
    DB_RETRIES.labels(reason=reason).inc()
    log.warning(
        "transient database error (%s) on attempt %d; retrying",
        reason,
        state.attempt_number,
        extra={"db_error": reason, "attempt": state.attempt_number},
    )


def retrying(*, attempts: int = 5, base_delay: float = 0.1, max_delay: float = 3.0) -> Retrying:
    """A tenacity ``Retrying`` for transient database errors (exponential backoff, full
    jitter); the last error is re-raised as it was."""
    return Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(attempts),
        wait=wait_random_exponential(multiplier=base_delay, max=max_delay),
        before_sleep=_log_retry,
        reraise=True,
    )


def run_in_transaction(
    work: Callable[[Session], T],
    *,
    engine: Engine | None = None,
    attempts: int = 5,
    base_delay: float = 0.1,
    max_delay: float = 3.0,
) -> T:
    """Run ``work(session)`` on a fresh session, again after a transient error.

    ``work`` must be idempotent as a whole: it commits once at its end (every service write
    function does) or its writes are keyed upserts. A failed attempt's session is closed, which
    rolls back whatever it had not committed. The default gives up after about 10 seconds,
    long enough for a PostgreSQL restart or a failover.
    """
    from app.db import get_engine

    bind = engine or get_engine()
    for attempt in retrying(attempts=attempts, base_delay=base_delay, max_delay=max_delay):
        with attempt, Session(bind) as session:
            return work(session)
    raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover


def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503 for an outage, a lost connection, an exhausted pool or a conflict that a retry
    resolves. Logged without the statement or its parameters (they may hold personal data)."""
    if not (is_transient(exc) or isinstance(exc, PoolTimeoutError)):
        raise exc  # a real bug ("no such table", a bad statement): the generic 500
    reason = reason_of(exc)
    log.warning(
        "database unavailable (%s) during %s %s",
        reason,
        request.method,
        request.url.path,
        extra={"db_error": reason},
    )
    return JSONResponse(
        {"detail": UNAVAILABLE_DETAIL},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


# The exception classes ``database_unavailable`` answers (registered in app/main.py).
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (OperationalError, PoolTimeoutError)
