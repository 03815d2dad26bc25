"""Database fixtures: every test that asks for ``session`` runs on SQLite and on PostgreSQL.

PostgreSQL is used when ``RETENTION_TEST_DATABASE_URL`` points to a database the tests may wipe
(for example ``postgresql+psycopg://postgres@127.0.0.1/retention_test``); otherwise its half of
the suite is skipped with a message saying how to enable it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

os.environ.setdefault("RETENTION_ENVIRONMENT", "test")

from app.db import build_engine
from app.migrations import upgrade_to_head

# Property tests judge correctness, not speed: on a loaded CI machine (two cores shared with the
# PostgreSQL server) Hypothesis' timing checks would fail tests whose logic is right.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("default")

PG_ENV = "RETENTION_TEST_DATABASE_URL"
PG_SKIP = (
    f"PostgreSQL tests skipped: set {PG_ENV}="
    "postgresql+psycopg://postgres@127.0.0.1/retention_test "
    "(a database the tests may wipe) to run them"
)


def _wipe_postgresql(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def fresh_database_url(backend: str, tmp_dir: str) -> str:
    """A new, empty database of ``backend`` (for tests that need real commits)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir}/db-{uuid.uuid4().hex[:8]}.sqlite3"
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(PG_SKIP)
    url = make_url(base)
    name = f"{url.database}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(url_string: str) -> None:
    url = make_url(url_string)
    if url.get_backend_name() != "postgresql":
        return
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and not os.environ.get(PG_ENV):
        pytest.skip(PG_SKIP)
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database migrated once with ``alembic upgrade head`` for the whole run."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db')}/test.sqlite3"
    else:
        url = os.environ[PG_ENV]
        _wipe_postgresql(url)
    upgrade_to_head(url)
    eng = build_engine(url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction rolled back after the test; service commits become
    savepoint releases, so nothing a test writes outlives it."""
    connection = engine.connect()
    transaction = connection.begin()
    with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
        yield s
    transaction.rollback()
    connection.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not os.environ.get(PG_ENV):
        terminalreporter.write_line(PG_SKIP, yellow=True)
