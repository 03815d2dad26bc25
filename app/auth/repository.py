from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, union, union_all, update
from sqlmodel import Session, col

from app.auth.models import ApiKey, User, UserDealer, UserSession
from app.dealer.models import Dealer, DealerGroup
from app.security.principal import DealerScope, in_scope

_s: Any = UserSession.__table__  # type: ignore[attr-defined]
_u: Any = User.__table__  # type: ignore[attr-defined]
_ud: Any = UserDealer.__table__  # type: ignore[attr-defined]
_dl: Any = Dealer.__table__  # type: ignore[attr-defined]


def _session_rows(dealer_column: Any, dealers: Any) -> Any:
    return (
        select(
            _s.c.created_at,
            _s.c.last_seen_at,
            _u.c.id,
            _u.c.role,
            _u.c.group_id,
            _u.c.is_active,
            dealer_column.label("dealer_id"),
        )
        .select_from(dealers(_s.join(_u, _u.c.id == _s.c.user_id)))
        .where(_s.c.token_hash == bindparam("token_hash"))
    )


# Every request signed in by cookie runs this: the session, its user and the user's dealers (the
# group's, one row each or one NULL row, then the linked ones) in one round trip. Built once, so
# SQLAlchemy neither rebuilds it nor recomputes its cache key per request.
SESSION_WITH_SCOPE = union_all(
    _session_rows(_dl.c.id, lambda j: j.outerjoin(_dl, _dl.c.group_id == _u.c.group_id)),
    _session_rows(_ud.c.dealer_id, lambda j: j.join(_ud, _ud.c.user_id == _u.c.id)),
)
TOUCH_SESSION = (
    update(_s)
    .where(_s.c.token_hash == bindparam("b_token_hash"))
    .values(last_seen_at=bindparam("b_now"))
)


@dataclass(frozen=True, slots=True)
class SessionScope:
    """A browser session with what authorising its requests needs of its user."""

    created_at: datetime
    last_seen_at: datetime
    user_id: int
    role: str
    is_active: bool
    dealer_ids: DealerScope


def scope_of_user(role: str, group_id: int | None, linked: Iterable[int | None]) -> DealerScope:
    """Every dealer a user may see (``linked``: the group's and the linked ones); None for a
    platform administrator (an admin with neither)."""
    ids = frozenset(int(i) for i in linked if i is not None)
    if role == "admin" and group_id is None and not ids:
        return None
    return ids


class AuthRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # Users -------------------------------------------------------------------------------------

    def user_by_email(self, email: str) -> User | None:
        return self.session.execute(
            select(User).where(func.lower(User.email) == email.strip().lower())
        ).scalar_one_or_none()

    def user(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def display_names(self, user_ids: set[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        rows = self.session.execute(
            select(col(User.id), col(User.display_name)).where(col(User.id).in_(sorted(user_ids)))
        ).all()
        return {int(r[0]): str(r[1]) for r in rows}

    def dealer_ids_of(self, user: User) -> DealerScope:
        """Every dealer the user may see; None for a platform administrator.

        One query (it runs on every request): the linked dealers and the group's."""
        stmt: Any = select(col(UserDealer.dealer_id)).where(col(UserDealer.user_id) == user.id)
        if user.group_id is not None:
            stmt = union(stmt, select(col(Dealer.id)).where(col(Dealer.group_id) == user.group_id))
        return scope_of_user(user.role, user.group_id, self.session.execute(stmt).scalars())

    def set_user_dealers(self, user_id: int, dealer_ids: Iterable[int]) -> None:
        self.session.execute(delete(UserDealer).where(col(UserDealer.user_id) == user_id))
        for dealer_id in sorted(set(dealer_ids)):
            self.session.add(UserDealer(user_id=user_id, dealer_id=dealer_id))

    def group_by_name(self, name: str) -> DealerGroup | None:
        return self.session.execute(
            select(DealerGroup).where(col(DealerGroup.name) == name)
        ).scalar_one_or_none()

    def first_group_name(self) -> str | None:
        return self.session.execute(
            select(col(DealerGroup.name)).order_by(col(DealerGroup.id)).limit(1)
        ).scalar_one_or_none()

    def dealers_by_code(self, codes: Iterable[str]) -> dict[str, Dealer]:
        rows = self.session.execute(select(Dealer).where(col(Dealer.code).in_(list(codes))))
        return {d.code: d for d in rows.scalars()}

    def dealer(self, dealer_id: int, *, dealer_ids: DealerScope) -> Dealer | None:
        return self.session.execute(
            select(Dealer).where(col(Dealer.id) == dealer_id, in_scope(Dealer.id, dealer_ids))
        ).scalar_one_or_none()

    # Sessions ----------------------------------------------------------------------------------

    def session_scope(self, token_hash: str) -> SessionScope | None:
        """The session of ``token_hash`` with its user's role and dealers (one statement)."""
        rows = self.session.execute(SESSION_WITH_SCOPE, {"token_hash": token_hash}).all()
        if not rows:
            return None
        first = rows[0]
        return SessionScope(
            created_at=first.created_at,
            last_seen_at=first.last_seen_at,
            user_id=int(first.id),
            role=str(first.role),
            is_active=bool(first.is_active),
            dealer_ids=scope_of_user(first.role, first.group_id, (r.dealer_id for r in rows)),
        )

    def touch_session(self, token_hash: str, *, now: datetime) -> None:
        self.session.execute(TOUCH_SESSION, {"b_token_hash": token_hash, "b_now": now})

    def delete_session(self, token_hash: str) -> None:
        self.session.execute(delete(UserSession).where(col(UserSession.token_hash) == token_hash))

    def delete_sessions_of(self, user_id: int, *, idle_before: datetime | None = None) -> None:
        stmt = delete(UserSession).where(col(UserSession.user_id) == user_id)
        if idle_before is not None:
            stmt = stmt.where(col(UserSession.last_seen_at) < idle_before)
        self.session.execute(stmt)

    # API keys ----------------------------------------------------------------------------------

    def api_key_by_prefix(self, prefix: str) -> ApiKey | None:
        return self.session.execute(
            select(ApiKey).where(col(ApiKey.prefix) == prefix)
        ).scalar_one_or_none()

    def api_key(self, key_id: int, *, dealer_ids: DealerScope) -> ApiKey | None:
        return self.session.execute(
            select(ApiKey).where(col(ApiKey.id) == key_id, in_scope(ApiKey.dealer_id, dealer_ids))
        ).scalar_one_or_none()

    def api_keys(
        self, *, dealer_ids: DealerScope, dealer_id: int | None, limit: int, offset: int
    ) -> tuple[list[ApiKey], int]:
        conditions = [in_scope(ApiKey.dealer_id, dealer_ids)]
        if dealer_id is not None:
            conditions.append(col(ApiKey.dealer_id) == dealer_id)
        total = self.session.execute(
            select(func.count()).select_from(ApiKey).where(*conditions)
        ).scalar_one()
        rows = self.session.execute(
            select(ApiKey).where(*conditions).order_by(col(ApiKey.id)).limit(limit).offset(offset)
        ).scalars()
        return list(rows), int(total)

    # User administration -----------------------------------------------------------------------

    def linked_dealer_ids(self, user_ids: Iterable[int]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        rows = self.session.execute(
            select(col(UserDealer.user_id), col(UserDealer.dealer_id))
            .where(col(UserDealer.user_id).in_(list(user_ids)))
            .order_by(col(UserDealer.dealer_id))
        )
        for user_id, dealer_id in rows.tuples():
            out.setdefault(int(user_id), []).append(int(dealer_id))
        return out

    def users(self, *, dealer_ids: DealerScope, limit: int, offset: int) -> tuple[list[User], int]:
        """Users sharing at least one dealer with the scope (every user for a platform admin)."""
        conditions = []
        if dealer_ids is not None:
            scope = sorted(dealer_ids)
            conditions.append(
                col(User.id).in_(
                    select(col(UserDealer.user_id)).where(col(UserDealer.dealer_id).in_(scope))
                )
                | col(User.group_id).in_(
                    select(col(Dealer.group_id)).where(col(Dealer.id).in_(scope))
                )
            )
        total = self.session.execute(
            select(func.count()).select_from(User).where(*conditions)
        ).scalar_one()
        rows = self.session.execute(
            select(User).where(*conditions).order_by(col(User.email)).limit(limit).offset(offset)
        ).scalars()
        return list(rows), int(total)

    def dealers_by_id(self, ids: Iterable[int], *, dealer_ids: DealerScope) -> dict[int, Dealer]:
        rows = self.session.execute(
            select(Dealer).where(col(Dealer.id).in_(list(ids)), in_scope(Dealer.id, dealer_ids))
        )
        return {int(d.id or 0): d for d in rows.scalars()}
