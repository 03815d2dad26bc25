"""Fixed-window rate-limit counters, shared by every API replica through the database."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class RateLimitCounter(SQLModel, table=True):
    __tablename__ = "rate_limit_counter"

    # e.g. "login:address:203.0.113.7" or "login:account:<sha256 of the e-mail>"
    bucket: str = Field(max_length=128, primary_key=True)
    window_start: int = Field(primary_key=True, description="epoch seconds")
    count: int = 0
