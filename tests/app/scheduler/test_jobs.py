"""The scheduler: one 02:00 job per dealer time zone, and one job run at job level."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, func, select, update

from app.dataset.service import import_dataset
from app.db import build_engine, session_scope
from app.migrations import upgrade_to_head
from app.models import CallTask, Dealer, Invitation
from app.reporting.models import ReportFunnelDay
from app.scheduler import jobs
from app.settings import Settings
from tests.app.invitation.dataset import nightly_dataset
from tests.conftest import drop_database, fresh_database_url


@pytest.fixture
def engine_with_data(backend: str, tmp_path: Path) -> Iterator[Engine]:
    url = fresh_database_url(backend, str(tmp_path))
    upgrade_to_head(url)
    engine = build_engine(url)
    with session_scope(engine) as session:
        doc = nightly_dataset()
        second = dict(doc["dealers"][0], code="HEL9", country="FI", time_zone="Europe/Helsinki")
        doc["dealers"].append(second)
        import_dataset(session, doc)
    yield engine
    engine.dispose()
    drop_database(url)


def test_one_two_oclock_job_per_dealer_time_zone(engine_with_data: Engine) -> None:
    scheduler = jobs.build_scheduler(blocking=False, engine=engine_with_data)

    nightly = {j.id: j for j in scheduler.get_jobs() if j.id.startswith(jobs.JOB_PREFIX)}

    assert isinstance(scheduler, BackgroundScheduler)
    assert set(nightly) == {"nightly:Europe/Helsinki", "nightly:Europe/Prague"}
    for zone_name, job in ((j.func.args[0], j) for j in nightly.values()):
        trigger = job.trigger
        assert isinstance(trigger, CronTrigger)
        assert str(trigger.timezone) == zone_name
        fields = {f.name: str(f) for f in trigger.fields}
        assert (fields["hour"], fields["minute"]) == ("2", "0")
        assert job.max_instances == 1
        assert job.coalesce is True
        assert job.misfire_grace_time == jobs.MISFIRE_GRACE_SECONDS
    assert isinstance(
        jobs.build_scheduler(blocking=True, engine=engine_with_data), BlockingScheduler
    )


def test_a_new_time_zone_gets_its_job_at_the_next_sync(engine_with_data: Engine) -> None:
    scheduler = jobs.build_scheduler(blocking=False, engine=engine_with_data)
    with session_scope(engine_with_data) as session:
        session.execute(
            update(Dealer).where(Dealer.code == "HEL9").values(time_zone="America/New_York")
        )
        session.commit()

    jobs.sync_jobs(scheduler, engine_with_data)

    ids = {j.id for j in scheduler.get_jobs() if j.id.startswith(jobs.JOB_PREFIX)}
    assert ids == {"nightly:America/New_York", "nightly:Europe/Prague"}


def test_the_prague_job_runs_the_prague_dealers_for_their_local_date(
    engine_with_data: Engine,
) -> None:
    # 02:00 in Prague on 20 Nov 2026 is 01:00 UTC.
    with time_machine.travel(datetime(2026, 11, 20, 1, 0, tzinfo=UTC), tick=False):
        jobs.run_nightly_for_time_zone("Europe/Prague", engine=engine_with_data)
        trigger = CronTrigger(hour=2, minute=0, timezone=ZoneInfo("Europe/Prague"))
        fire = trigger.get_next_fire_time(None, datetime.now(UTC))
        jobs.run_nightly_for_time_zone("Europe/Prague", engine=engine_with_data)

    assert fire is not None
    assert fire.astimezone(UTC) == datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    with session_scope(engine_with_data) as session:
        computed = set(session.execute(select(Invitation.computed_on).distinct()).scalars())
        tasks = session.execute(select(func.count()).select_from(CallTask)).scalar_one()
    assert computed == {datetime(2026, 11, 20).date()}
    assert tasks == 3
    # The report aggregates of the recent due dates were refreshed after the run.
    with session_scope(engine_with_data) as session:
        invitations = session.execute(
            select(func.count())
            .select_from(Invitation)
            .join(Dealer, Dealer.id == Invitation.dealer_id)  # type: ignore[arg-type]
            .where(
                Dealer.time_zone == "Europe/Prague",
                Invitation.due_date >= date(2026, 5, 4),  # 200 days back
                Invitation.due_date < date(2027, 3, 20),  # 120 days ahead
            )
        ).scalar_one()
        aggregated = session.execute(select(func.sum(ReportFunnelDay.due))).scalar_one()
    assert invitations > 0
    assert aggregated == invitations


def test_embedded_mode_runs_the_nightly_jobs_in_the_background_while_serving(
    engine_with_data: Engine,
) -> None:
    with jobs.embedded_scheduler(True, engine=engine_with_data) as scheduler:
        assert isinstance(scheduler, BackgroundScheduler)
        assert scheduler.running
        ids = {j.id for j in scheduler.get_jobs()}
        assert {"nightly:Europe/Helsinki", "nightly:Europe/Prague", "sync-jobs"} <= ids

    assert not scheduler.running


def test_embedded_mode_turned_off_starts_no_scheduler(engine_with_data: Engine) -> None:
    with jobs.embedded_scheduler(False, engine=engine_with_data) as scheduler:
        assert scheduler is None


def test_the_embedded_scheduler_is_on_unless_a_setting_turns_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().embedded_scheduler is True
    monkeypatch.setenv("RETENTION_EMBEDDED_SCHEDULER", "false")
    assert Settings().embedded_scheduler is False


def test_the_lease_release_and_privacy_jobs_are_scheduled_and_run(
    engine_with_data: Engine,
) -> None:
    scheduler = jobs.build_scheduler(blocking=False, engine=engine_with_data)

    by_id = {j.id: j for j in scheduler.get_jobs()}

    assert by_id["release-leases"].max_instances == 1
    assert by_id["anonymise-inactive"].coalesce is True
    # The job bodies run against the database: nothing is leased and every imported customer is
    # recent, so both find nothing to do (and say so with 0, not an error).
    assert jobs.release_expired_leases(engine=engine_with_data) == 0
    assert jobs.anonymise_inactive_customers(engine=engine_with_data) == 0
