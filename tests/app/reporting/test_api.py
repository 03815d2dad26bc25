from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.enums import Role
from tests.app.auth.factories import create_user, sign_in, use_session
from tests.app.conftest import app_on
from tests.app.reporting.factories import build_known_dataset

Q1 = "from=2026-01-01&to=2026-04-01"


def test_a_manager_sees_the_funnel_of_their_dealers_only(session: Session) -> None:
    known = build_known_dataset(session)
    manager = create_user(session, role=Role.MANAGER, dealers=[known.dealer])
    with TestClient(app_on(session)) as client:
        use_session(client, sign_in(session, manager))
        response = client.get(f"/api/v1/reports/funnel?{Q1}&dimension=dealer&grain=quarter")
        assert response.status_code == 200, response.text
        body = response.json()
        # D2's invitation is not the manager's: 11 due, not 12.
        assert body["total"]["invitations"]["due"] == 11
        assert [p["dealer"] for p in body["periods"]] == [known.dealer.code], body["periods"]
        assert body["total"]["invitations"]["revenue"]["total"] == "460.00"
        other = client.get(f"/api/v1/reports/funnel?{Q1}&dealer={known.other_dealer.code}")
        assert other.status_code == 404
        assert "dealer" in other.json()["detail"]


def test_agents_retention_and_recalls_answer_json(session: Session) -> None:
    known = build_known_dataset(session)
    supervisor = create_user(session, role=Role.SUPERVISOR, dealers=[known.dealer])
    with TestClient(app_on(session)) as client:
        use_session(client, sign_in(session, supervisor))
        agents = client.get(f"/api/v1/reports/agents?{Q1}").json()
        assert agents["team"]["attempts"] == 6
        retention = client.get("/api/v1/reports/retention?from=2024-01-01&to=2024-04-01").json()
        assert retention["dealers"][0]["cohort_customers"] == 4
        recalls = client.get("/api/v1/reports/recalls").json()
        assert recalls["campaigns"][0]["population"] == 3


def test_agents_may_not_read_reports(session: Session) -> None:
    known = build_known_dataset(session)
    with TestClient(app_on(session)) as client:
        use_session(client, sign_in(session, known.agent_a))
        assert client.get(f"/api/v1/reports/funnel?{Q1}").status_code == 403


def test_bad_parameters_are_refused_with_the_field_named(session: Session) -> None:
    manager = create_user(session, role=Role.ADMIN)
    with TestClient(app_on(session)) as client:
        use_session(client, sign_in(session, manager))
        bad_date = client.get("/api/v1/reports/funnel?from=2026-13-01&to=2026-04-01")
        assert bad_date.status_code == 422
        assert bad_date.json()["errors"][0]["field"] == "from"
        reversed_range = client.get("/api/v1/reports/funnel?from=2026-04-01&to=2026-01-01")
        assert reversed_range.status_code == 400
        assert reversed_range.json()["detail"].startswith("to:")
        bad_dimension = client.get(f"/api/v1/reports/funnel?{Q1}&dimension=colour")
        assert bad_dimension.status_code == 422
        assert bad_dimension.json()["errors"][0]["field"] == "dimension"
