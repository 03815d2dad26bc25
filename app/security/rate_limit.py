"""Fixed-window rate limits kept in the database, so every API replica shares the counters.

Each hit is one ``INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count``
(SQLite >= 3.35 and PostgreSQL), committed on its own connection: a request that fails afterwards
(a wrong password) still counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Connection, Engine, delete
from sqlalchemy.dialects import postgresql, sqlite

from app.db import get_engine
from app.errors import TooManyRequests
from app.model_base import utcnow
from app.security.models import RateLimitCounter

_TABLE: Any = RateLimitCounter.__table__  # type: ignore[attr-defined]


class RateLimiter:
    def __init__(self, bind: Engine | Connection) -> None:
        # An Engine in the application; a Connection in tests (counters inside a savepoint).
        self.bind = bind

    def hit(
        self,
        bucket: str,
        *,
        limit: int,
        window_seconds: int = 60,
        now: datetime | None = None,
        message: str = "too many requests",
    ) -> int:
        """Count one request in ``bucket``; raise ``TooManyRequests`` (429) past ``limit``."""
        now_s = int((now or utcnow()).timestamp())
        start = now_s - now_s % window_seconds
        count = self._increment(bucket[:128], start)
        if count > limit:
            retry_after = start + window_seconds - now_s
            raise TooManyRequests(f"{message}; retry in {retry_after} s", retry_after=retry_after)
        return count

    def _increment(self, bucket: str, window_start: int) -> int:
        dialect = self.bind.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = (
            insert(_TABLE)
            .values(bucket=bucket, window_start=window_start, count=1)
            .on_conflict_do_update(
                index_elements=[_TABLE.c.bucket, _TABLE.c.window_start],
                set_={"count": _TABLE.c["count"] + 1},
            )
            .returning(_TABLE.c["count"])
        )
        purge = delete(_TABLE).where(
            _TABLE.c.bucket == bucket, _TABLE.c.window_start < window_start
        )
        if isinstance(self.bind, Engine):
            engine = self.bind
            if dialect == "sqlite":
                engine = engine.execution_options(sqlite_begin="IMMEDIATE")
            with engine.begin() as conn:
                count = int(conn.execute(stmt).scalar_one())
                if count == 1:  # a new window: drop this bucket's old ones
                    conn.execute(purge)
            return count
        with self.bind.begin_nested():
            count = int(self.bind.execute(stmt).scalar_one())
            if count == 1:
                self.bind.execute(purge)
        return count


def get_rate_limiter() -> RateLimiter:
    return RateLimiter(get_engine())


RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
