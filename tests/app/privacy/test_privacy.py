"""Customer export (art. 15), erasure (art. 17) and the inactivity retention job."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlmodel import Session, col

from app.enums import Role
from app.models import AuditEvent, CallAttempt, CallTask, Customer, CustomerPhone, Ownership
from app.privacy import service as privacy_service
from tests.app.auth.factories import (
    create_customer,
    create_dealer,
    create_user,
    sign_in,
    use_session,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class TestExport:
    def test_the_export_holds_everything_about_the_customer(
        self, session: Session, client: TestClient
    ) -> None:
        customer = create_customer(session, dealer=create_dealer(session))

        response = client.get(f"/api/v1/customers/{customer.id}/export")

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["customer"]["last_name"] == "Nováková"
        assert [p["number"] for p in body["phones"]] == ["+420601123456"]
        assert body["customer"]["marketing_calls"] is True
        assert len(body["ownerships"]) == len(body["vehicles"]) == 1
        assert body["repair_orders"][0]["lines"][0]["labor_amount"] in ("2400.00", "2400")
        for section in ("appointments", "invitations", "call_tasks", "call_attempts"):
            assert len(body[section]) == 1, section
        assert body["call_attempts"][0]["note"].startswith("Call Jana")

    def test_an_export_is_audited(self, session: Session, client: TestClient) -> None:
        customer = create_customer(session, dealer=create_dealer(session), with_history=False)

        client.get(f"/api/v1/customers/{customer.id}/export")

        event = session.execute(
            select(AuditEvent).where(AuditEvent.action == "customer.export")
        ).scalar_one()
        assert event.object_id == str(customer.id)
        assert event.dealer_id == customer.dealer_id

    def test_another_dealers_customer_is_404_and_agents_may_not_export(
        self, session: Session, anon_client: TestClient
    ) -> None:
        mine, theirs = create_dealer(session), create_dealer(session)
        foreign = create_customer(session, dealer=theirs, with_history=False)
        own = create_customer(session, dealer=mine, with_history=False)
        manager = create_user(session, role=Role.MANAGER, dealers=[mine])
        agent = create_user(session, role=Role.AGENT, dealers=[mine])

        use_session(anon_client, sign_in(session, manager))
        not_found = anon_client.get(f"/api/v1/customers/{foreign.id}/export")
        missing = anon_client.get("/api/v1/customers/2147483647/export")
        use_session(anon_client, sign_in(session, agent))
        refused = anon_client.get(f"/api/v1/customers/{own.id}/export")

        assert not_found.status_code == missing.status_code == 404
        assert not_found.json() == missing.json()
        assert refused.status_code == 403


class TestErasure:
    def test_erasure_removes_personal_data_and_keeps_anonymous_rows(
        self, session: Session, client: TestClient
    ) -> None:
        customer = create_customer(session, dealer=create_dealer(session))
        cid = customer.id

        response = client.post(f"/api/v1/customers/{cid}/erase")

        assert response.status_code == 200, response.text
        assert response.json()["phones_removed"] == 1
        assert response.json()["notes_cleared"] == 1
        session.expire_all()
        erased = session.get(Customer, cid)
        assert erased is not None
        assert (erased.first_name, erased.last_name, erased.email) == (None, None, None)
        assert erased.status == "erased"
        assert erased.erased_at is not None
        assert erased.do_not_call
        phones = session.execute(
            select(func.count())
            .select_from(CustomerPhone)
            .where(col(CustomerPhone.customer_id) == cid)
        ).scalar_one()
        assert phones == 0
        task_ids = select(CallTask.id).where(col(CallTask.customer_id) == cid)
        attempts = (
            session.execute(select(CallAttempt).where(col(CallAttempt.call_task_id).in_(task_ids)))
            .scalars()
            .all()
        )
        assert [a.note for a in attempts] == [None]  # the attempt is kept for the counts
        assert (
            session.execute(
                select(func.count()).select_from(Ownership).where(col(Ownership.customer_id) == cid)
            ).scalar_one()
            == 1
        )
        export = client.get(f"/api/v1/customers/{cid}/export").json()
        assert "Nov" not in str(export)
        assert "+420601123456" not in str(export)
        assert "601 123 456" not in str(export)

    def test_erasure_is_audited_without_personal_data(
        self, session: Session, client: TestClient
    ) -> None:
        customer = create_customer(session, dealer=create_dealer(session))

        client.post(f"/api/v1/customers/{customer.id}/erase")

        event = session.execute(
            select(AuditEvent).where(AuditEvent.action == "customer.erase")
        ).scalar_one()
        assert event.after is not None
        assert event.after["status"] == "erased"
        assert "Jana" not in str(event.before) + str(event.after)

    def test_only_administrators_erase(self, session: Session, anon_client: TestClient) -> None:
        dealer = create_dealer(session)
        customer = create_customer(session, dealer=dealer, with_history=False)
        use_session(
            anon_client, sign_in(session, create_user(session, role=Role.MANAGER, dealers=[dealer]))
        )

        assert anon_client.post(f"/api/v1/customers/{customer.id}/erase").status_code == 403


class TestInactiveCustomers:
    def age(self, session: Session, customer: Customer, when: datetime) -> None:
        session.execute(
            update(Customer).where(col(Customer.id) == customer.id).values(updated_at=when)
        )

    def test_customers_without_activity_for_the_configured_years_are_anonymised(
        self, session: Session
    ) -> None:
        dealer = create_dealer(session)
        stale = create_customer(session, dealer=dealer, with_history=False)
        active = create_customer(session, dealer=dealer)  # RO in 2025, attempt in 2026
        fresh = create_customer(session, dealer=dealer, with_history=False)
        for c in (stale, active):
            self.age(session, c, datetime(2019, 1, 1, tzinfo=UTC))

        would = privacy_service.anonymise_inactive(session, now=NOW, years=6, dry_run=True)
        done = privacy_service.anonymise_inactive(session, now=NOW, years=6)

        assert stale.id in would
        assert active.id not in would
        assert fresh.id not in would
        assert done == would
        session.expire_all()
        erased = session.get(Customer, stale.id)
        assert erased is not None
        assert erased.status == "erased"
        assert privacy_service.anonymise_inactive(session, now=NOW, years=6) == []
