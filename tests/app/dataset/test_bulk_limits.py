"""Bulk endpoints take at most 5,000 records or 10 MB a request: 413 with a message saying so."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Customer
from tests.app.auth.factories import create_dealer
from tests.app.dataset.test_import import count


def test_more_than_5000_records_is_a_413_naming_the_limit(
    client: TestClient, session: Session
) -> None:
    dealer = create_dealer(session)
    customers = [{"external_id": f"C-{n}", "dealer": dealer.code} for n in range(5001)]
    response = client.post("/api/v1/import", json={"source": "dms", "customers": customers})
    assert response.status_code == 413
    assert "at most 5,000 records" in response.json()["detail"]
    assert count(session, Customer) == 0


def test_5000_records_are_accepted(client: TestClient, session: Session) -> None:
    dealer = create_dealer(session)
    customers = [{"external_id": f"C-{n}", "dealer": dealer.code} for n in range(5000)]
    response = client.post("/api/v1/import", json={"source": "dms", "customers": customers})
    assert response.status_code == 200, response.text
    assert count(session, Customer) == 5000


def test_recall_vins_count_as_records(client: TestClient) -> None:
    vins = [{"vin": f"TMBJJ7NE8L{n:07d}"} for n in range(5000)]
    recall = {"campaign_code": "24V1", "title": "t", "vehicles": vins}
    response = client.post("/api/v1/import", json={"source": "dms", "recalls": [recall]})
    assert response.status_code == 413


def test_a_body_over_10_mb_is_a_413_before_it_is_read(client: TestClient) -> None:
    body = b'{"source": "dms", "customers": [], "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = client.post(
        "/api/v1/import", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert "10 MB" in response.json()["detail"]


def test_other_endpoints_keep_the_general_limit(client: TestClient) -> None:
    body = b"x" * (11 * 1024 * 1024)
    response = client.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code != 413
