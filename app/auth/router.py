"""Sign-in (``/auth``) and integration API keys (``/api-keys``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from app.audit import Actor, ActorType
from app.auth import service as auth_service
from app.auth.models import (
    ApiKey,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    ApiKeysPublic,
    LoginIn,
    PreferencesUpdate,
    SessionPublic,
    User,
    UserAdminPublic,
    UserCreate,
    UserPublic,
    UsersPublic,
    UserUpdate,
)
from app.deps import AdminUser, AnyUser, SessionDep, SettingsDep
from app.enums import Role
from app.model_base import utcnow
from app.security.access import SESSION_COOKIE, public, request_meta
from app.security.principal import DealerScope
from app.security.rate_limit import RateLimiterDep
from app.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])
keys_router = APIRouter(prefix="/api-keys", tags=["api keys"])

UNAUTHENTICATED: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in, or the session has expired"}
}
LIMITED: dict[int | str, dict[str, Any]] = {
    429: {"description": "Too many attempts; see Retry-After"}
}


def _session_public(
    session_token: str, user: User, scope: DealerScope, settings: Settings
) -> SessionPublic:
    assert user.id is not None
    return SessionPublic(
        user=UserPublic(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=Role(user.role),
            group_id=user.group_id,
            dealer_ids=None if scope is None else sorted(scope),
        ),
        csrf_token=auth_service.csrf_token_for(
            session_token, secret=settings.secret_key.get_secret_value()
        ),
    )


@router.post(
    "/login",
    response_model=SessionPublic,
    dependencies=[Depends(public())],
    responses={**UNAUTHENTICATED, **LIMITED},
)
def login(
    payload: LoginIn,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> SessionPublic:
    """Sign in: sets the session cookie and returns the CSRF token for later writes."""
    request_id, ip = request_meta(request)
    limiter.hit(
        f"login:address:{ip}",
        limit=settings.login_limit_per_address,
        message="too many sign-in attempts from this address",
    )
    limiter.hit(
        f"login:account:{auth_service.sha256_hex(payload.email.strip().lower())}",
        limit=settings.login_limit_per_account,
        message="too many sign-in attempts for this account",
    )
    new = auth_service.login(
        session,
        email=payload.email,
        password=payload.password,
        actor=Actor(type=ActorType.USER, request_id=request_id, ip=ip),
        now=utcnow(),
        previous_token=request.cookies.get(SESSION_COOKIE),
    )
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        max_age=settings.session_absolute_hours * 3600,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    scope = auth_service.dealer_ids_of(session, user=new.user)
    return _session_public(new.token, new.user, scope, settings)


@router.post("/logout", status_code=204, responses=UNAUTHENTICATED)
def logout(request: Request, response: Response, caller: AnyUser, session: SessionDep) -> Response:
    """End the session (server-side) and clear the cookie."""
    token = request.cookies.get(SESSION_COOKIE, "")
    auth_service.logout(session, token=token, actor=caller.actor)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=SessionPublic, responses=UNAUTHENTICATED)
def read_me(
    request: Request, caller: AnyUser, session: SessionDep, settings: SettingsDep
) -> SessionPublic:
    """The signed-in user, its dealers, and the CSRF token to send on writes."""
    user = auth_service.read_user(session, user_id=caller.id)
    return _session_public(
        request.cookies.get(SESSION_COOKIE, ""), user, caller.dealer_ids, settings
    )


def _key_public(key: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic.model_validate(key, from_attributes=True)


@keys_router.get("", response_model=ApiKeysPublic, responses=UNAUTHENTICATED)
def list_api_keys(
    caller: AdminUser,
    session: SessionDep,
    dealer_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> ApiKeysPublic:
    """API keys of the dealers the administrator may see (never the secrets)."""
    keys, total = auth_service.list_api_keys(
        session, dealer_ids=caller.dealer_ids, dealer_id=dealer_id, limit=limit, offset=offset
    )
    return ApiKeysPublic(data=[_key_public(k) for k in keys], count=total)


@keys_router.post(
    "",
    response_model=ApiKeyCreated,
    status_code=201,
    responses={404: {"description": "No such dealer"}, **UNAUTHENTICATED},
)
def create_api_key(payload: ApiKeyCreate, caller: AdminUser, session: SessionDep) -> ApiKeyCreated:
    """Create a key for one dealer; the secret is in this response only."""
    key, secret = auth_service.create_api_key(
        session,
        dealer_id=payload.dealer_id,
        name=payload.name,
        scopes=payload.scopes,
        actor=caller.actor,
        dealer_ids=caller.dealer_ids,
        now=utcnow(),
    )
    return ApiKeyCreated(**_key_public(key).model_dump(), key=secret)


@keys_router.post(
    "/{key_id}/revoke",
    response_model=ApiKeyPublic,
    responses={404: {"description": "No such key"}, **UNAUTHENTICATED},
)
def revoke_api_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1)], caller: AdminUser, session: SessionDep
) -> ApiKeyPublic:
    """Revoke a key at once (idempotent)."""
    key = auth_service.revoke_api_key(
        session, key_id=key_id, actor=caller.actor, dealer_ids=caller.dealer_ids, now=utcnow()
    )
    return _key_public(key)


@router.patch("/me", response_model=SessionPublic, responses=UNAUTHENTICATED)
def update_me(
    change: PreferencesUpdate,
    request: Request,
    caller: AnyUser,
    session: SessionDep,
    settings: SettingsDep,
) -> SessionPublic:
    """Change the signed-in user's preferences (the UI language)."""
    user = auth_service.update_preferences(
        session, user_id=caller.id, change=change, actor=caller.actor
    )
    return _session_public(
        request.cookies.get(SESSION_COOKIE, ""), user, caller.dealer_ids, settings
    )


users_router = APIRouter(prefix="/users", tags=["users"])
UserId = Annotated[int, Path(ge=1, le=2**31 - 1)]
USER_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such user (or dealer) among your dealers"},
    **UNAUTHENTICATED,
}


@users_router.get("", response_model=UsersPublic, responses=UNAUTHENTICATED)
def list_users(
    caller: AdminUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> UsersPublic:
    """Users sharing a dealer with the administrator (a platform administrator sees all)."""
    return auth_service.list_users(
        session, dealer_ids=caller.dealer_ids, limit=limit, offset=offset
    )


@users_router.post(
    "",
    response_model=UserAdminPublic,
    status_code=201,
    responses={**USER_NOT_FOUND, 409: {"description": "The e-mail is taken"}},
)
def create_user(payload: UserCreate, caller: AdminUser, session: SessionDep) -> UserAdminPublic:
    """Create a user on some of your dealers (audited)."""
    return auth_service.admin_create_user(
        session, payload=payload, actor=caller.actor, dealer_ids=caller.dealer_ids
    )


@users_router.patch(
    "/{user_id}",
    response_model=UserAdminPublic,
    responses={**USER_NOT_FOUND, 409: {"description": "You cannot demote or deactivate yourself"}},
)
def update_user(
    user_id: UserId, change: UserUpdate, caller: AdminUser, session: SessionDep
) -> UserAdminPublic:
    """Change a user's name, role, dealers or active flag (audited)."""
    return auth_service.update_user(
        session, user_id=user_id, change=change, actor=caller.actor, dealer_ids=caller.dealer_ids
    )
