"""User administration (create, role, dealers, deactivate; audited) and the language preference."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.auth.models import UserSession
from app.enums import Role
from tests.app.auth.factories import create_dealer, create_user, sign_in, use_session
from tests.app.conftest import app_on


@pytest.fixture
def dealers(session: Session):  # type: ignore[no-untyped-def]
    return create_dealer(session), create_dealer(session)


@pytest.fixture
def dealer_admin(session: Session, dealers) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    admin = create_user(session, role=Role.ADMIN, dealers=[dealers[0]])
    with TestClient(app_on(session)) as c:
        c.admin_id = admin.id  # type: ignore[attr-defined]
        yield use_session(c, sign_in(session, admin))


def _new_user(dealer_id: int, **overrides: object) -> dict[str, object]:
    return {
        "email": "New.Agent@Example.test",
        "display_name": "New Agent",
        "role": "agent",
        "password": "twelve chars or more",
        "dealer_ids": [dealer_id],
        **overrides,
    }


def test_an_admin_creates_a_user_on_its_dealer_and_it_is_audited(
    session: Session, dealers, dealer_admin: TestClient
) -> None:
    created = dealer_admin.post("/api/v1/users", json=_new_user(dealers[0].id, language="cs"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["email"], body["role"], body["dealer_ids"], body["language"]) == (
        "new.agent@example.test",
        "agent",
        [dealers[0].id],
        "cs",
    )
    listed = dealer_admin.get("/api/v1/users").json()
    assert body["id"] in [u["id"] for u in listed["data"]]
    event = session.execute(
        select(AuditEvent).where(
            col(AuditEvent.action) == "user.create", col(AuditEvent.object_id) == str(body["id"])
        )
    ).scalar_one()
    assert event.actor_id == dealer_admin.admin_id  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("overrides", "status", "field"),
    [
        ({"password": "short"}, 422, "password"),
        ({"role": "boss"}, 422, "role"),
        ({"email": "not-an-address"}, 422, "email"),
        ({"dealer_ids": []}, 422, "dealer_ids"),
        ({"is_active": True}, 422, "is_active"),
    ],
)
def test_bad_users_are_refused_naming_the_field(
    dealers, dealer_admin: TestClient, overrides: dict, status: int, field: str
) -> None:
    answer = dealer_admin.post("/api/v1/users", json=_new_user(dealers[0].id, **overrides))
    assert answer.status_code == status
    assert field in [e["field"] for e in answer.json()["errors"]]


def test_a_dealer_admin_cannot_create_or_touch_users_of_another_dealer(
    session: Session, dealers, dealer_admin: TestClient
) -> None:
    assert dealer_admin.post("/api/v1/users", json=_new_user(dealers[1].id)).status_code == 404
    stranger = create_user(session, role=Role.AGENT, dealers=[dealers[1]])
    answer = dealer_admin.patch(f"/api/v1/users/{stranger.id}", json={"role": "admin"})
    assert answer.status_code == 404
    assert stranger.id not in [u["id"] for u in dealer_admin.get("/api/v1/users").json()["data"]]


def test_role_and_dealer_changes_are_audited(
    session: Session, dealers, dealer_admin: TestClient
) -> None:
    agent = create_user(session, role=Role.AGENT, dealers=[dealers[0]])
    answer = dealer_admin.patch(f"/api/v1/users/{agent.id}", json={"role": "supervisor"})
    assert answer.status_code == 200
    assert answer.json()["role"] == "supervisor"
    event = session.execute(
        select(AuditEvent).where(
            col(AuditEvent.action) == "user.update", col(AuditEvent.object_id) == str(agent.id)
        )
    ).scalar_one()
    assert (event.before or {})["role"] == "agent"
    assert (event.after or {})["role"] == "supervisor"


def test_deactivating_a_user_ends_its_sessions_and_sign_in(
    session: Session, dealers, dealer_admin: TestClient
) -> None:
    agent = create_user(session, role=Role.AGENT, dealers=[dealers[0]])
    sign_in(session, agent)
    answer = dealer_admin.patch(f"/api/v1/users/{agent.id}", json={"is_active": False})
    assert answer.status_code == 200
    assert answer.json()["is_active"] is False
    left = session.execute(
        select(UserSession).where(col(UserSession.user_id) == agent.id)
    ).scalars()
    assert list(left) == []


def test_an_admin_cannot_demote_or_deactivate_itself(dealer_admin: TestClient) -> None:
    me = dealer_admin.admin_id  # type: ignore[attr-defined]
    assert dealer_admin.patch(f"/api/v1/users/{me}", json={"role": "agent"}).status_code == 409
    assert dealer_admin.patch(f"/api/v1/users/{me}", json={"is_active": False}).status_code == 409
    assert dealer_admin.patch(f"/api/v1/users/{me}", json={"dealer_ids": []}).status_code == 409


def test_any_user_sets_its_own_language(session: Session, dealers) -> None:
    agent = create_user(session, role=Role.AGENT, dealers=[dealers[0]])
    with TestClient(app_on(session)) as c:
        use_session(c, sign_in(session, agent))
        assert c.patch("/api/v1/auth/me", json={"language": "uk"}).status_code == 200
        assert c.patch("/api/v1/auth/me", json={"language": "de"}).status_code == 422
    session.refresh(agent)
    assert agent.language == "uk"
