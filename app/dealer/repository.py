"""Queries for dealers and dealer groups."""

from __future__ import annotations

from sqlalchemy import Engine, exists, func, select
from sqlmodel import Session, col

from app.dealer.models import Dealer, DealerGroup
from app.security.principal import DealerScope, in_scope


def database_has_dealers(engine: Engine) -> bool:
    with Session(engine) as session:
        return bool(session.execute(select(exists().where(Dealer.id.is_not(None)))).scalar())  # type: ignore[union-attr]


class DealerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def dealers(
        self, *, dealer_ids: DealerScope, limit: int, offset: int
    ) -> tuple[list[Dealer], int]:
        where = in_scope(Dealer.id, dealer_ids)
        total = self.session.execute(
            select(func.count()).select_from(Dealer).where(where)
        ).scalar_one()
        rows = self.session.execute(
            select(Dealer).where(where).order_by(col(Dealer.code)).limit(limit).offset(offset)
        ).scalars()
        return list(rows), int(total)

    def dealer(self, dealer_id: int, *, dealer_ids: DealerScope) -> Dealer | None:
        return self.session.execute(
            select(Dealer).where(col(Dealer.id) == dealer_id, in_scope(Dealer.id, dealer_ids))
        ).scalar_one_or_none()

    def group(self, group_id: int) -> DealerGroup | None:
        return self.session.get(DealerGroup, group_id)
