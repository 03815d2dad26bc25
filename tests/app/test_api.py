"""The HTTP surface of the foundation: health, readiness, import, errors, OpenAPI."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.app.dataset.test_import import example


def test_health_answers_without_touching_the_database(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readiness_checks_the_database(client: TestClient) -> None:
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_import_applies_a_document_and_reports_counts(client: TestClient) -> None:
    first = client.post("/api/v1/import", json=example())
    second = client.post("/api/v1/import", json=example())

    assert first.status_code == 200, first.text
    assert first.json()["sections"]["vehicles"]["inserted"] == 1
    assert second.status_code == 200
    counts: dict[str, Any] = second.json()["sections"]
    assert all(c["inserted"] == c["updated"] == c["deleted"] == 0 for c in counts.values())


def test_import_rejects_a_bad_document_with_422_and_every_error(client: TestClient) -> None:
    doc = example()
    doc["vehicles"][0]["vin"] = "BAD"
    doc["repair_orders"][0]["opened_date"] = "2025-13-01"

    response = client.post("/api/v1/import", json=doc)

    assert response.status_code == 422
    body = response.json()
    assert "nothing was stored" in body["detail"]
    places = {(e["section"], e["index"], e["field"]) for e in body["errors"]}
    assert {("vehicles", 0, "vin"), ("repair_orders", 0, "opened_date")} <= places
    assert client.get("/api/v1/import").status_code == 405


def test_a_body_that_is_not_json_is_a_422_naming_the_body(client: TestClient) -> None:
    response = client.post(
        "/api/v1/import", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == "body"


def test_an_oversized_body_is_refused_before_it_is_read(client: TestClient) -> None:
    response = client.post(
        "/api/v1/import",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": str(10**12)},
    )

    assert response.status_code == 413


def test_the_openapi_document_describes_the_dataset(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    dataset = schema["components"]["schemas"]["DatasetDocument"]
    assert "vehicles" in dataset["properties"]
    assert "VehicleIn" in schema["components"]["schemas"]
