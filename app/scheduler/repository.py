"""Queries of ``job_run``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.scheduler.models import JobRun, JobRunState

COLUMNS = JobRun.__table__.c  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    attempts: int


class JobRunRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(
        self, *, job: str, period: str, owner: str, now: datetime, stale_before: datetime
    ) -> Claimed | None:
        """Take the run of ``job`` for ``period``: a new row, or a ``failed`` one, or a
        ``running`` one whose heartbeat is older than ``stale_before`` (its owner died).
        ``None`` when the period succeeded or a live owner is running it. Atomic on both
        databases: the insert is ``ON CONFLICT DO NOTHING``, the takeover one conditional
        ``UPDATE`` (PostgreSQL re-checks its condition on the locked row)."""
        dialect = self.session.get_bind().dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        row = self.session.execute(
            insert(JobRun)
            .values(
                job=job,
                period=period,
                state=JobRunState.RUNNING,
                attempts=1,
                owner=owner,
                started_at=now,
                heartbeat_at=now,
            )  # fmt: skip
            .on_conflict_do_nothing(index_elements=["job", "period"])
            .returning(COLUMNS.id, COLUMNS.attempts)
        ).first()
        if row is not None:
            return Claimed(id=int(row.id), attempts=int(row.attempts))
        row = self.session.execute(
            update(JobRun)
            .where(
                COLUMNS.job == job,
                COLUMNS.period == period,
                or_(
                    COLUMNS.state == JobRunState.FAILED,
                    and_(
                        COLUMNS.state == JobRunState.RUNNING,
                        or_(COLUMNS.heartbeat_at < stale_before, COLUMNS.owner == owner),
                    ),
                ),
            )
            .values(
                state=JobRunState.RUNNING,
                attempts=COLUMNS.attempts + 1,
                owner=owner,
                started_at=now,
                heartbeat_at=now,
                finished_at=None,
                error=None,
            )  # fmt: skip
            .returning(COLUMNS.id, COLUMNS.attempts)
        ).first()
        return None if row is None else Claimed(id=int(row.id), attempts=int(row.attempts))

    def heartbeat(self, run_id: int, *, owner: str, now: datetime) -> bool:
        result = self.session.execute(
            update(JobRun)
            .where(
                COLUMNS.id == run_id,
                COLUMNS.owner == owner,
                COLUMNS.state == JobRunState.RUNNING,
            )
            .values(heartbeat_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    def finish(
        self, run_id: int, *, owner: str, state: str, now: datetime, error: str | None
    ) -> bool:
        """Record the outcome; nothing (``False``) when another process took the run over."""
        result = self.session.execute(
            update(JobRun)
            .where(COLUMNS.id == run_id, COLUMNS.owner == owner)
            .values(state=state, finished_at=now, heartbeat_at=now, error=error)
        )
        return bool(getattr(result, "rowcount", 0))

    def get(self, *, job: str, period: str) -> JobRun | None:
        return (
            self.session.execute(select(JobRun).where(COLUMNS.job == job, COLUMNS.period == period))
            .scalars()
            .first()
        )

    def succeeded(self, *, job: str, period: str) -> bool:
        return (
            self.session.execute(
                select(COLUMNS.id).where(
                    COLUMNS.job == job,
                    COLUMNS.period == period,
                    COLUMNS.state == JobRunState.SUCCEEDED,
                )
            ).first()
            is not None
        )

    def page(
        self, *, job: str | None, state: str | None, limit: int, offset: int
    ) -> tuple[Sequence[JobRun], int]:
        where = []
        if job is not None:
            where.append(COLUMNS.job == job)
        if state is not None:
            where.append(COLUMNS.state == state)
        total = self.session.execute(
            select(func.count()).select_from(JobRun).where(*where)
        ).scalar_one()
        rows = (
            self.session.execute(
                select(JobRun)
                .where(*where)
                .order_by(COLUMNS.started_at.desc(), COLUMNS.id.desc())
                .limit(limit)
                .offset(offset)
            )
            .scalars()
            .all()
        )
        return rows, int(total)

    def counts(self) -> list[tuple[str, str, int, datetime | None]]:
        """(job, state, rows, latest finished_at) over the kept history."""
        rows = self.session.execute(
            select(COLUMNS.job, COLUMNS.state, func.count(), func.max(COLUMNS.finished_at))
            .group_by(COLUMNS.job, COLUMNS.state)
            .order_by(COLUMNS.job, COLUMNS.state)
        ).all()
        return [(str(r[0]), str(r[1]), int(r[2]), r[3]) for r in rows]

    def prune(self, *, finished_before: datetime) -> int:
        result = self.session.execute(
            delete(JobRun).where(
                COLUMNS.state != JobRunState.RUNNING, COLUMNS.finished_at < finished_before
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
