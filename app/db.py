"""Engine, naming convention and sessions.

The naming convention is set on ``SQLModel.metadata`` here, before any table module is imported,
so every constraint has a stable name that Alembic can diff and drop.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    String,
    Text,
    any_,
    bindparam,
    cast,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine
from starlette.concurrency import run_in_threadpool

from app.settings import Settings, get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def _prepare_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, busy timeout and foreign keys on every connection; SQLAlchemy controls BEGIN.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; the documented recipe
    is to switch it off and emit BEGIN ourselves. ``BEGIN IMMEDIATE`` is available to callers that
    must take the write lock up front (claiming a call task) via the ``sqlite_begin`` option.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def build_engine(url: str, settings: Settings | None = None, **kwargs: Any) -> Engine:
    settings = settings or get_settings()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _prepare_sqlite(engine, settings.sqlite_busy_timeout_ms)
        return engine
    kwargs.setdefault("pool_size", settings.db_pool_size)
    kwargs.setdefault("max_overflow", settings.db_max_overflow)
    kwargs.setdefault("pool_recycle", settings.db_pool_recycle_seconds)
    # Checked before use: a connection that died while idle in the pool (a restart, a
    # terminated backend) is replaced instead of failing the request that draws it.
    kwargs.setdefault("pool_pre_ping", True)
    # Statement parameters hold customers' data; in production errors and logs omit them.
    kwargs.setdefault("hide_parameters", settings.environment == "production")
    connect_args = {"connect_timeout": settings.db_connect_timeout_seconds}
    connect_args.update(kwargs.pop("connect_args", {}))
    return create_engine(url, connect_args=connect_args, **kwargs)


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return build_engine(settings.database_url, settings)


async def get_session() -> AsyncIterator[Session]:
    """The request's session. ``async`` so that FastAPI does not hand it to the thread pool
    twice per request (a sync generator's setup and its teardown each take a thread): opening a
    ``Session`` does no I/O, nor does closing one whose service committed. One still in a
    transaction (a read-only request on PostgreSQL, an error) rolls back over the network when
    closed, so that close runs in the thread pool."""
    session = Session(get_engine())
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session for jobs and the CLI; the service functions called inside commit themselves."""
    with Session(engine or get_engine()) as session:
        yield session


def begin_immediate(session: Session) -> None:
    """SQLite: start the session's transaction with ``BEGIN IMMEDIATE``, taking the write lock up
    front. A deferred transaction that reads and then writes fails with "database is locked" when
    another writer committed in between (the busy timeout cannot help: its snapshot is stale);
    an immediate one queues behind the busy timeout instead. Nothing on PostgreSQL, nor for a
    session already in a transaction (a test's savepoint)."""
    if session.get_bind().dialect.name == "sqlite" and not session.in_transaction():
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def begin_write_after_reads(session: Session) -> None:
    """End the session's reads and begin its writes: for a request that reads, then records
    something (an export's audit event).

    SQLite: a deferred transaction that has read cannot take the write lock once another
    connection has committed since its first read; it fails at once with "database is locked",
    which no busy timeout waits out. So the reads' transaction is committed (anything pending is
    flushed, not lost) and the writes begin with ``BEGIN IMMEDIATE``. Nothing on PostgreSQL.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.commit()
        begin_immediate(session)


def begin_write(session: Session, lock: str) -> None:
    """Serialise a read-then-write transaction with the others that take the same ``lock``.

    SQLite: ``begin_immediate`` (the lock name is moot: SQLite has one writer). PostgreSQL: a
    transaction-scoped advisory lock named ``lock``, so two imports of overlapping keys run one
    after the other rather than failing on each other's unique keys.
    """
    begin_immediate(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:lock))"), {"lock": lock})


def pg_any(column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """PostgreSQL: ``column = ANY(…values…)`` with one parameter whatever the number of values,
    so the statement text is constant and psycopg parses it once.

    String and integer keys travel as one JSON text (``json.dumps`` is C; psycopg dumps an
    array parameter element by element in Python, a regular expression per string) unpacked by
    ``jsonb_array_elements_text``; other types as an array parameter."""
    if isinstance(column.type, String | Integer):
        elements: Any = func.jsonb_array_elements_text(
            cast(bindparam(None, json.dumps(list(values)), type_=Text), JSONB)
        )
        if isinstance(column.type, Integer):
            elements = cast(elements, column.type)
        return column == any_(func.array(select(elements).scalar_subquery()))  # type: ignore[no-any-return]
    return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))  # type: ignore[no-any-return]
