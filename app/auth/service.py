"""Sign-in, browser sessions, users and integration API keys.

Session and key secrets are random (``secrets``); only their SHA-256 is stored. The CSRF token is
an HMAC of the session token with the deployment's secret key, so it needs no storage and is
worthless without the cookie it belongs to.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import audit
from app.audit import Actor, ActorType
from app.auth.models import (
    ApiKey,
    ApiScope,
    PreferencesUpdate,
    User,
    UserAdminPublic,
    UserCreate,
    UserSession,
    UsersPublic,
    UserUpdate,
)
from app.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from app.auth.repository import AuthRepository, SessionScope
from app.enums import Role
from app.errors import BadRequest, Conflict, NotFound, Unauthenticated, ValidationFailed
from app.security.principal import DealerScope

API_KEY_PREFIX = "rk_"
API_KEY_LOOKUP_CHARS = 12  # "rk_" and 9 random characters, stored in clear to find the row
# Touch last_seen_at / last_used_at at most once a minute: a write per request is not needed.
TOUCH_EVERY = timedelta(minutes=1)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def csrf_token_for(session_token: str, *, secret: str) -> str:
    return hmac.new(
        secret.encode("utf-8"), b"csrf:" + session_token.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for timestamptz columns; they are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str
    user: User


# Sign-in and sessions ----------------------------------------------------------------------------


def login(
    session: Session,
    *,
    email: str,
    password: str,
    actor: Actor,
    now: datetime,
    previous_token: str | None = None,
) -> NewSession:
    """Check the password and open a new session (the previous one, if any, is dropped).

    A failure is audited and committed before ``Unauthenticated`` is raised; the message does not
    say whether the e-mail exists.
    """
    repo = AuthRepository(session)
    user = repo.user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        audit.record(
            session,
            actor=Actor(type=ActorType.USER, id=user.id if user else None, **_meta(actor)),
            action="auth.login",
            outcome="failure",
            object_type="user",
            object_id=user.id if user else None,
        )
        session.commit()
        raise Unauthenticated("wrong e-mail or password")
    assert user.id is not None
    assert user.password_hash is not None
    if previous_token:
        repo.delete_session(sha256_hex(previous_token))
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=sha256_hex(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            ip=actor.ip,
        )
    )
    audit.record(
        session,
        actor=Actor(type=ActorType.USER, id=user.id, **_meta(actor)),
        action="auth.login",
        object_type="user",
        object_id=user.id,
    )
    session.commit()
    return NewSession(token=token, user=user)


def _meta(actor: Actor) -> dict[str, str | None]:
    return {"request_id": actor.request_id, "ip": actor.ip}


def authenticate_session(
    session: Session, *, token: str, now: datetime, policy: SessionPolicy
) -> SessionScope:
    """The user of a session cookie (id, role, dealers); expired sessions (idle or absolute) are
    deleted. One statement reads the session, the user and the user's dealers."""
    repo = AuthRepository(session)
    token_hash = sha256_hex(token)
    found = repo.session_scope(token_hash)
    if found is None:
        raise Unauthenticated("not signed in, or the session has ended")
    idle = now - _aware(found.last_seen_at)
    age = now - _aware(found.created_at)
    if idle > policy.idle or age > policy.absolute:
        repo.delete_session(token_hash)
        session.commit()
        raise Unauthenticated("the session has expired; sign in again")
    if not found.is_active:
        raise Unauthenticated("not signed in, or the session has ended")
    if idle > TOUCH_EVERY:
        repo.touch_session(token_hash, now=now)
        session.commit()
    return found


def logout(session: Session, *, token: str, actor: Actor) -> None:
    AuthRepository(session).delete_session(sha256_hex(token))
    audit.record(session, actor=actor, action="auth.logout", object_type="user", object_id=actor.id)
    session.commit()


def read_user(session: Session, *, user_id: int) -> User:
    user = AuthRepository(session).user(user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def dealer_ids_of(session: Session, *, user: User) -> DealerScope:
    return AuthRepository(session).dealer_ids_of(user)


# Users -------------------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    role: Role,
    password: str,
    group: str | None = None,
    dealers: Iterable[str] = (),
    actor: Actor = audit.SYSTEM,
    replace: bool = False,
) -> User:
    """Create a user (or, with ``replace``, reset an existing one's role, scope and password).

    ``group`` is a dealer group's name (every dealer of it); ``dealers`` are dealer codes.
    An admin with neither is a platform administrator.
    """
    problem = password_problem(password)
    if problem:
        raise BadRequest(problem)
    repo = AuthRepository(session)
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise BadRequest(f"{email!r} is not an e-mail address")
    group_id = None
    if group is not None:
        found = repo.group_by_name(group)
        if found is None:
            raise NotFound(f"unknown dealer group {group!r}")
        group_id = found.id
    codes = list(dict.fromkeys(dealers))
    found_dealers = repo.dealers_by_code(codes)
    missing = [c for c in codes if c not in found_dealers]
    if missing:
        raise NotFound(f"unknown dealer(s): {', '.join(missing)}")
    user = repo.user_by_email(email)
    before = None
    if user is not None:
        if not replace:
            raise Conflict(f"a user with e-mail {email!r} already exists")
        before = {"role": user.role, "group_id": user.group_id}
        repo.delete_sessions_of(user.id or 0)
    else:
        user = User(email=email, display_name=display_name, role=role.value)
    user.display_name = display_name
    user.role = role.value
    user.group_id = group_id
    user.password_hash = hash_password(password)
    user.is_active = True
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"a user with e-mail {email!r} already exists") from exc
    assert user.id is not None
    dealer_ids = sorted(d.id for d in found_dealers.values() if d.id is not None)
    repo.set_user_dealers(user.id, dealer_ids)
    audit.record(
        session,
        actor=actor,
        action="user.update" if before else "user.create",
        object_type="user",
        object_id=user.id,
        before=before,
        after={"role": user.role, "group_id": group_id, "dealer_ids": dealer_ids},
    )
    session.commit()
    return user


def first_group_name(session: Session) -> str | None:
    """The dealer group demo users are attached to (the oldest one)."""
    return AuthRepository(session).first_group_name()


# API keys ----------------------------------------------------------------------------------------


def create_api_key(
    session: Session,
    *,
    dealer_id: int,
    name: str,
    scopes: Iterable[ApiScope],
    actor: Actor,
    dealer_ids: DealerScope,
    now: datetime,
) -> tuple[ApiKey, str]:
    """A new key for a dealer the caller may see; returns the row and the secret (shown once)."""
    repo = AuthRepository(session)
    if repo.dealer(dealer_id, dealer_ids=dealer_ids) is None:
        raise NotFound("dealer not found")
    scope_values = sorted({ApiScope(s).value for s in scopes})
    if not scope_values:
        raise BadRequest("an API key needs at least one scope")
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        dealer_id=dealer_id,
        name=name,
        prefix=secret[:API_KEY_LOOKUP_CHARS],
        key_hash=sha256_hex(secret),
        scopes=scope_values,
        created_at=now,
        created_by_user_id=actor.id if actor.type == ActorType.USER else None,
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="api_key.create",
        object_type="api_key",
        object_id=key.id,
        dealer_id=dealer_id,
        after={"prefix": key.prefix, "scopes": scope_values},
    )
    session.commit()
    return key, secret


def revoke_api_key(
    session: Session, *, key_id: int, actor: Actor, dealer_ids: DealerScope, now: datetime
) -> ApiKey:
    repo = AuthRepository(session)
    key = repo.api_key(key_id, dealer_ids=dealer_ids)
    if key is None:
        raise NotFound("API key not found")
    if key.revoked_at is None:
        key.revoked_at = now
        audit.record(
            session,
            actor=actor,
            action="api_key.revoke",
            object_type="api_key",
            object_id=key.id,
            dealer_id=key.dealer_id,
            after={"prefix": key.prefix},
        )
        session.commit()
    return key


def list_api_keys(
    session: Session, *, dealer_ids: DealerScope, dealer_id: int | None, limit: int, offset: int
) -> tuple[list[ApiKey], int]:
    return AuthRepository(session).api_keys(
        dealer_ids=dealer_ids, dealer_id=dealer_id, limit=limit, offset=offset
    )


def authenticate_api_key(session: Session, *, secret: str, now: datetime) -> ApiKey:
    """The key row of a presented secret; unknown, wrong or revoked keys are all 401."""
    key = None
    if secret.startswith(API_KEY_PREFIX) and len(secret) <= 128:
        key = AuthRepository(session).api_key_by_prefix(secret[:API_KEY_LOOKUP_CHARS])
    if key is None or not hmac.compare_digest(key.key_hash, sha256_hex(secret)):
        raise Unauthenticated("unknown or revoked API key")
    if key.revoked_at is not None:
        raise Unauthenticated("unknown or revoked API key")
    if key.last_used_at is None or now - _aware(key.last_used_at) > TOUCH_EVERY:
        key.last_used_at = now
        session.commit()
    return key


# User administration and preferences -------------------------------------------------------------


def _field_error(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, [{"field": field, "location": "body", "message": message}])


def _admin_view(repo: AuthRepository, users: list[User]) -> list[UserAdminPublic]:
    linked = repo.linked_dealer_ids(int(u.id or 0) for u in users)
    return [
        UserAdminPublic(
            id=int(u.id or 0),
            email=u.email,
            display_name=u.display_name,
            role=Role(u.role),
            group_id=u.group_id,
            dealer_ids=linked.get(int(u.id or 0), []),
            language=u.language,
            is_active=u.is_active,
        )
        for u in users
    ]


def list_users(
    session: Session, *, dealer_ids: DealerScope, limit: int, offset: int
) -> UsersPublic:
    repo = AuthRepository(session)
    users, total = repo.users(dealer_ids=dealer_ids, limit=limit, offset=offset)
    return UsersPublic(data=_admin_view(repo, users), count=total, limit=limit, offset=offset)


def _writable_user(repo: AuthRepository, user_id: int, dealer_ids: DealerScope) -> User:
    """A user the administrator may change: every dealer of theirs is in the admin's scope."""
    user = repo.user(user_id)
    if user is None:
        raise NotFound("user not found")
    if dealer_ids is not None:
        scope = repo.dealer_ids_of(user)
        if scope is None or not scope or not scope <= dealer_ids:
            raise NotFound("user not found")
    return user


def _check_dealers(repo: AuthRepository, ids: list[int], dealer_ids: DealerScope) -> None:
    found = repo.dealers_by_id(ids, dealer_ids=dealer_ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"dealer(s) not found: {', '.join(map(str, missing))}")


def admin_create_user(
    session: Session, *, payload: UserCreate, actor: Actor, dealer_ids: DealerScope
) -> UserAdminPublic:
    """A new user on dealers the administrator may see; only a platform administrator creates
    users without dealers (platform administrators)."""
    problem = password_problem(payload.password)
    if problem:
        raise _field_error("password", problem)
    repo = AuthRepository(session)
    if not payload.dealer_ids:
        if dealer_ids is not None:
            raise _field_error("dealer_ids", "choose at least one dealer")
        if payload.role != Role.ADMIN:
            raise _field_error("dealer_ids", "only an administrator may have no dealers")
    _check_dealers(repo, payload.dealer_ids, dealer_ids)
    if repo.user_by_email(payload.email) is not None:
        raise Conflict(f"a user with e-mail {payload.email.lower()!r} already exists")
    codes = [d.code for d in repo.dealers_by_id(payload.dealer_ids, dealer_ids=None).values()]
    user = create_user(
        session,
        email=payload.email,
        display_name=payload.display_name,
        role=payload.role,
        password=payload.password,
        dealers=codes,
        actor=actor,
    )
    user.language = payload.language
    session.commit()
    return _admin_view(repo, [user])[0]


def update_user(
    session: Session, *, user_id: int, change: UserUpdate, actor: Actor, dealer_ids: DealerScope
) -> UserAdminPublic:
    """Change a user's name, role, dealers or active flag (audited); deactivation ends their
    sessions. Administrators cannot demote or deactivate themselves."""
    repo = AuthRepository(session)
    user = _writable_user(repo, user_id, dealer_ids)
    linked = repo.linked_dealer_ids([user_id]).get(user_id, [])
    if user.id == actor.id and (
        (change.role is not None and change.role != Role(user.role))
        or change.is_active is False
        or (change.dealer_ids is not None and change.dealer_ids != linked)
    ):
        raise Conflict("you cannot change your own role or dealers, or deactivate yourself")
    before: dict[str, object] = {
        "role": user.role,
        "dealer_ids": linked,
        "is_active": user.is_active,
    }
    if change.dealer_ids is not None:
        _check_dealers(repo, change.dealer_ids, dealer_ids)
        role = change.role or Role(user.role)
        if not change.dealer_ids and user.group_id is None and dealer_ids is not None:
            raise _field_error("dealer_ids", "choose at least one dealer")
        if not change.dealer_ids and user.group_id is None and role != Role.ADMIN:
            raise _field_error("dealer_ids", "only an administrator may have no dealers")
        repo.set_user_dealers(user_id, change.dealer_ids)
    if change.role is not None:
        user.role = change.role.value
    if change.display_name is not None:
        user.display_name = change.display_name
    if change.is_active is not None:
        user.is_active = change.is_active
        if not change.is_active:
            repo.delete_sessions_of(user_id)
    after = {
        "role": user.role,
        "dealer_ids": change.dealer_ids if change.dealer_ids is not None else linked,
        "is_active": user.is_active,
    }
    session.add(user)
    session.flush()
    if after != before or change.display_name is not None:
        audit.record(
            session,
            actor=actor,
            action="user.update",
            object_type="user",
            object_id=user_id,
            before=before,
            after=after,
        )
    session.commit()
    return _admin_view(repo, [user])[0]


def update_preferences(
    session: Session, *, user_id: int, change: PreferencesUpdate, actor: Actor
) -> User:
    user = read_user(session, user_id=user_id)
    if user.language != change.language:
        audit.record(
            session,
            actor=actor,
            action="user.preferences",
            object_type="user",
            object_id=user_id,
            before={"language": user.language},
            after={"language": change.language},
        )
        user.language = change.language
        session.add(user)
        session.commit()
    return user
