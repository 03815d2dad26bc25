"""The contact-centre endpoints over HTTP (the service tests cover the rules)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.contact.router import get_now
from app.enums import Role
from tests.app.auth.factories import create_user, sign_in, use_session
from tests.app.conftest import app_on
from tests.app.contact.factories import TUESDAY_10_PRAGUE, create_dealer, create_task


def _agent_client(session: Session, dealer, now=TUESDAY_10_PRAGUE) -> TestClient:  # type: ignore[no-untyped-def]
    application = app_on(session)
    application.dependency_overrides[get_now] = lambda: now
    agent = create_user(session, role=Role.AGENT, dealers=[dealer])
    return use_session(TestClient(application), sign_in(session, agent))


def test_next_call_then_a_stale_outcome_gets_409_and_a_fresh_one_200(session: Session) -> None:
    dealer = create_dealer(session)
    task = create_task(session, dealer=dealer)
    client = _agent_client(session, dealer)

    card = client.post("/api/v1/agent/next-call")
    assert card.status_code == 200, card.text
    body = card.json()
    assert body["task_id"] == task.id
    assert body["customer"]["name"] == "Jana Nováková"

    stale = client.post(
        f"/api/v1/call-tasks/{task.id}/outcome",
        json={"claim_token": "x" * 32, "disposition": "no_answer"},
    )
    assert stale.status_code == 409
    renewed = client.post(
        f"/api/v1/call-tasks/{task.id}/lease", json={"claim_token": body["claim_token"]}
    )
    assert renewed.status_code == 200
    done = client.post(
        f"/api/v1/call-tasks/{task.id}/outcome",
        json={
            "claim_token": body["claim_token"],
            "disposition": "declined",
            "reason": "too expensive",
        },
    )
    assert done.status_code == 200, done.text
    assert done.json()["outcome"] == "declined"
    assert client.post("/api/v1/agent/next-call").status_code == 204


def test_a_callback_without_its_time_is_a_400_naming_the_field(session: Session) -> None:
    dealer = create_dealer(session)
    task = create_task(session, dealer=dealer)
    client = _agent_client(session, dealer)
    token = client.post("/api/v1/agent/next-call").json()["claim_token"]

    response = client.post(
        f"/api/v1/call-tasks/{task.id}/outcome",
        json={"claim_token": token, "disposition": "call_back"},
    )

    assert response.status_code == 400
    assert "callback_at" in response.json()["detail"]


def test_unknown_fields_are_refused(session: Session) -> None:
    dealer = create_dealer(session)
    task = create_task(session, dealer=dealer)
    client = _agent_client(session, dealer)

    response = client.post(
        f"/api/v1/call-tasks/{task.id}/outcome",
        json={"claim_token": "t", "disposition": "busy", "surprise": 1},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "surprise"


def test_slots_default_to_the_next_two_weeks(session: Session) -> None:
    dealer = create_dealer(session)
    client = _agent_client(session, dealer)

    response = client.get(f"/api/v1/dealers/{dealer.code}/slots")

    assert response.status_code == 200
    starts = [s["start"][:10] for s in response.json()["data"]]
    assert starts[0] == "2026-11-24"
    assert max(starts) <= str(TUESDAY_10_PRAGUE.date() + timedelta(days=13))
