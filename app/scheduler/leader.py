"""Leadership on PostgreSQL: the scheduler that holds a session-level advisory lock runs the jobs.

The lock is taken with ``pg_try_advisory_lock`` on a dedicated connection (not from the pool, with
TCP keepalives) and lives exactly as long as that database session: if the process dies, the
server ends the session and releases the lock, and a standby takes it on its next poll. The
leader checks the connection every poll; a lost connection means the lock may already be
someone else's, so the leader stops running jobs and goes back to standby. Advisory locks belong
to one database, so schedulers of different databases on one server do not see each other.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

# The lock's key: any bigint that no other part of the application uses ("retn").
LOCK_KEY = 0x7265746E


def psycopg_conninfo(database_url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL."""
    url = make_url(database_url)
    params: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "password": url.password,
        "dbname": url.database,
    }
    params.update({k: v for k, v in url.query.items() if isinstance(v, str)})
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in params.items() if v is not None})


class AdvisoryLock:
    """``try_acquire`` / ``held`` / ``release`` of the scheduler's lock on its own connection."""

    def __init__(self, database_url: str, *, connect_timeout: int, key: int = LOCK_KEY) -> None:
        self.conninfo = psycopg_conninfo(database_url)
        self.connect_timeout = connect_timeout
        self.key = key
        self._conn: psycopg.Connection[Any] | None = None

    def try_acquire(self) -> bool:
        """True when this process now holds the lock (or already did)."""
        if self._conn is not None and self.held():
            return True
        try:
            conn = psycopg.connect(
                self.conninfo,
                autocommit=True,
                connect_timeout=self.connect_timeout,
                application_name="retention-scheduler",
                # A silently vanished server (a failover, a partition) is noticed in seconds.
                keepalives=1,
                keepalives_idle=5,
                keepalives_interval=2,
                keepalives_count=3,
            )
        except psycopg.Error as exc:
            log.warning("scheduler lock: database unavailable (%s)", type(exc).__name__)
            return False
        try:
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        except psycopg.Error as exc:
            log.warning("scheduler lock: could not ask for the lock (%s)", type(exc).__name__)
            conn.close()
            return False
        if not (row and row[0]):
            conn.close()
            return False
        self._conn = conn
        return True

    def held(self) -> bool:
        """True while the lock's connection answers (so the lock is still this process's)."""
        if self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1").fetchone()
        except psycopg.Error as exc:
            log.warning("scheduler lock: its connection was lost (%s)", type(exc).__name__)
            self._close()
            return False
        return True

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        except psycopg.Error:
            pass  # closing the session releases it anyway
        self._close()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except psycopg.Error:
                pass
