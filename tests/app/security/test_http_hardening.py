"""Security headers, the docs' relaxed CSP, body size limits and mass assignment."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.security.middleware import CSP
from tests.app.auth.factories import create_dealer


def test_api_responses_carry_a_strict_csp_and_the_usual_headers(client: TestClient) -> None:
    response = client.get("/api/v1/auth/me")

    assert response.headers["content-security-policy"] == CSP
    assert "script-src 'self';" in CSP
    assert "frame-ancestors 'none'" in CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers  # no TLS in tests


def test_only_the_swagger_page_may_load_the_cdn_scripts(anon_client: TestClient) -> None:
    docs = anon_client.get("/docs")
    health = anon_client.get("/healthz")

    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    assert health.headers["content-security-policy"] == CSP


def test_a_chunked_body_without_content_length_is_cut_off_at_the_limit(
    client: TestClient, monkeypatch: object
) -> None:
    from app.main import create_app
    from app.security.middleware import BodySizeLimit

    assert any(m.cls is BodySizeLimit for m in create_app().user_middleware)

    def chunks() -> Iterator[bytes]:
        yield b'{"source": "x", "customers": ['
        for _ in range(200_000):
            yield b'{"external_id": "C-1", "dealer": "X"},' * 10
        yield b"]}"

    small = BodySizeLimit(client.app, max_bytes=1_000_000)  # type: ignore[arg-type]
    with TestClient(small) as limited:  # type: ignore[arg-type]
        limited.cookies = client.cookies
        response = limited.post(
            "/api/v1/import",
            content=chunks(),
            headers={**client.headers, "content-type": "application/json"},
        )

    assert response.status_code == 413


def test_sending_a_dealer_id_or_role_where_it_is_not_an_input_gives_422(
    session: Session, client: TestClient
) -> None:
    dealer = create_dealer(session)

    login = client.post(
        "/api/v1/auth/login", json={"email": "a@b.test", "password": "x", "dealer_id": dealer.id}
    )
    key = client.post(
        "/api/v1/api-keys",
        json={"dealer_id": dealer.id, "name": "x", "scopes": ["read"], "role": "admin"},
    )
    record = client.post(
        "/api/v1/import",
        json={
            "source": "x",
            "customers": [{"external_id": "C", "dealer": dealer.code, "dealer_id": 1}],
        },
    )

    assert login.status_code == key.status_code == record.status_code == 422
    assert record.json()["errors"][0]["field"] == "dealer_id"


def test_lists_are_paginated_to_at_most_200(client: TestClient) -> None:
    assert client.get("/api/v1/audit", params={"limit": 201}).status_code == 422
    assert client.get("/api/v1/api-keys", params={"limit": 201}).status_code == 422
    assert client.get("/api/v1/audit", params={"limit": 200}).status_code == 200
