"""Inbound DMS webhooks: signature and window, dedup by event id, out-of-order events."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.dms import signing
from app.dms.models import DmsIntegration, DmsWebhookEvent
from app.models import Appointment, Dealer, RepairOrder, Vehicle
from tests.app.auth.factories import create_dealer
from tests.app.dataset.test_import import count

SECRET = "webhook-secret-of-the-dealer-0123"
VIN = "TMBJJ7NE8L0123456"


@pytest.fixture
def dealer(session: Session) -> Dealer:
    d = create_dealer(session)
    assert d.id is not None
    session.add(DmsIntegration(dealer_id=d.id, source="autoline", webhook_secret=SECRET))
    session.commit()  # a rejected event rolls back the session: keep the dealer
    return d


def post(
    client: TestClient,
    dealer: Dealer,
    event: dict[str, Any],
    *,
    secret: str = SECRET,
    at: int | None = None,
) -> Any:
    body = json.dumps(event).encode()
    ts = int(time.time()) if at is None else at
    return client.post(
        "/api/v1/webhooks/dms",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-DMS-Dealer": dealer.code,
            "X-DMS-Timestamp": str(ts),
            "X-DMS-Signature": signing.sign(secret, ts, body),
        },
    )


def event(kind: str, data: dict[str, Any], updated_at: str, event_id: str | None = None) -> dict:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "type": f"{kind}.upserted",
        "updated_at": updated_at,
        "data": data,
    }


VEHICLE = {"vin": VIN, "make": "Skoda", "model": "Octavia"}


def appointment(status: str) -> dict[str, Any]:
    return {
        "external_id": "AP-1",
        "vin": VIN,
        "slot_start": "2026-12-03T08:30:00",
        "status": status,
    }


class TestWebhooks:
    def test_a_signed_event_is_applied_once_and_its_duplicate_changes_nothing(
        self, anon_client: TestClient, session: Session, dealer: Dealer
    ) -> None:
        post(anon_client, dealer, event("vehicle", VEHICLE, "2026-11-20T10:00:00Z"))
        ro = event(
            "repair_order",
            {
                "external_id": "RO-1",
                "vin": VIN,
                "opened_date": "2026-11-20",
                "odometer_in": 42000,
                "lines": [{"pay_type": "customer_pay", "service_kind": "maintenance"}],
            },
            "2026-11-20T11:00:00+01:00",
        )

        first = post(anon_client, dealer, ro)
        second = post(anon_client, dealer, ro)

        assert first.status_code == 200, first.text
        assert first.json()["outcome"] == "applied"
        assert second.json() == {"event_id": ro["event_id"], "outcome": "duplicate"}
        stored = session.execute(select(RepairOrder)).scalar_one()
        assert (stored.source, stored.external_id, stored.dealer_id) == (
            "autoline",
            "RO-1",
            dealer.id,
        )
        assert count(session, DmsWebhookEvent) == 2

    def test_an_older_event_arriving_after_a_newer_one_is_skipped(
        self, anon_client: TestClient, session: Session, dealer: Dealer
    ) -> None:
        post(anon_client, dealer, event("vehicle", VEHICLE, "2026-11-20T10:00:00Z"))
        newer = event("appointment", appointment("confirmed"), "2026-11-21T09:00:00Z")
        older = event("appointment", appointment("cancelled"), "2026-11-21T08:00:00Z")

        assert post(anon_client, dealer, newer).json()["outcome"] == "applied"
        late = post(anon_client, dealer, older)

        assert late.json()["outcome"] == "stale"
        assert session.execute(select(Appointment.status)).scalar_one() == "confirmed"
        again = event("appointment", appointment("arrived"), "2026-11-21T10:00:00Z")
        assert post(anon_client, dealer, again).json()["outcome"] == "applied"
        assert session.execute(select(Appointment.status)).scalar_one() == "arrived"

    def test_a_wrong_signature_an_old_timestamp_and_an_unknown_dealer_are_refused(
        self, anon_client: TestClient, session: Session, dealer: Dealer
    ) -> None:
        e = event("vehicle", VEHICLE, "2026-11-20T10:00:00Z")
        assert post(anon_client, dealer, e, secret="another-secret-0123456789").status_code == 401
        old = post(anon_client, dealer, e, at=int(time.time()) - 301)
        assert old.status_code == 401
        assert "5 minutes" in old.json()["detail"]
        other = create_dealer(session)
        assert post(anon_client, other, e).status_code == 401
        assert count(session, Vehicle) == 0
        assert count(session, DmsWebhookEvent) == 0

    def test_an_invalid_record_is_rejected_naming_the_field_and_can_be_sent_again(
        self, anon_client: TestClient, session: Session, dealer: Dealer
    ) -> None:
        bad = event("vehicle", {**VEHICLE, "model_year": 1800}, "2026-11-20T10:00:00Z")
        response = post(anon_client, dealer, bad)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "model_year"

        bad["data"]["model_year"] = 2021
        assert post(anon_client, dealer, bad).json()["outcome"] == "applied"
        assert session.execute(select(Vehicle.model_year)).scalar_one() == 2021

    def test_an_event_for_another_dealers_vehicle_is_refused(
        self, anon_client: TestClient, session: Session, dealer: Dealer
    ) -> None:
        other = create_dealer(session)
        assert other.id is not None
        session.add(Vehicle(vin=VIN, dealer_id=other.id, make="Skoda", model="Fabia"))
        session.commit()
        response = post(anon_client, dealer, event("vehicle", VEHICLE, "2026-11-20T10:00:00Z"))
        assert response.status_code == 422
        assert session.execute(select(Vehicle.model)).scalar_one() == "Fabia"

    def test_an_unknown_event_type_is_a_422(self, anon_client: TestClient, dealer: Dealer) -> None:
        response = post(anon_client, dealer, event("invoice", {}, "2026-11-20T10:00:00Z"))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "type"
