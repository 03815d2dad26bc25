"""Deny by default for pages too: every route outside ``/api`` declares who may open it.

A page declares access with ``page(roles=...)`` (a signed-in user with one of the roles) or
``public_page()`` (the sign-in page). An anonymous visitor of a protected page is redirected to
``/login?next=<page>``; a signed-in user whose role is not admitted gets a 403 page.
``check_page_declarations`` runs at app creation and refuses to build an app with an HTML route
that declares nothing. Pages take the browser session only, never API keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.models import User
from app.db import get_session
from app.enums import Role
from app.errors import AppError, Unauthenticated
from app.security.access import (
    SESSION_COOKIE,
    AccessRule,
    access_rule_of,
    api_routes,
    authorize,
)
from app.security.principal import Principal
from app.settings import Settings, get_settings

# Infrastructure routes outside /api that are not pages: probes need no session by design, and
# /metrics has its own rule (a bearer token or loopback only: app/security/access.metrics_reader).
NOT_PAGES = frozenset({"/healthz", "/readyz", "/metrics"})


class LoginRequired(AppError):
    """An anonymous visitor (or an expired session) on a protected page: go and sign in."""

    status_code = 303

    def __init__(self, next_path: str) -> None:
        super().__init__("sign in first")
        self.next_path = next_path

    @property
    def location(self) -> str:
        return "/login?next=" + quote(self.next_path, safe="/")


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in user of a page, with the CSRF token its scripts send on writes."""

    principal: Principal
    user: User
    csrf_token: str


def _next_path(request: Request) -> str:
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return path


def page(*, roles: Iterable[Role]) -> Callable[..., Viewer]:
    rule = AccessRule(roles=frozenset(roles))
    if not rule.roles:
        raise ValueError("page() needs at least one role; use public_page() for none")

    def guard(
        request: Request,
        session: Annotated[Session, Depends(get_session)],
        settings: Annotated[Settings, Depends(get_settings)],
    ) -> Viewer:
        token = request.cookies.get(SESSION_COOKIE)
        if not token or request.method.upper() not in ("GET", "HEAD"):
            raise LoginRequired(_next_path(request))
        try:
            principal = authorize(request, session=session, settings=settings, rule=rule)
        except Unauthenticated as exc:
            raise LoginRequired(_next_path(request)) from exc
        user = auth_service.read_user(session, user_id=principal.id)
        csrf = auth_service.csrf_token_for(token, secret=settings.secret_key.get_secret_value())
        return Viewer(principal=principal, user=user, csrf_token=csrf)

    guard.access_rule = rule  # type: ignore[attr-defined]
    return guard


def public_page() -> Callable[[], None]:
    def guard() -> None:
        return None

    guard.access_rule = AccessRule(public=True)  # type: ignore[attr-defined]
    return guard


def check_page_declarations(app: FastAPI) -> None:
    """Refuse to start when a route outside ``/api`` (a page) has no access rule."""
    missing = [
        f"{','.join(sorted(route.methods or ()))} {path}"
        for path, route in api_routes(app)
        if not path.startswith("/api") and path not in NOT_PAGES and access_rule_of(route) is None
    ]
    if missing:
        raise RuntimeError(
            "pages without an access rule (add Depends(page(...)) or public_page()): "
            + "; ".join(missing)
        )
