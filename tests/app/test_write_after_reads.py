"""A request that reads, then audits (a report or customer export) must not fail on SQLite
because another connection committed in between (schemathesis found it: a 503 on
``GET /api/v1/reports/funnel/export``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app import audit
from app.audit.models import ActorType, AuditEvent
from app.audit.service import Actor
from app.db import build_engine
from app.migrations import upgrade_to_head
from app.reporting.service import Report, record_export

SYSTEM = Actor(type=ActorType.SYSTEM)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path}/race.sqlite3"
    upgrade_to_head(url)
    engine = build_engine(url)
    yield engine
    engine.dispose()


def _read_then_let_another_writer_commit(reader: Session, engine: Engine) -> None:
    reader.execute(text("SELECT count(*) FROM audit_event")).one()  # the report's reads
    with Session(engine) as writer:
        audit.record(writer, actor=SYSTEM, action="elsewhere")
        writer.commit()


def test_the_race_is_real_a_deferred_read_then_write_fails_at_once(sqlite_file: Engine) -> None:
    with Session(sqlite_file) as reader:
        _read_then_let_another_writer_commit(reader, sqlite_file)
        audit.record(reader, actor=SYSTEM, action="report.export")
        with pytest.raises(OperationalError, match="locked"):
            reader.commit()


def test_an_export_audited_after_its_reads_survives_another_writers_commit(
    sqlite_file: Engine,
) -> None:
    with Session(sqlite_file) as reader:
        _read_then_let_another_writer_commit(reader, sqlite_file)
        record_export(reader, name="funnel", fmt="csv", report=Report(data={}), actor=SYSTEM)
    with Session(sqlite_file) as check:
        actions = check.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars()
        assert list(actions) == ["elsewhere", "report.export"]
        assert check.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == 2
