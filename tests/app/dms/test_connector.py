"""The pull connector against the DMS simulator over real HTTP on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.dms import connector
from app.dms.connector import pull_all
from app.dms.models import DmsIntegration, DmsWatermark
from app.models import Customer, Dealer, RepairOrder, Vehicle
from tests.app.auth.factories import create_dealer
from tests.app.dataset.test_import import count
from tests.app.dms.simulator import TOKEN, Simulator, dms_simulator

VIN = "TMBJJ7NE8L0123456"
BASE = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LOOPBACK = ["127.0.0.0/8"]


def at(days: int) -> str:
    return (BASE + timedelta(days=days)).isoformat()


def records() -> dict[str, list[dict[str, Any]]]:
    return {
        "customers": [{"external_id": "C-1", "last_name": "Dvořák", "updated_at": at(0)}],
        "vehicles": [{"vin": VIN, "make": "Skoda", "model": "Octavia", "updated_at": at(0)}],
        "ownerships": [
            {"vin": VIN, "customer": "C-1", "start_date": "2021-03-15", "updated_at": at(0)}
        ],
        "repair-orders": [
            {
                "external_id": f"RO-{n}",
                "vin": VIN,
                "customer": "C-1",
                "opened_date": f"2026-10-{n + 1:02d}",
                "lines": [{"pay_type": "customer_pay", "service_kind": "repair"}],
                "updated_at": at(2 * n),
            }
            for n in range(9)
        ],
    }


@pytest.fixture
def dealer(session: Session, monkeypatch: pytest.MonkeyPatch) -> Dealer:
    monkeypatch.setattr(connector, "PAGE_SIZE", 3)
    d = create_dealer(session)
    session.commit()
    return d


def configure(session: Session, dealer: Dealer, sim: Simulator) -> None:
    assert dealer.id is not None
    session.add(
        DmsIntegration(
            dealer_id=dealer.id,
            source="rest-dms",
            pull_base_url=sim.url,
            pull_token=TOKEN,
            pull_enabled=True,
        )
    )
    session.commit()


def run(session: Session, waits: list[float] | None = None) -> Any:
    with httpx.Client(timeout=5) as client:
        (result,) = pull_all(
            session,
            client=client,
            now=NOW,
            allowed_networks=LOOPBACK,
            sleep=(waits if waits is not None else []).append,
        )
    return result


def ro_requests(sim: Simulator) -> list[dict[str, str]]:
    return [q for path, q in sim.requests if path == "/repair-orders"]


class TestConnector:
    def test_a_run_pages_through_every_entity_and_a_rerun_changes_nothing(
        self, session: Session, dealer: Dealer
    ) -> None:
        with dms_simulator(records()) as sim:
            configure(session, dealer, sim)
            first = run(session)
            second = run(session)

        assert first.ok, first
        ros = next(e for e in first.entities if e.entity == "repair_order")
        assert (ros.fetched, ros.applied, ros.pages) == (9, 9, 3)
        assert count(session, RepairOrder) == 9
        customer = session.execute(select(Customer)).scalar_one()
        assert (customer.source, customer.last_name, customer.dealer_id) == (
            "rest-dms",
            "Dvořák",
            dealer.id,
        )
        assert session.execute(select(Vehicle.dealer_id)).scalar_one() == dealer.id
        # The second run asks from the watermark minus a day and applies nothing new.
        again = next(e for e in second.entities if e.entity == "repair_order")
        assert again.applied == 0
        assert (
            ro_requests(sim)[-1]["updated_since"]
            == (BASE + timedelta(days=16) - timedelta(days=1)).isoformat()
        )

    def test_a_run_that_fails_half_way_resumes_from_its_watermark(
        self, session: Session, dealer: Dealer
    ) -> None:
        with dms_simulator(records()) as sim:
            configure(session, dealer, sim)
            sim.fail_from["repair-orders"] = 1  # the first page, then 500 for ever
            broken = run(session)

            assert not broken.ok
            failed = next(e for e in broken.entities if e.entity == "repair_order")
            assert "gave up after 5 attempts (HTTP 500)" in (failed.error or "")
            assert count(session, RepairOrder) == 3
            mark = session.execute(
                select(DmsWatermark).where(DmsWatermark.entity == "repair_order")
            ).scalar_one()
            assert mark.updated_since is not None
            assert mark.updated_since.astimezone(UTC) == BASE + timedelta(days=4)
            assert "HTTP 500" in (mark.last_error or "")

            del sim.fail_from["repair-orders"]
            sim.requests.clear()
            resumed = run(session)

        assert resumed.ok
        first_request = ro_requests(sim)[0]
        assert first_request["updated_since"] == (BASE + timedelta(days=3)).isoformat()
        ros = next(e for e in resumed.entities if e.entity == "repair_order")
        assert ros.fetched == 7  # RO-2 .. RO-8, not the whole history again
        assert ros.applied == 6  # RO-2 was already applied with the same update time
        assert count(session, RepairOrder) == 9
        session.refresh(mark)
        assert mark.last_error is None

    def test_a_429_is_retried_after_the_time_the_dms_asks_for(
        self, session: Session, dealer: Dealer
    ) -> None:
        waits: list[float] = []
        with dms_simulator(records()) as sim:
            configure(session, dealer, sim)
            sim.rate_limit_once["customers"] = 7
            result = run(session, waits)

        assert result.ok
        assert waits == [7.0]
        assert [p for p, _ in sim.requests[:2]] == ["/customers", "/customers"]
        assert count(session, Customer) == 1

    def test_a_record_the_import_rejects_stops_the_entity_with_the_reason(
        self, session: Session, dealer: Dealer
    ) -> None:
        data = records()
        data["repair-orders"][0]["opened_date"] = "not a date"
        with dms_simulator(data) as sim:
            configure(session, dealer, sim)
            result = run(session)
        failed = next(e for e in result.entities if e.entity == "repair_order")
        assert "opened_date" in (failed.error or "")
        assert count(session, RepairOrder) == 0
        assert count(session, Vehicle) == 1

    def test_a_base_url_outside_the_allow_list_is_not_called(
        self, session: Session, dealer: Dealer
    ) -> None:
        with dms_simulator(records()) as sim:
            configure(session, dealer, sim)
            with httpx.Client() as client:
                (result,) = pull_all(session, client=client, now=NOW, allowed_networks=[])
        assert not result.ok
        assert "loopback" in (result.entities[0].error or "")
        assert sim.requests == []
