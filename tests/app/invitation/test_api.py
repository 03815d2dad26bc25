"""``GET /api/v1/invitations`` (filters, pagination, dealer scope) and the catalogue routes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.dataset.service import import_dataset
from app.enums import Role
from app.invitation import service as invitation_service
from tests.app.auth.factories import create_dealer, create_user, sign_in, use_session
from tests.app.conftest import app_on
from tests.app.invitation.dataset import AS_OF, DEALER, VINS, nightly_dataset


@pytest.fixture
def admin(session: Session) -> Iterator[TestClient]:
    user = create_user(session, role=Role.ADMIN)
    with TestClient(app_on(session)) as c:
        yield use_session(c, sign_in(session, user))


@pytest.fixture
def computed(session: Session) -> None:
    import_dataset(session, nightly_dataset())
    invitation_service.run_nightly(session, as_of=AS_OF, dealer_code=DEALER)


@pytest.mark.usefixtures("computed")
class TestListInvitations:
    def test_items_have_the_contract_fields(self, admin: TestClient) -> None:
        response = admin.get("/api/v1/invitations", params={"vin": VINS["single"]})

        assert response.status_code == 200, response.text
        body = response.json()
        warranty = next(i for i in body["data"] if i["type"] == "warranty_expiry")
        assert warranty["customer"] == "C-ONE"
        assert warranty["dealer"] == DEALER
        assert warranty["vin"] == VINS["single"]
        assert warranty["status"] == "queued"
        assert warranty["suppression_reason"] is None
        assert warranty["window"] == {"opens": "2026-10-16", "expires": "2026-12-15"}
        assert warranty["explanation"].startswith("The basic warranty")
        assert warranty["explanation_template"].startswith("The {kind} warranty")
        assert warranty["call_task_id"] is not None
        assert {"dedup_key", "priority", "due_date", "confidence", "id"} <= set(warranty)

    def test_filters_narrow_the_list(self, admin: TestClient) -> None:
        def count(**params: str) -> int:
            response = admin.get("/api/v1/invitations", params=params)
            assert response.status_code == 200, response.text
            return int(response.json()["count"])

        everything = count()
        assert count(dealer=DEALER) == everything
        assert count(dealer="NOPE") == 0
        assert count(type="recall") == 3
        assert count(type="recall", status="suppressed") == 1
        assert count(customer="C-TWO", type="recall") == 1
        assert count(due_from="2026-12-01", due_to="2026-12-31") == 3
        assert count(vin=VINS["dnc"].lower()) == count(vin=VINS["dnc"])

    def test_pages_are_limited_to_200_and_follow_the_offset(self, admin: TestClient) -> None:
        total = admin.get("/api/v1/invitations").json()["count"]
        first = admin.get("/api/v1/invitations", params={"limit": 2, "offset": 0}).json()
        second = admin.get("/api/v1/invitations", params={"limit": 2, "offset": 2}).json()

        assert len(first["data"]) == 2
        assert first["count"] == total
        assert {i["id"] for i in first["data"]}.isdisjoint({i["id"] for i in second["data"]})
        assert admin.get("/api/v1/invitations", params={"limit": 201}).status_code == 422

    def test_a_user_of_another_dealer_sees_none_of_them(self, session: Session) -> None:
        other = create_dealer(session)
        agent = create_user(session, role=Role.AGENT, dealers=[other])
        with TestClient(app_on(session)) as c:
            use_session(c, sign_in(session, agent))
            response = c.get("/api/v1/invitations")

        assert response.status_code == 200
        assert response.json()["count"] == 0


class TestCatalogue:
    def test_an_admin_creates_updates_and_deletes_a_service_plan(self, admin: TestClient) -> None:
        created = admin.post(
            "/api/v1/service-plans",
            json={"make": "Skoda", "model": "Kodiaq", "interval_months": 24, "interval_km": 30000},
        )
        assert created.status_code == 201, created.text
        plan_id = created.json()["id"]
        duplicate = admin.post(
            "/api/v1/service-plans",
            json={"make": "skoda", "model": "kodiaq", "interval_months": 12, "interval_km": 1},
        )
        updated = admin.patch(f"/api/v1/service-plans/{plan_id}", json={"interval_km": 20000})
        listed = admin.get("/api/v1/service-plans").json()
        deleted = admin.delete(f"/api/v1/service-plans/{plan_id}")

        assert duplicate.status_code == 409
        assert updated.json()["interval_km"] == 20000
        assert any(p["id"] == plan_id for p in listed)
        assert deleted.status_code == 204

    def test_a_second_identical_plan_is_a_conflict_even_with_non_ascii_names(
        self, admin: TestClient
    ) -> None:
        # Found by fuzzing: SQLite's lower() knows ASCII only, so the lookup missed "Ø" and the
        # unique key answered with a 500; it must be a 409 like any other duplicate.
        plan = {"make": "Ø~", "model": "Ω", "interval_months": 12, "interval_km": 15000}
        first = admin.post("/api/v1/service-plans", json=plan)
        second = admin.post("/api/v1/service-plans", json=plan)

        assert first.status_code == 201, first.text
        assert second.status_code == 409
        assert "exists already" in second.json()["detail"]

    def test_a_dealer_campaign_overrides_the_built_in_window(
        self, admin: TestClient, session: Session
    ) -> None:
        import_dataset(session, nightly_dataset())
        created = admin.post(
            "/api/v1/seasonal-campaigns",
            json={
                "code": "cz_autumn_tyres",
                "dealer": DEALER,
                "kind": "autumn_tyres",
                "country": "CZ",
                "start_month": 11,
                "start_day": 10,
                "end_month": 12,
                "end_day": 10,
            },
        )
        assert created.status_code == 201, created.text

        invitation_service.run_nightly(session, as_of=AS_OF, dealer_code=DEALER)

        seasonal = admin.get(
            "/api/v1/invitations", params={"type": "seasonal", "vin": VINS["single"]}
        ).json()["data"]
        assert [s["window"] for s in seasonal] == [{"opens": "2026-11-10", "expires": "2026-12-10"}]
        campaign_id = created.json()["id"]
        disabled = admin.patch(f"/api/v1/seasonal-campaigns/{campaign_id}", json={"enabled": False})
        assert disabled.json()["enabled"] is False

    def test_an_invalid_campaign_window_is_rejected(self, admin: TestClient) -> None:
        response = admin.post(
            "/api/v1/seasonal-campaigns",
            json={
                "code": "odd",
                "kind": "ac_check",
                "country": "*",
                "start_month": 2,
                "start_day": 30,
                "end_month": 3,
                "end_day": 1,
            },
        )

        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "start_day"

    def test_every_catalogue_change_is_audited(self, admin: TestClient, session: Session) -> None:
        plan = admin.post(
            "/api/v1/service-plans",
            json={"make": "Audit", "model": "*", "interval_months": 12, "interval_km": 15000},
        ).json()
        admin.patch(f"/api/v1/service-plans/{plan['id']}", json={"interval_months": 24})
        admin.delete(f"/api/v1/service-plans/{plan['id']}")
        campaign = admin.post(
            "/api/v1/seasonal-campaigns",
            json={"code": "audit_ac", "kind": "ac_check", "country": "*", "start_month": 4,
                  "start_day": 15, "end_month": 6, "end_day": 15},
        ).json()  # fmt: skip
        admin.patch(f"/api/v1/seasonal-campaigns/{campaign['id']}", json={"enabled": False})
        admin.delete(f"/api/v1/seasonal-campaigns/{campaign['id']}")

        events = session.execute(
            select(AuditEvent.action, AuditEvent.object_id, AuditEvent.before, AuditEvent.after)
            .where(col(AuditEvent.object_type).in_(["service_plan", "seasonal_campaign"]))
            .order_by(col(AuditEvent.id))
        ).all()
        assert [e.action for e in events] == [
            "service_plan.create",
            "service_plan.update",
            "service_plan.delete",
            "seasonal_campaign.create",
            "seasonal_campaign.update",
            "seasonal_campaign.delete",
        ]
        assert events[1].before["interval_months"] == 12
        assert events[1].after["interval_months"] == 24
        assert events[4].after["enabled"] is False

    def test_an_agent_may_not_edit_the_catalogue(self, session: Session) -> None:
        dealer = create_dealer(session)
        agent = create_user(session, role=Role.AGENT, dealers=[dealer])
        with TestClient(app_on(session)) as c:
            use_session(c, sign_in(session, agent))
            response = c.post(
                "/api/v1/service-plans",
                json={"make": "*", "model": "*", "interval_months": 12, "interval_km": 15000},
            )

        assert response.status_code == 403

    def test_a_dealer_admin_may_not_change_the_shared_plans(self, session: Session) -> None:
        dealer = create_dealer(session)
        local_admin = create_user(session, role=Role.ADMIN, dealers=[dealer])
        with TestClient(app_on(session)) as c:
            use_session(c, sign_in(session, local_admin))
            response = c.post(
                "/api/v1/service-plans",
                json={"make": "*", "model": "*", "interval_months": 12, "interval_km": 15000},
            )

        assert response.status_code == 403


def test_an_id_past_the_database_integer_is_a_422(admin: TestClient) -> None:
    # Found by fuzzing: /service-plans/21896339596953159467008 overflowed into a 500.
    response = admin.patch("/api/v1/service-plans/21896339596953159467008", json={})
    campaign = admin.delete("/api/v1/seasonal-campaigns/99999999999999999999")

    assert response.status_code == 422
    assert campaign.status_code == 422
