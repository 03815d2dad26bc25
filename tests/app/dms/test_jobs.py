"""The DMS jobs at job level: registered on a scheduler, run against a real database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, select

from app.db import build_engine, session_scope
from app.dms import jobs
from app.dms.models import AppointmentOutbox, DmsIntegration
from app.dms.outbox import enqueue_appointment_change
from app.migrations import upgrade_to_head
from app.models import Appointment, Customer, Dealer, DealerGroup, Vehicle
from app.settings import get_settings
from tests.app.dms.servers import webhook_receiver
from tests.app.dms.simulator import TOKEN, dms_simulator
from tests.conftest import drop_database, fresh_database_url


@pytest.fixture
def engine(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("RETENTION_DMS_OUTBOUND_ALLOW_NETWORKS", '["127.0.0.0/8"]')
    get_settings.cache_clear()
    url = fresh_database_url(backend, str(tmp_path))
    upgrade_to_head(url)
    eng = build_engine(url)
    yield eng
    eng.dispose()
    drop_database(url)
    get_settings.cache_clear()


def dealer_with(engine: Engine, **integration: object) -> int:
    with session_scope(engine) as session:
        group = DealerGroup(name="G")
        session.add(group)
        session.flush()
        assert group.id is not None
        dealer = Dealer(
            code="PRG1",
            name="Praha",
            group_id=group.id,
            country="CZ",
            time_zone="Europe/Prague",
            locale="cs",
            currency="CZK",
        )
        session.add(dealer)
        session.flush()
        assert dealer.id is not None
        session.add(DmsIntegration(dealer_id=dealer.id, source="dms", **integration))
        session.commit()
        return dealer.id


def test_register_jobs_adds_the_pull_and_the_outbox_jobs() -> None:
    scheduler = BackgroundScheduler()
    jobs.register_jobs(scheduler)
    pull, outbox = scheduler.get_job("dms:pull"), scheduler.get_job("dms:outbox")
    assert isinstance(pull.trigger, IntervalTrigger)
    assert pull.trigger.interval.total_seconds() == 15 * 60
    assert outbox.trigger.interval.total_seconds() == 60
    assert pull.max_instances == outbox.max_instances == 1
    assert pull.coalesce
    assert outbox.coalesce


def test_the_outbox_job_delivers_a_booking(engine: Engine) -> None:
    with webhook_receiver() as receiver:
        dealer_id = dealer_with(engine, outbound_url=receiver.url, outbound_secret="s" * 32)
        with session_scope(engine) as session:
            vehicle = Vehicle(vin="TMBJJ7NE8L0123456", dealer_id=dealer_id, make="S", model="O")
            session.add(vehicle)
            session.flush()
            assert vehicle.id is not None
            appt = Appointment(
                dealer_id=dealer_id,
                vehicle_id=vehicle.id,
                slot_start=datetime(2026, 12, 3, 8, 0, tzinfo=UTC),
                origin="call",
            )
            session.add(appt)
            session.flush()
            enqueue_appointment_change(session, appt, "booked")
            session.commit()

        summary = jobs.deliver_outbox(engine=engine)

    assert summary.delivered == 1
    assert len(receiver.received) == 1
    with session_scope(engine) as session:
        assert session.execute(select(AppointmentOutbox.status)).scalar_one() == "delivered"


def test_the_pull_job_imports_from_the_dms(engine: Engine) -> None:
    data = {"customers": [{"external_id": "C-1", "updated_at": "2026-11-01T10:00:00+00:00"}]}
    with dms_simulator(data) as sim:
        dealer_with(engine, pull_base_url=sim.url, pull_token=TOKEN, pull_enabled=True)
        (run,) = jobs.run_pull_connectors(engine=engine)
    assert run.ok
    with session_scope(engine) as session:
        assert session.execute(select(Customer.external_id)).scalar_one() == "C-1"
