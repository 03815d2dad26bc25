"""Sign-in, session cookies, rotation, expiry (idle and absolute), logout and CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.auth import service as auth_service
from app.auth.models import UserSession
from app.enums import Role
from app.errors import Unauthenticated
from app.models import AuditEvent
from app.security.access import CSRF_HEADER, SESSION_COOKIE
from tests.app.auth.factories import NOW, PASSWORD, create_dealer, create_user, sign_in, use_session

POLICY = auth_service.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


def login(client: TestClient, email: str, password: str = PASSWORD) -> tuple[int, dict]:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    return response.status_code, response.json()


class TestLogin:
    def test_a_correct_password_sets_an_httponly_samesite_cookie_and_returns_a_csrf_token(
        self, session: Session, anon_client: TestClient
    ) -> None:
        user = create_user(session, role=Role.AGENT, dealers=[create_dealer(session)])

        response = anon_client.post(
            "/api/v1/auth/login", json={"email": user.email.upper(), "password": PASSWORD}
        )

        assert response.status_code == 200, response.text
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # test environment; production adds it
        body = response.json()
        assert body["user"]["role"] == "agent"
        assert len(body["csrf_token"]) == 64
        me = anon_client.get("/api/v1/auth/me")
        assert me.status_code == 200
        assert me.json()["csrf_token"] == body["csrf_token"]

    def test_only_the_hash_of_the_session_token_is_stored(
        self, session: Session, anon_client: TestClient
    ) -> None:
        user = create_user(session)

        login(anon_client, user.email)

        token = anon_client.cookies[SESSION_COOKIE]
        hashes = session.execute(select(UserSession.token_hash)).scalars().all()
        assert auth_service.sha256_hex(token) in hashes
        assert token not in hashes

    def test_a_wrong_password_and_an_unknown_email_get_the_same_401_and_are_audited(
        self, session: Session, anon_client: TestClient
    ) -> None:
        user = create_user(session)

        wrong = login(anon_client, user.email, "not the password")
        unknown = login(anon_client, "nobody@example.test")

        assert wrong == unknown == (401, {"detail": "wrong e-mail or password"})
        failures = (
            session.execute(
                select(AuditEvent).where(
                    AuditEvent.action == "auth.login", AuditEvent.outcome == "failure"
                )
            )
            .scalars()
            .all()
        )
        assert [f.actor_id for f in failures][-2:] == [user.id, None]

    def test_signing_in_again_rotates_the_session(
        self, session: Session, anon_client: TestClient
    ) -> None:
        user = create_user(session)
        login(anon_client, user.email)
        first = anon_client.cookies[SESSION_COOKIE]

        login(anon_client, user.email)

        second = anon_client.cookies[SESSION_COOKIE]
        assert second != first
        stored = set(session.execute(select(UserSession.token_hash)).scalars())
        assert auth_service.sha256_hex(first) not in stored
        assert auth_service.sha256_hex(second) in stored

    def test_a_login_payload_with_a_role_is_rejected_with_422(
        self, session: Session, anon_client: TestClient
    ) -> None:
        user = create_user(session)

        response = anon_client.post(
            "/api/v1/auth/login",
            json={"email": user.email, "password": PASSWORD, "role": "admin"},
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "role"


class TestExpiry:
    def test_a_session_idle_for_more_than_30_minutes_has_expired(self, session: Session) -> None:
        user = create_user(session)
        signed = sign_in(session, user, now=NOW)

        still = auth_service.authenticate_session(
            session, token=signed.token, now=NOW + timedelta(minutes=29), policy=POLICY
        )
        with pytest.raises(Unauthenticated, match="expired"):
            auth_service.authenticate_session(
                session, token=signed.token, now=NOW + timedelta(minutes=29 + 31), policy=POLICY
            )

        assert still.user_id == user.id

    def test_activity_keeps_a_session_alive_until_its_absolute_limit_of_12_hours(
        self, session: Session
    ) -> None:
        user = create_user(session)
        signed = sign_in(session, user, now=NOW)

        for minutes in range(20, 12 * 60, 20):
            auth_service.authenticate_session(
                session, token=signed.token, now=NOW + timedelta(minutes=minutes), policy=POLICY
            )
        with pytest.raises(Unauthenticated, match="expired"):
            auth_service.authenticate_session(
                session, token=signed.token, now=NOW + timedelta(hours=12, minutes=1), policy=POLICY
            )

    def test_an_expired_session_is_deleted(self, session: Session) -> None:
        user = create_user(session)
        signed = sign_in(session, user, now=NOW)

        with pytest.raises(Unauthenticated):
            auth_service.authenticate_session(
                session, token=signed.token, now=NOW + timedelta(hours=1), policy=POLICY
            )

        hashes = session.execute(select(UserSession.token_hash)).scalars().all()
        assert auth_service.sha256_hex(signed.token) not in hashes

    def test_an_expired_cookie_gets_401_over_http(
        self, session: Session, anon_client: TestClient
    ) -> None:
        user = create_user(session)
        use_session(anon_client, sign_in(session, user, now=NOW - timedelta(hours=1)))

        assert anon_client.get("/api/v1/auth/me").status_code == 401


class TestCsrf:
    def test_a_write_with_the_cookie_but_without_the_csrf_header_is_refused(
        self, session: Session, client: TestClient
    ) -> None:
        del client.headers[CSRF_HEADER]

        response = client.post("/api/v1/import", json={"source": "x"})

        assert response.status_code == 403
        assert "X-CSRF-Token" in response.json()["detail"]

    def test_a_write_with_a_wrong_csrf_token_is_refused(self, client: TestClient) -> None:
        client.headers[CSRF_HEADER] = "0" * 64

        assert client.post("/api/v1/import", json={"source": "x"}).status_code == 403

    def test_the_csrf_token_of_another_session_does_not_work(
        self, session: Session, client: TestClient
    ) -> None:
        other = sign_in(session, create_user(session, role=Role.ADMIN))
        client.headers[CSRF_HEADER] = other.csrf

        assert client.post("/api/v1/import", json={"source": "x"}).status_code == 403

    def test_reads_need_no_csrf_token(self, client: TestClient) -> None:
        del client.headers[CSRF_HEADER]

        assert client.get("/api/v1/auth/me").status_code == 200

    def test_a_cross_site_write_is_refused_before_anything_else(self, client: TestClient) -> None:
        cross = client.post(
            "/api/v1/import", json={"source": "x"}, headers={"Sec-Fetch-Site": "cross-site"}
        )
        foreign = client.post(
            "/api/v1/import", json={"source": "x"}, headers={"Origin": "https://evil.example"}
        )
        same = client.post(
            "/api/v1/import", json={"source": "x"}, headers={"Origin": "http://testserver"}
        )

        assert cross.status_code == foreign.status_code == 403
        assert same.status_code == 200


def test_logout_ends_the_session_on_the_server(session: Session, client: TestClient) -> None:
    token = client.cookies[SESSION_COOKIE]

    assert client.post("/api/v1/auth/logout").status_code == 204

    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/api/v1/auth/me").status_code == 401
