"""Who is calling: a signed-in user or an integration API key, with the dealers they may see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, true

from app.audit.models import ActorType
from app.audit.service import Actor
from app.enums import Role

# None means every dealer (a platform administrator); otherwise the ids of the caller's dealers.
DealerScope = frozenset[int] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    kind: ActorType
    id: int
    role: Role | None = None
    scopes: frozenset[str] = frozenset()
    dealer_ids: DealerScope = frozenset()
    request_id: str | None = None
    ip: str | None = None

    @property
    def is_global(self) -> bool:
        return self.dealer_ids is None

    @property
    def actor(self) -> Actor:
        return Actor(type=self.kind, id=self.id, request_id=self.request_id, ip=self.ip)

    def sees(self, dealer_id: int | None) -> bool:
        return self.dealer_ids is None or (dealer_id is not None and dealer_id in self.dealer_ids)


def in_scope(column: Any, dealer_ids: DealerScope) -> ColumnElement[bool]:
    """A WHERE clause keeping rows whose ``column`` (a dealer id) the caller may see."""
    if dealer_ids is None:
        return true()
    return column.in_(sorted(dealer_ids))  # type: ignore[no-any-return]


def scope_of(ids: Iterable[int] | None) -> DealerScope:
    return None if ids is None else frozenset(ids)
