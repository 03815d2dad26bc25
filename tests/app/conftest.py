from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlmodel import Session

from app.db import get_session
from app.enums import Role
from app.main import create_app
from app.security.rate_limit import RateLimiter, get_rate_limiter
from tests.app.auth.factories import create_user, sign_in, use_session


def app_on(session: Session) -> FastAPI:
    """The API on the test's session (so its writes roll back with the test); rate-limit
    counters go to the same connection, inside a savepoint."""
    application = create_app()
    bind = session.get_bind()
    assert isinstance(bind, Connection)

    def _session() -> Iterator[Session]:
        yield session

    application.dependency_overrides[get_session] = _session
    application.dependency_overrides[get_rate_limiter] = lambda: RateLimiter(bind)
    return application


@pytest.fixture
def anon_client(session: Session) -> Iterator[TestClient]:
    """The API without credentials."""
    with TestClient(app_on(session)) as c:
        yield c


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    """The API signed in as a platform administrator (every dealer), with the CSRF header."""
    admin = create_user(session, role=Role.ADMIN)
    with TestClient(app_on(session)) as c:
        yield use_session(c, sign_in(session, admin))
