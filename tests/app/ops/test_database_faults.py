"""Database faults on real databases: transient errors retried, outages answered with 503.

The PostgreSQL tests terminate server backends with ``pg_terminate_backend`` (what a restart, a
failover or an administrator does to a live connection) and create real serialization failures
and deadlocks between two connections.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, func, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from app.db import build_engine
from app.db_faults import UNAVAILABLE_DETAIL, is_transient, reason_of, run_in_transaction
from app.dealer.models import DealerGroup
from app.migrations import upgrade_to_head
from app.observability.metrics import DB_RETRIES
from tests.app.auth.factories import use_session
from tests.app.dataset.test_import import example
from tests.app.ops.conftest import app_on_engine, sign_in_admin
from tests.conftest import drop_database, fresh_database_url

APP_NAME = "retention-under-test"


def terminate_backend(url: str, pid: int) -> None:
    """Kill one server backend from another connection and wait until it is gone."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        for _ in range(200):
            alive = conn.execute(
                text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).first()
            if alive is None:
                break
            time.sleep(0.02)
    admin.dispose()


def terminate_app_backends(url: str) -> int:
    """Kill every backend the application's engine holds (idle ones in its pool included)."""
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
            {"name": APP_NAME},
        ).scalars()
        pids = list(pids)
    admin.dispose()
    for pid in pids:
        terminate_backend(url, pid)
    return len(pids)


def app_engine(url: str, **kwargs: Any) -> Engine:
    return build_engine(url, connect_args={"application_name": APP_NAME}, **kwargs)


def backend_pid(connection: Any) -> int:
    return int(connection.connection.dbapi_connection.info.backend_pid)


def retries(reason: str) -> float:
    return DB_RETRIES.labels(reason=reason)._value.get()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# An outage ------------------------------------------------------------------------------------


class TestDatabaseUnreachable:
    @pytest.fixture
    def client(self) -> Any:
        engine = build_engine(f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/nowhere")
        with TestClient(app_on_engine(engine)) as c:
            yield c
        engine.dispose()

    def test_readiness_is_503_while_liveness_stays_ok(self, client: TestClient) -> None:
        ready = client.get("/readyz")

        assert ready.status_code == 503
        assert "database" in ready.json()["detail"]
        assert client.get("/healthz").status_code == 200

    def test_a_request_that_needs_the_database_is_a_503_telling_to_retry(
        self, client: TestClient
    ) -> None:
        response = client.get("/api/v1/auth/me", headers={"X-API-Key": "rk_" + "x" * 40})

        assert response.status_code == 503
        assert response.json() == {"detail": UNAVAILABLE_DETAIL}
        assert "Retry" in response.json()["detail"]
        assert response.headers["Retry-After"] == "2"
        assert response.headers["X-Request-ID"]


# Pre-ping and a connection killed in the middle of a request ------------------------------------


@pytest.mark.parametrize("pre_ping", [True, False], ids=["pre-ping", "no-pre-ping"])
def test_a_pooled_connection_killed_while_idle_is_replaced_before_use(
    pg_url: str, pre_ping: bool
) -> None:
    engine = app_engine(pg_url, pool_pre_ping=pre_ping)
    signed = sign_in_admin(engine)
    with TestClient(app_on_engine(engine)) as client:
        use_session(client, signed)
        assert client.get("/api/v1/auth/me").status_code == 200

        assert terminate_app_backends(pg_url) >= 1
        after_kill = client.get("/api/v1/auth/me")
        next_one = client.get("/api/v1/auth/me")

    engine.dispose()
    if pre_ping:
        assert after_kill.status_code == 200, after_kill.text
    else:
        # What pre-ping prevents: the dead connection reaches the request, which gets a 503.
        assert after_kill.status_code == 503
        assert after_kill.json()["detail"] == UNAVAILABLE_DETAIL
    assert next_one.status_code == 200


def _import_table_counts(engine: Engine) -> dict[str, int]:
    tables = ("dealer", "customer", "vehicle", "repair_order", "ownership", "appointment")
    with engine.connect() as conn:
        return {
            t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables
        }


def test_a_connection_killed_in_the_middle_of_an_import_leaves_nothing_and_a_retry_succeeds(
    pg_url: str,
) -> None:
    engine = app_engine(pg_url)
    signed = sign_in_admin(engine)
    injected: list[int] = []

    @event.listens_for(engine, "before_cursor_execute")
    def kill_before_vehicles(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # The import writes dealers and customers first, so the transaction has rows by now.
        if not injected and statement.lstrip().upper().startswith("INSERT INTO VEHICLE"):
            pid = backend_pid(conn)
            injected.append(pid)
            terminate_backend(pg_url, pid)

    with TestClient(app_on_engine(engine)) as client:
        use_session(client, signed)
        failed = client.post("/api/v1/import", json=example())
        assert injected, "the import never reached its vehicles"
        assert failed.status_code == 503, failed.text
        assert failed.json()["detail"] == UNAVAILABLE_DETAIL
        assert set(_import_table_counts(engine).values()) == {0}

        retried = client.post("/api/v1/import", json=example())

    assert retried.status_code == 200, retried.text
    counts = _import_table_counts(engine)
    assert counts["dealer"] >= 1
    assert counts["vehicle"] == retried.json()["sections"]["vehicles"]["inserted"] >= 1
    engine.dispose()


# run_in_transaction -----------------------------------------------------------------------------


def _add_group(session: Session, name: str) -> int:
    group = DealerGroup(name=name)
    session.add(group)
    session.commit()
    assert group.id is not None
    return group.id


def _groups_named(engine: Engine, name: str) -> int:
    with Session(engine) as session:
        return int(
            session.execute(
                select(func.count()).select_from(DealerGroup).where(DealerGroup.name == name)
            ).scalar_one()
        )


def test_work_whose_connection_is_killed_mid_transaction_is_run_again_and_written_once(
    pg_url: str,
) -> None:
    engine = app_engine(pg_url)
    attempts: list[int] = []
    before = retries("connection_lost") + retries("connection_error")

    def work(session: Session) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            pid = backend_pid(session.connection())
            session.add(DealerGroup(name="half-done"))
            session.flush()  # a row written inside the transaction
            terminate_backend(pg_url, pid)
        return _add_group(session, "retried")

    run_in_transaction(work, engine=engine, base_delay=0.01)

    assert len(attempts) == 2
    assert _groups_named(engine, "retried") == 1
    assert _groups_named(engine, "half-done") == 0
    assert retries("connection_lost") + retries("connection_error") == before + 1
    engine.dispose()


def test_a_serialization_failure_is_retried_until_the_transaction_commits(pg_url: str) -> None:
    engine = app_engine(pg_url)
    with Session(engine) as session:
        group_id = _add_group(session, "v0")
    attempts: list[str] = []

    def rename(session: Session) -> None:
        conn = session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        current = conn.execute(
            select(DealerGroup.name).where(DealerGroup.id == group_id)  # type: ignore[arg-type]
        ).scalar_one()
        attempts.append(current)
        if len(attempts) == 1:  # another transaction commits a change to the same row meanwhile
            with engine.begin() as other:
                other.execute(
                    update(DealerGroup).where(DealerGroup.id == group_id).values(name="other")  # type: ignore[arg-type]
                )
        conn.execute(
            update(DealerGroup)
            .where(DealerGroup.id == group_id)  # type: ignore[arg-type]
            .values(name=current + "+mine")
        )
        session.commit()

    before = retries("serialization_failure")
    run_in_transaction(rename, engine=engine, base_delay=0.01)

    assert attempts == ["v0", "other"]
    assert _groups_named(engine, "other+mine") == 1
    assert retries("serialization_failure") == before + 1
    engine.dispose()


def test_both_sides_of_a_deadlock_finish_when_the_victim_is_retried(pg_url: str) -> None:
    engine = app_engine(pg_url)
    with Session(engine) as session:
        first, second = _add_group(session, "a"), _add_group(session, "b")
    barrier = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []
    runs: list[str] = []

    def lock_in_order(ids: tuple[int, int], label: str) -> None:
        def work(session: Session) -> None:
            runs.append(label)
            for position, group_id in enumerate(ids):
                session.execute(
                    update(DealerGroup)
                    .where(DealerGroup.id == group_id)  # type: ignore[arg-type]
                    .values(name=DealerGroup.name + label)
                )
                if position == 0 and runs.count(label) == 1:
                    barrier.wait()  # both hold their first row: each now waits for the other
            session.commit()

        try:
            run_in_transaction(work, engine=engine, base_delay=0.01)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    before = retries("deadlock")
    threads = [
        threading.Thread(target=lock_in_order, args=((first, second), "1")),
        threading.Thread(target=lock_in_order, args=((second, first), "2")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert errors == []
    assert sorted(runs) == ["1", "1", "2"] or sorted(runs) == ["1", "2", "2"]
    assert retries("deadlock") == before + 1
    with Session(engine) as session:
        names = set(session.execute(select(DealerGroup.name)).scalars())
    assert names in ({"a12", "b12"}, {"a21", "b21"}, {"a12", "b21"}, {"a21", "b12"})
    engine.dispose()


# Errors that must not be retried ---------------------------------------------------------------


def test_a_constraint_violation_is_not_retried(backend: str, tmp_path: Any) -> None:
    url = fresh_database_url(backend, str(tmp_path))
    upgrade_to_head(url)
    engine = build_engine(url)
    attempts: list[int] = []

    def duplicate(session: Session) -> None:
        attempts.append(1)
        session.execute(text("INSERT INTO dealer_group (id, name) VALUES (424242, 'x')"))
        session.execute(text("INSERT INTO dealer_group (id, name) VALUES (424242, 'y')"))
        session.commit()

    with pytest.raises(IntegrityError) as caught:
        run_in_transaction(duplicate, engine=engine, base_delay=0.01)

    assert attempts == [1]
    assert not is_transient(caught.value)
    engine.dispose()
    drop_database(url)


def test_sqlite_lock_contention_is_transient_but_a_missing_table_is_not(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path}/locks.sqlite3"
    engine = create_engine(url, connect_args={"timeout": 0})
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    holder = engine.connect()
    holder.exec_driver_sql("BEGIN IMMEDIATE")
    holder.exec_driver_sql("INSERT INTO t VALUES (1)")
    try:
        with pytest.raises(OperationalError) as locked, engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")
        with pytest.raises(OperationalError) as missing, engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
    finally:
        holder.rollback()
        holder.close()

    assert is_transient(locked.value)
    assert reason_of(locked.value) == "sqlite_busy"
    assert not is_transient(missing.value)
    engine.dispose()
