"""Integration API keys: hashed, prefixed, scoped to one dealer and to operations, revocable."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.auth.models import ApiKey, ApiScope
from app.enums import Role
from tests.app.auth.factories import (
    create_api_key,
    create_dealer,
    create_user,
    sign_in,
    use_session,
)


def doc_for(code: str) -> dict:
    return {"source": "dms", "customers": [{"external_id": "C-1", "dealer": code}]}


def test_a_key_is_stored_as_a_sha256_with_a_visible_prefix(session: Session) -> None:
    secret = create_api_key(session, dealer=create_dealer(session))

    row = session.execute(select(ApiKey)).scalars().all()[-1]
    assert secret.startswith("rk_")
    assert len(secret) >= 3 + 43  # 32 random bytes, base64url
    assert row.prefix == secret[:12]
    assert secret not in (row.key_hash, row.prefix)
    assert len(row.key_hash) == 64


def test_an_import_key_imports_for_its_dealer_and_records_when_it_was_used(
    session: Session, anon_client: TestClient
) -> None:
    dealer = create_dealer(session)
    secret = create_api_key(session, dealer=dealer, scopes=[ApiScope.IMPORT_WRITE])

    response = anon_client.post(
        "/api/v1/import", json=doc_for(dealer.code), headers={"X-API-Key": secret}
    )
    bearer = anon_client.post(
        "/api/v1/import", json=doc_for(dealer.code), headers={"Authorization": f"Bearer {secret}"}
    )

    assert response.status_code == 200, response.text
    assert bearer.status_code == 200
    row = session.execute(select(ApiKey).where(ApiKey.prefix == secret[:12])).scalar_one()
    assert row.last_used_at is not None


def test_a_key_without_the_import_scope_gets_403(session: Session, anon_client: TestClient) -> None:
    dealer = create_dealer(session)
    secret = create_api_key(session, dealer=dealer, scopes=[ApiScope.READ, ApiScope.WEBHOOK])

    response = anon_client.post(
        "/api/v1/import", json=doc_for(dealer.code), headers={"X-API-Key": secret}
    )

    assert response.status_code == 403


def test_a_key_is_no_user_session(session: Session, anon_client: TestClient) -> None:
    secret = create_api_key(session, dealer=create_dealer(session))

    assert anon_client.get("/api/v1/auth/me", headers={"X-API-Key": secret}).status_code == 403


def test_a_wrong_or_made_up_key_gets_401(session: Session, anon_client: TestClient) -> None:
    dealer = create_dealer(session)
    secret = create_api_key(session, dealer=dealer)

    tampered = anon_client.post(
        "/api/v1/import", json=doc_for(dealer.code), headers={"X-API-Key": secret[:-1] + "x"}
    )
    made_up = anon_client.post(
        "/api/v1/import", json=doc_for(dealer.code), headers={"X-API-Key": "rk_nothing"}
    )

    assert tampered.status_code == made_up.status_code == 401


def test_a_revoked_key_stops_working_at_once(session: Session, anon_client: TestClient) -> None:
    dealer = create_dealer(session)
    admin = create_user(session, role=Role.ADMIN, dealers=[dealer])
    secret = create_api_key(session, dealer=dealer)
    key_id = session.execute(select(ApiKey.id).where(ApiKey.prefix == secret[:12])).scalar_one()
    before = anon_client.post(
        "/api/v1/import", json=doc_for(dealer.code), headers={"X-API-Key": secret}
    )

    use_session(anon_client, sign_in(session, admin))
    revoked = anon_client.post(f"/api/v1/api-keys/{key_id}/revoke")
    anon_client.cookies.clear()
    after = anon_client.post(
        "/api/v1/import", json=doc_for(dealer.code), headers={"X-API-Key": secret}
    )

    assert before.status_code == 200
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert after.status_code == 401


class TestAdminApi:
    def test_an_admin_creates_a_key_that_is_shown_once_and_lists_only_its_dealers_keys(
        self, session: Session, anon_client: TestClient
    ) -> None:
        mine, theirs = create_dealer(session), create_dealer(session)
        create_api_key(session, dealer=theirs)
        admin = create_user(session, role=Role.ADMIN, dealers=[mine])
        use_session(anon_client, sign_in(session, admin))

        created = anon_client.post(
            "/api/v1/api-keys",
            json={"dealer_id": mine.id, "name": "DMS", "scopes": ["import:write", "read"]},
        )
        listed = anon_client.get("/api/v1/api-keys")

        assert created.status_code == 201, created.text
        assert created.json()["key"].startswith(created.json()["prefix"])
        assert created.json()["scopes"] == ["import:write", "read"]
        assert [k["dealer_id"] for k in listed.json()["data"]] == [mine.id]
        assert "key" not in listed.json()["data"][0]

    def test_a_key_for_another_dealer_cannot_be_created_or_revoked(
        self, session: Session, anon_client: TestClient
    ) -> None:
        mine, theirs = create_dealer(session), create_dealer(session)
        secret = create_api_key(session, dealer=theirs)
        key_id = session.execute(select(ApiKey.id).where(ApiKey.prefix == secret[:12])).scalar_one()
        use_session(
            anon_client, sign_in(session, create_user(session, role=Role.ADMIN, dealers=[mine]))
        )

        created = anon_client.post(
            "/api/v1/api-keys", json={"dealer_id": theirs.id, "name": "x", "scopes": ["read"]}
        )
        revoked = anon_client.post(f"/api/v1/api-keys/{key_id}/revoke")

        assert created.status_code == revoked.status_code == 404

    def test_unknown_fields_and_unknown_scopes_are_rejected_with_422(
        self, session: Session, client: TestClient
    ) -> None:
        dealer = create_dealer(session)

        extra = client.post(
            "/api/v1/api-keys",
            json={"dealer_id": dealer.id, "name": "x", "scopes": ["read"], "prefix": "rk_mine"},
        )
        scope = client.post(
            "/api/v1/api-keys", json={"dealer_id": dealer.id, "name": "x", "scopes": ["admin"]}
        )

        assert extra.status_code == scope.status_code == 422

    def test_key_creation_and_revocation_are_audited_without_the_secret(
        self, session: Session, client: TestClient
    ) -> None:
        dealer = create_dealer(session)
        created = client.post(
            "/api/v1/api-keys", json={"dealer_id": dealer.id, "name": "x", "scopes": ["read"]}
        ).json()
        client.post(f"/api/v1/api-keys/{created['id']}/revoke")

        events = client.get("/api/v1/audit", params={"object_type": "api_key"}).json()["data"]

        assert [e["action"] for e in events[:2]] == ["api_key.revoke", "api_key.create"]
        assert created["key"] not in str(events)
        assert events[0]["dealer_id"] == dealer.id


def test_last_used_is_written_at_most_once_a_minute(session: Session) -> None:
    from app.auth import service as auth_service

    secret = create_api_key(session, dealer=create_dealer(session))
    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    auth_service.authenticate_api_key(session, secret=secret, now=t0)
    key = auth_service.authenticate_api_key(session, secret=secret, now=t0.replace(second=30))

    used = key.last_used_at
    assert used is not None
    assert used.replace(tzinfo=UTC) == t0
