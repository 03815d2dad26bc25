"""``job_run``: one row per scheduled job and period, so a run is never done twice."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.model_base import enum_check, tz_datetime


class JobRunState:
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


JOB_RUN_STATES = (JobRunState.RUNNING, JobRunState.SUCCEEDED, JobRunState.FAILED)


class JobRun(SQLModel, table=True):
    """A scheduled job's run for one period (``nightly:Europe/Prague`` for ``2026-11-23``,
    ``release-leases`` for the minute ``2026-11-23T13:31Z``).

    Unique on (job, period): a period that ``succeeded`` is never run again; a ``failed`` one, or
    a ``running`` one whose owner stopped sending heartbeats (a killed scheduler), is taken over
    by the next attempt, which increments ``attempts`` and becomes the ``owner``.
    """

    __tablename__ = "job_run"
    __table_args__ = (
        UniqueConstraint("job", "period"),
        enum_check("state", JOB_RUN_STATES),
        Index("ix_job_run_started_at", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=100)
    period: str = Field(max_length=40)
    state: str = Field(max_length=16)
    attempts: int = Field(default=1)
    owner: str = Field(max_length=200, description="host:pid:token of the process running it")
    started_at: datetime = Field(sa_type=tz_datetime())
    heartbeat_at: datetime = Field(sa_type=tz_datetime())
    finished_at: datetime | None = Field(default=None, sa_type=tz_datetime())
    error: str | None = Field(default=None, max_length=1000)


# API models --------------------------------------------------------------------------------------


class JobRunPublic(BaseModel):
    id: int
    job: str
    period: str
    state: str
    attempts: int
    owner: str
    started_at: datetime
    heartbeat_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None
    error: str | None


class JobRunsPublic(BaseModel):
    data: list[JobRunPublic]
    count: int
