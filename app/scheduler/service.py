"""Reading the job runs (``GET /api/v1/job-runs``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from app.errors import PermissionDenied
from app.scheduler.models import JobRunPublic, JobRunsPublic
from app.scheduler.repository import JobRunRepository
from app.security.principal import DealerScope


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at  # SQLite keeps naive UTC


def list_job_runs(
    session: Session,
    *,
    dealer_ids: DealerScope,
    job: str | None,
    state: str | None,
    limit: int,
    offset: int,
) -> JobRunsPublic:
    """Newest first. The scheduler serves every dealer: platform administrators only."""
    if dealer_ids is not None:
        raise PermissionDenied("only a platform administrator may read the scheduler's job runs")
    rows, total = JobRunRepository(session).page(job=job, state=state, limit=limit, offset=offset)
    return JobRunsPublic(
        data=[
            JobRunPublic(
                id=int(r.id or 0),
                job=r.job,
                period=r.period,
                state=r.state,
                attempts=r.attempts,
                owner=r.owner,
                started_at=_utc(r.started_at),
                heartbeat_at=_utc(r.heartbeat_at),
                finished_at=_utc(r.finished_at) if r.finished_at else None,
                duration_seconds=(
                    round((r.finished_at - r.started_at).total_seconds(), 3)
                    if r.finished_at is not None
                    else None
                ),
                error=r.error,
            )
            for r in rows
        ],
        count=total,
    )
