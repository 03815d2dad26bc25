"""Deny by default: every route under ``/api`` declares who may call it.

A route declares access with exactly one of::

    caller: Annotated[Principal, Depends(allow(roles={Role.ADMIN}, scopes={ApiScope.READ}))]
    @router.post("/login", dependencies=[Depends(public())])

Routes outside ``/api`` that are not open to everyone declare their own guard here too:
``metrics_reader`` for Prometheus' ``/metrics``.

``allow`` authenticates the caller (session cookie, or an API key in ``X-API-Key`` /
``Authorization: Bearer``), checks CSRF for cookie requests that change state, checks the role or
the key's scopes and returns the ``Principal``. The returned callable carries ``access_rule``;
``check_declarations`` runs at app creation and refuses to build an app in which an ``/api``
route has no rule, so forgetting one is impossible.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlmodel import Session

from app.audit.models import ActorType
from app.auth import service as auth_service
from app.auth.models import ApiScope
from app.db import get_session
from app.enums import Role
from app.errors import PermissionDenied, Unauthenticated
from app.model_base import utcnow
from app.security.principal import Principal
from app.settings import Settings, get_settings

SESSION_COOKIE = "retention_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALL_ROLES = frozenset(Role)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True, slots=True)
class AccessRule:
    """Who may call a route: nobody is implied. ``public`` routes need no credentials."""

    public: bool = False
    roles: frozenset[Role] = frozenset()
    scopes: frozenset[ApiScope] = frozenset()

    def admits_role(self, role: Role) -> bool:
        return self.public or role in self.roles

    def admits_scopes(self, scopes: Iterable[str]) -> bool:
        return self.public or bool(self.scopes & {ApiScope(s) for s in scopes})


def allow(
    *, roles: Iterable[Role] = (), scopes: Iterable[ApiScope] = ()
) -> Callable[..., Principal]:
    """A dependency admitting users with one of ``roles`` and API keys with one of ``scopes``."""
    rule = AccessRule(roles=frozenset(roles), scopes=frozenset(scopes))
    if not rule.roles and not rule.scopes:
        raise ValueError("allow() needs at least one role or scope; use public() for none")

    def guard(request: Request, session: Annotated[Session, Depends(get_session)]) -> Principal:
        # get_settings is called, not a dependency: a sync dependency costs a thread-pool hop.
        return authorize(request, session=session, settings=get_settings(), rule=rule)

    guard.access_rule = rule  # type: ignore[attr-defined]
    return guard


def public() -> Callable[[], None]:
    """A dependency declaring a route open to anyone (sign-in)."""

    def guard() -> None:
        return None

    guard.access_rule = AccessRule(public=True)  # type: ignore[attr-defined]
    return guard


def request_meta(request: Request) -> tuple[str, str | None]:
    """(request id, client address) for the audit log; the id is the one the response echoes
    and the logs carry (app/observability/middleware.py)."""
    request_id = getattr(request.state, "request_id", None)
    if not isinstance(request_id, str):
        sent = request.headers.get("x-request-id", "")
        request_id = sent if _REQUEST_ID.match(sent) else uuid.uuid4().hex
    return request_id, request.client.host if request.client else None


def metrics_reader() -> Callable[..., None]:
    """Who may read ``/metrics``: with ``RETENTION_METRICS_TOKEN`` set, callers presenting it as
    ``Authorization: Bearer``; without it, clients on the loopback interface only (a sidecar or
    a node-local agent). Metrics hold no personal data, but dealer codes and traffic figures
    are nobody else's business (docs/operations.md)."""

    def guard(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> None:
        if settings.metrics_token is not None:
            scheme, _, sent = request.headers.get("authorization", "").partition(" ")
            expected = settings.metrics_token.get_secret_value()
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                sent.strip().encode("utf-8"), expected.encode("utf-8")
            ):
                raise Unauthenticated(
                    "send the metrics token as 'Authorization: Bearer <RETENTION_METRICS_TOKEN>'",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            return
        host = request.client.host if request.client else ""
        if not _is_loopback(host):
            raise PermissionDenied(
                "metrics are served to loopback clients only; set RETENTION_METRICS_TOKEN "
                "to let a remote Prometheus scrape with a bearer token"
            )

    return guard


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _api_key_of(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def authorize(
    request: Request, *, session: Session, settings: Settings, rule: AccessRule
) -> Principal:
    now = utcnow()
    request_id, ip = request_meta(request)
    secret = _api_key_of(request)
    if secret is not None:
        key = auth_service.authenticate_api_key(session, secret=secret, now=now)
        if not rule.admits_scopes(key.scopes):
            raise PermissionDenied("this API key's scopes do not allow this operation")
        assert key.id is not None
        principal = Principal(
            kind=ActorType.API_KEY,
            id=key.id,
            scopes=frozenset(key.scopes),
            dealer_ids=frozenset({key.dealer_id}),
            request_id=request_id,
            ip=ip,
        )
        _end_read_transaction(session)
        return principal
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthenticated(
            "sign in first (POST /api/v1/auth/login) or send an API key in X-API-Key"
        )
    policy = auth_service.SessionPolicy(
        idle=_minutes(settings.session_idle_minutes),
        absolute=_minutes(settings.session_absolute_hours * 60),
    )
    found = auth_service.authenticate_session(session, token=token, now=now, policy=policy)
    if request.method.upper() not in SAFE_METHODS:
        expected = auth_service.csrf_token_for(token, secret=settings.secret_key.get_secret_value())
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8")):
            raise PermissionDenied(
                f"missing or wrong {CSRF_HEADER} header (GET /api/v1/auth/me returns it)"
            )
    role = Role(found.role)
    if not rule.admits_role(role):
        raise PermissionDenied("your role does not allow this operation")
    principal = Principal(
        kind=ActorType.USER,
        id=found.user_id,
        role=role,
        dealer_ids=found.dealer_ids,
        request_id=request_id,
        ip=ip,
    )
    _end_read_transaction(session)
    return principal


def _end_read_transaction(session: Session) -> None:
    """End the authentication reads' transaction before the route runs.

    On SQLite (WAL) a transaction that read before another connection committed (the rate
    limiter commits on its own connection) can no longer write: it fails at once with
    "database is locked". The route's service starts a fresh transaction instead.
    """
    session.commit()


def _minutes(value: int) -> timedelta:
    return timedelta(minutes=value)


# Introspection -------------------------------------------------------------------------------


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for dep in dependant.dependencies:
        yield dep
        yield from _walk(dep)


def access_rule_of(route: APIRoute) -> AccessRule | None:
    """The route's declared rule; ``ValueError`` when it declares more than one."""
    rules: list[AccessRule] = [
        d.call.access_rule  # type: ignore[attr-defined]
        for d in _walk(route.dependant)
        if d.call is not None and isinstance(getattr(d.call, "access_rule", None), AccessRule)
    ]
    unique = set(rules)
    if len(unique) > 1:
        raise ValueError(
            f"{sorted(route.methods or ())} {route.path} declares several access rules"
        )
    return rules[0] if rules else None


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every FastAPI route, through included routers."""
    try:  # FastAPI >= 0.160 keeps included routers as such and resolves them lazily
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # pragma: no cover - older FastAPI copies routes into app.routes
        return [(r.path, r) for r in app.routes if isinstance(r, APIRoute)]
    out = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            out.append((str(context.path or route.path), route))
    return out


def check_declarations(app: FastAPI, *, prefix: str = "/api") -> None:
    """Refuse to start when an API route has no access rule (deny by default)."""
    missing = [
        f"{','.join(sorted(route.methods or ()))} {path}"
        for path, route in api_routes(app)
        if path.startswith(prefix) and access_rule_of(route) is None
    ]
    if missing:
        raise RuntimeError(
            "routes without an access rule (add Depends(allow(...)) or public()): "
            + "; ".join(missing)
        )
