"""The one statement that authenticates a session cookie: session, user and dealer scope.

It must give exactly what the separate reads give (``dealer_ids_of``), for every shape of user,
and keep the session rules: expiry, inactive users, logout, the once-a-minute touch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.audit import Actor, ActorType
from app.auth import service as auth_service
from app.auth.models import User, UserSession
from app.auth.repository import AuthRepository
from app.dealer.models import Dealer, DealerGroup
from app.enums import Role
from app.errors import Unauthenticated
from tests.app.auth.factories import NOW, PASSWORD, create_dealer, sign_in

POLICY = auth_service.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


def _user(
    session: Session, *, role: Role, group: str | None = None, dealers: tuple[str, ...] = ()
) -> User:
    return auth_service.create_user(
        session,
        email=f"{role.value}-{len(dealers)}-{group or 'none'}-{id(dealers)}@example.test",
        display_name="Scope test",
        role=role,
        password=PASSWORD,
        group=group,
        dealers=dealers,
    )


def _group_of(session: Session, dealer_id: int) -> str:
    dealer = session.get(Dealer, dealer_id)
    assert dealer is not None
    group = session.get(DealerGroup, dealer.group_id)
    assert group is not None
    return group.name


def _group_mate(session: Session, dealer: Dealer) -> Dealer:
    mate = Dealer(
        code=f"{dealer.code}M",
        name="Group mate",
        group_id=dealer.group_id,
        country="CZ",
        time_zone="Europe/Prague",
        locale="cs",
        currency="CZK",
    )
    session.add(mate)
    session.flush()
    return mate


@pytest.mark.parametrize(
    "shape", ["linked dealers", "group", "group and a linked dealer", "platform admin", "no scope"]
)
def test_the_session_statement_gives_the_same_scope_as_dealer_ids_of(
    session: Session, shape: str
) -> None:
    a, b, c = (create_dealer(session) for _ in range(3))
    other = _group_mate(session, a)
    assert other.group_id == a.group_id
    if shape == "linked dealers":
        user = _user(session, role=Role.AGENT, dealers=(a.code, b.code))
    elif shape == "group":
        user = _user(session, role=Role.SUPERVISOR, group=_group_of(session, int(a.id or 0)))
    elif shape == "group and a linked dealer":
        group = _group_of(session, int(a.id or 0))
        user = _user(session, role=Role.MANAGER, group=group, dealers=(c.code,))
    elif shape == "platform admin":
        user = _user(session, role=Role.ADMIN)
    else:
        user = _user(session, role=Role.AGENT)
    signed = sign_in(session, user, now=NOW)

    found = AuthRepository(session).session_scope(auth_service.sha256_hex(signed.token))

    assert found is not None
    assert found.user_id == user.id
    assert found.role == user.role
    assert found.dealer_ids == auth_service.dealer_ids_of(session, user=user)
    expected = {
        "linked dealers": frozenset({a.id, b.id}),
        "group": frozenset({a.id, other.id}),
        "group and a linked dealer": frozenset({a.id, other.id, c.id}),
        "platform admin": None,
        "no scope": frozenset(),
    }[shape]
    assert found.dealer_ids == expected


def test_an_unknown_token_has_no_session(session: Session) -> None:
    assert AuthRepository(session).session_scope(auth_service.sha256_hex("nope")) is None


def test_a_logged_out_session_is_refused_at_once(session: Session) -> None:
    user = _user(session, role=Role.AGENT, dealers=(create_dealer(session).code,))
    signed = sign_in(session, user, now=NOW)
    auth_service.authenticate_session(session, token=signed.token, now=NOW, policy=POLICY)

    auth_service.logout(session, token=signed.token, actor=Actor(type=ActorType.USER, id=user.id))

    with pytest.raises(Unauthenticated):
        auth_service.authenticate_session(session, token=signed.token, now=NOW, policy=POLICY)


def test_a_deactivated_user_is_refused(session: Session) -> None:
    user = _user(session, role=Role.AGENT, dealers=(create_dealer(session).code,))
    signed = sign_in(session, user, now=NOW)
    user.is_active = False
    session.add(user)
    session.commit()

    with pytest.raises(Unauthenticated, match="not signed in"):
        auth_service.authenticate_session(session, token=signed.token, now=NOW, policy=POLICY)


def test_last_seen_is_written_at_most_once_a_minute(session: Session) -> None:
    user = _user(session, role=Role.AGENT, dealers=(create_dealer(session).code,))
    signed = sign_in(session, user, now=NOW)
    token_hash = auth_service.sha256_hex(signed.token)

    def last_seen() -> datetime:
        at: datetime = session.execute(
            select(UserSession.last_seen_at).where(UserSession.token_hash == token_hash)  # type: ignore[arg-type]
        ).scalar_one()
        return at if at.tzinfo is not None else at.replace(tzinfo=UTC)  # SQLite: naive UTC

    auth_service.authenticate_session(
        session, token=signed.token, now=NOW + timedelta(seconds=30), policy=POLICY
    )
    unchanged = last_seen()
    auth_service.authenticate_session(
        session, token=signed.token, now=NOW + timedelta(minutes=2), policy=POLICY
    )
    touched = last_seen()

    assert unchanged == NOW
    assert touched == NOW + timedelta(minutes=2)
