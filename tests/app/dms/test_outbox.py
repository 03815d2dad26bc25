"""Booking export: the outbox in the caller's transaction, signed delivery to a real receiver on
loopback, retries with backoff and Retry-After, the idempotency key, the URL allow-list."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.dms import signing
from app.dms.models import AppointmentChange, AppointmentOutbox, DmsIntegration
from app.dms.outbox import deliver_due, enqueue_appointment_change, parse_retry_after, retry_delay
from app.dms.urls import UrlNotAllowed, check_outbound_url
from app.models import Appointment, Dealer, Vehicle
from tests.app.auth.factories import create_dealer
from tests.app.dataset.test_import import count
from tests.app.dms.servers import webhook_receiver

OUT_SECRET = "outbound-secret-0123456789abcdef"
LOOPBACK = ["127.0.0.0/8"]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def setup_dealer(session: Session, url: str | None) -> tuple[Dealer, Appointment]:
    dealer = create_dealer(session)
    assert dealer.id is not None
    session.add(
        DmsIntegration(
            dealer_id=dealer.id, source="autoline", outbound_url=url, outbound_secret=OUT_SECRET
        )
    )
    vehicle = Vehicle(vin="TMBJJ7NE8L0123456", dealer_id=dealer.id, make="Skoda", model="Octavia")
    session.add(vehicle)
    session.flush()
    assert vehicle.id is not None
    appt = Appointment(
        dealer_id=dealer.id,
        vehicle_id=vehicle.id,
        slot_start=datetime(2026, 12, 3, 7, 30, tzinfo=UTC),
        origin="call",
        service_types=["oil"],
    )
    session.add(appt)
    session.flush()
    return dealer, appt


def deliver(session: Session, at: datetime) -> tuple[int, int, int]:
    with httpx.Client(timeout=5) as client:
        s = deliver_due(session, client=client, now=at, allowed_networks=LOOPBACK)
    return s.delivered, s.retrying, s.failed


class TestEnqueue:
    def test_the_change_is_written_in_the_callers_transaction_only(self, session: Session) -> None:
        _, appt = setup_dealer(session, "http://127.0.0.1:9/x")
        row = enqueue_appointment_change(session, appt, AppointmentChange.BOOKED, now=NOW)
        assert row.payload["appointment"]["vin"] == "TMBJJ7NE8L0123456"
        assert row.payload["appointment"]["slot_start"] == "2026-12-03T07:30:00+00:00"
        assert count(session, AppointmentOutbox) == 1

        session.rollback()  # the booking failed: its export goes with it

        assert count(session, AppointmentOutbox) == 0


class TestDelivery:
    def test_a_signed_delivery_retries_after_a_503_honouring_retry_after(
        self, session: Session
    ) -> None:
        with webhook_receiver([(503, {"Retry-After": "600"})]) as receiver:
            _, appt = setup_dealer(session, receiver.url)
            row = enqueue_appointment_change(session, appt, "booked", now=NOW)
            session.commit()

            assert deliver(session, NOW) == (0, 1, 0)
            session.refresh(row)
            assert row.next_attempt_at.astimezone(UTC) == NOW + timedelta(seconds=600)
            assert deliver(session, NOW + timedelta(minutes=5)) == (0, 0, 0)  # not due yet
            assert deliver(session, NOW + timedelta(minutes=10)) == (1, 0, 0)

        session.refresh(row)
        assert (row.status, row.attempts, row.last_status_code) == ("delivered", 2, 200)
        first, second = receiver.received
        assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
        assert first.headers["idempotency-key"] == row.idempotency_key
        ts = int(second.headers["x-retention-timestamp"])
        assert signing.verify(OUT_SECRET, ts, second.body, second.headers["x-retention-signature"])
        assert json.loads(second.body)["change"] == "booked"

    def test_a_refusal_fails_at_once_and_is_visible_in_the_api(
        self, session: Session, client: TestClient
    ) -> None:
        with webhook_receiver([(400, {})]) as receiver:
            _, appt = setup_dealer(session, receiver.url)
            enqueue_appointment_change(session, appt, "booked", now=NOW)
            session.commit()
            assert deliver(session, NOW) == (0, 0, 1)

        response = client.get("/api/v1/dms/outbox", params={"status": "failed"})
        assert response.status_code == 200
        (item,) = response.json()["data"]
        assert (item["appointment_id"], item["last_status_code"]) == (appt.id, 400)
        assert item["last_error"].startswith("HTTP 400")

    def test_a_later_change_waits_for_the_earlier_one(self, session: Session) -> None:
        with webhook_receiver([(500, {})]) as receiver:
            _, appt = setup_dealer(session, receiver.url)
            enqueue_appointment_change(session, appt, "booked", now=NOW)
            enqueue_appointment_change(session, appt, "moved", now=NOW)
            session.commit()

            assert deliver(session, NOW) == (0, 1, 0)  # "moved" is held back
            assert deliver(session, NOW + timedelta(minutes=1)) == (1, 0, 0)
            assert deliver(session, NOW + timedelta(minutes=1)) == (1, 0, 0)

        changes = [json.loads(r.body)["change"] for r in receiver.received]
        assert changes == ["booked", "booked", "moved"]

    def test_an_unreachable_receiver_is_retried_then_given_up(self, session: Session) -> None:
        _, appt = setup_dealer(session, "http://127.0.0.1:9/closed")
        row = enqueue_appointment_change(session, appt, "cancelled", now=NOW)
        session.commit()
        at = NOW
        for _ in range(10):
            deliver(session, at)
            session.refresh(row)
            at = row.next_attempt_at
        assert (row.status, row.attempts, row.last_status_code) == ("failed", 10, None)
        assert "ConnectError" in (row.last_error or "")

    def test_a_loopback_url_is_not_called_unless_its_network_is_allowed(
        self, session: Session
    ) -> None:
        with webhook_receiver() as receiver:
            _, appt = setup_dealer(session, receiver.url)
            row = enqueue_appointment_change(session, appt, "booked", now=NOW)
            session.commit()
            with httpx.Client() as http:
                summary = deliver_due(session, client=http, now=NOW, allowed_networks=[])
        assert summary.retrying == 1
        assert receiver.received == []
        session.refresh(row)
        assert "loopback" in (row.last_error or "")


class TestAllowList:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1/hook",
            "https://10.1.2.3/hook",
            "https://192.168.0.10/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/hook",
            "https://localhost/hook",
            "ftp://93.184.216.34/hook",
            "https://user:pw@93.184.216.34/hook",
        ],
    )
    def test_private_loopback_and_odd_urls_are_refused(self, url: str) -> None:
        with pytest.raises(UrlNotAllowed):
            check_outbound_url(url, allowed_networks=[])

    def test_a_public_https_address_is_allowed_and_http_is_not(self) -> None:
        check_outbound_url("https://93.184.216.34/hook", allowed_networks=[])
        with pytest.raises(UrlNotAllowed, match="https"):
            check_outbound_url("http://93.184.216.34/hook", allowed_networks=[])

    def test_a_configured_network_is_allowed_over_http(self) -> None:
        check_outbound_url("http://10.1.2.3:8080/hook", allowed_networks=["10.0.0.0/8"])

    def test_configuring_a_private_url_is_a_400_naming_the_field(
        self, client: TestClient, session: Session
    ) -> None:
        dealer = create_dealer(session)
        response = client.put(
            f"/api/v1/dms/integrations/{dealer.id}",
            json={"source": "autoline", "outbound_url": "https://10.0.0.5/hook"},
        )
        assert response.status_code == 400
        assert response.json()["detail"].startswith("outbound_url")
        ok = client.put(
            f"/api/v1/dms/integrations/{dealer.id}",
            json={
                "source": "autoline",
                "outbound_url": "https://93.184.216.34/hook",
                "outbound_secret": OUT_SECRET,
            },
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["has_outbound_secret"] is True
        assert OUT_SECRET not in ok.text
        stored = session.execute(select(DmsIntegration)).scalar_one()
        assert stored.outbound_secret == OUT_SECRET


def test_retry_after_and_backoff() -> None:
    assert parse_retry_after("120", NOW) == timedelta(seconds=120)
    assert parse_retry_after("Mon, 23 Nov 2026 09:05:00 GMT", NOW) == timedelta(minutes=5)
    assert parse_retry_after("soon", NOW) is None
    assert [retry_delay(n).total_seconds() / 60 for n in (1, 2, 3)] == [1, 2, 4]
    assert retry_delay(20) == timedelta(hours=6)
    assert retry_delay(1, timedelta(minutes=10)) == timedelta(minutes=10)
