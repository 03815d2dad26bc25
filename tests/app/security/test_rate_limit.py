"""Rate limits: login per account and per address, imports per caller; shared through the DB."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.db import build_engine
from app.errors import TooManyRequests
from app.migrations import upgrade_to_head
from app.security.rate_limit import RateLimiter
from tests.app.auth.factories import PASSWORD, create_user
from tests.conftest import drop_database, fresh_database_url

T0 = datetime(2026, 11, 23, 9, 0, 10, tzinfo=UTC)


def attempt(client: TestClient, email: str, password: str = "wrong password", ip: str = "") -> int:
    headers = {"X-Forwarded-For": ip} if ip else {}
    return client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, headers=headers
    ).status_code


def test_the_sixth_login_attempt_in_a_minute_for_one_account_gets_429_with_retry_after(
    session: Session, anon_client: TestClient
) -> None:
    user = create_user(session)

    with time_machine.travel(T0, tick=False):  # one fixed window, however slow the machine
        statuses = [attempt(anon_client, user.email) for _ in range(5)]
        blocked = anon_client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
        )

    assert statuses == [401] * 5
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60


def test_the_21st_login_from_one_address_gets_429_whatever_the_account(
    anon_client: TestClient,
) -> None:
    with time_machine.travel(T0, tick=False):  # one fixed window, however slow the machine
        statuses = [attempt(anon_client, f"user{i}@example.test") for i in range(21)]

    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def test_imports_are_limited_per_caller(
    session: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.settings import get_settings

    monkeypatch.setattr(get_settings(), "import_limit_per_minute", 2)

    with time_machine.travel(T0, tick=False):  # one fixed window, however slow the machine
        statuses = [
            client.post("/api/v1/import", json={"source": "x"}).status_code for _ in range(3)
        ]

    assert statuses == [200, 200, 429]


class TestCounters:
    def test_a_new_window_starts_counting_again(self, session: Session) -> None:
        limiter = RateLimiter(session.connection())

        for _ in range(3):
            limiter.hit("t:window", limit=3, now=T0)
        with pytest.raises(TooManyRequests) as info:
            limiter.hit("t:window", limit=3, now=T0)
        again = limiter.hit("t:window", limit=3, now=T0.replace(minute=1))

        assert info.value.retry_after == 50
        assert again == 1


@pytest.fixture
def real_engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    url = fresh_database_url(backend, str(tmp_path))
    upgrade_to_head(url)
    engine = build_engine(url)
    yield engine
    engine.dispose()
    drop_database(url)


def test_counts_are_committed_on_their_own_so_a_failed_request_still_counts(
    real_engine: Engine,
) -> None:
    limiter = RateLimiter(real_engine)
    with Session(real_engine) as request_session:
        request_session.execute(text("SELECT 1"))
        limiter.hit("login:account:x", limit=5, now=T0)
        request_session.rollback()  # the login failed

    # A second replica: another engine (another process in production) sees the count.
    other = RateLimiter(build_engine(real_engine.url.render_as_string(hide_password=False)))
    assert other.hit("login:account:x", limit=5, now=T0) == 2
