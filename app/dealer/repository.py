"""Queries for dealers and dealer groups."""

from __future__ import annotations

from sqlalchemy import Engine, exists, select
from sqlmodel import Session

from app.dealer.models import Dealer


def database_has_dealers(engine: Engine) -> bool:
    with Session(engine) as session:
        return bool(session.execute(select(exists().where(Dealer.id.is_not(None)))).scalar())  # type: ignore[union-attr]
