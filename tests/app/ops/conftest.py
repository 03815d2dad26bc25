"""An application on a real engine with real commits (fault tests need real connections)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session

from app.db import get_session
from app.enums import Role
from app.main import create_app
from app.migrations import upgrade_to_head
from app.security.rate_limit import RateLimiter, get_rate_limiter
from tests.app.auth.factories import SignedIn, create_user, sign_in
from tests.conftest import drop_database, fresh_database_url


def app_on_engine(engine: Engine) -> FastAPI:
    application = create_app()

    def _session() -> Iterator[Session]:
        with Session(engine) as session:
            yield session

    application.dependency_overrides[get_session] = _session
    application.dependency_overrides[get_rate_limiter] = lambda: RateLimiter(engine)
    return application


@pytest.fixture
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new, migrated PostgreSQL database for one test, dropped afterwards."""
    url = fresh_database_url("postgresql", str(tmp_path_factory.mktemp("pg")))
    upgrade_to_head(url)
    yield url
    drop_database(url)


def sign_in_admin(engine: Engine) -> SignedIn:
    with Session(engine) as session:
        return sign_in(session, create_user(session, role=Role.ADMIN))
