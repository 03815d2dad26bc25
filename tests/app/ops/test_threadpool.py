"""Thread hand-offs per request: the pool is sized by ``threadpool_tokens`` (not anyio's 40),
and the request session is set up and closed without one."""

from __future__ import annotations

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app import db
from app.main import create_app
from app.settings import get_settings


async def _tokens() -> float:
    return anyio.to_thread.current_default_thread_limiter().total_tokens


def test_the_app_runs_sync_endpoints_on_the_configured_number_of_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RETENTION_THREADPOOL_TOKENS", "7")
    get_settings.cache_clear()
    try:
        with TestClient(create_app()) as client:
            tokens = client.portal.call(_tokens)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()

    assert tokens == 7


@pytest.mark.anyio
@pytest.mark.parametrize("read", [False, True], ids=["committed", "open transaction"])
async def test_the_request_session_is_closed_after_the_request(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, read: bool
) -> None:
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    requests = db.get_session()
    session = await requests.__anext__()
    session.execute(text("SELECT 1"))
    if not read:
        session.commit()
    assert session.in_transaction() is read

    with pytest.raises(StopAsyncIteration):
        await requests.__anext__()

    assert not session.in_transaction()
    assert engine.pool.checkedout() == 0
