"""``GET /api/v1/job-runs``: the scheduler's job runs, for platform administrators."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.deps import AdminUser, SessionDep
from app.scheduler import service as scheduler_service
from app.scheduler.models import JobRunsPublic

router = APIRouter(prefix="/job-runs", tags=["operations"])


@router.get("", response_model=JobRunsPublic)
def list_job_runs(
    caller: AdminUser,
    session: SessionDep,
    job: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    state: Literal["running", "succeeded", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> JobRunsPublic:
    """Scheduled job runs, newest first: job, period, state, attempts, owner, timings, error."""
    return scheduler_service.list_job_runs(
        session, dealer_ids=caller.dealer_ids, job=job, state=state, limit=limit, offset=offset
    )
