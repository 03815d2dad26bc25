"""Customer search, the customer card and timeline, and audited consent changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.call.models import CallTask
from app.enums import Role
from app.models import Customer, Ownership, Vehicle
from tests.app.auth.factories import (
    create_customer,
    create_dealer,
    create_user,
    sign_in,
    use_session,
)
from tests.app.conftest import app_on


@pytest.fixture
def dealer(session: Session):  # type: ignore[no-untyped-def]
    return create_dealer(session)


@pytest.fixture
def agent_client(session: Session, dealer) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    agent = create_user(session, role=Role.AGENT, dealers=[dealer])
    with TestClient(app_on(session)) as c:
        yield use_session(c, sign_in(session, agent))


def _vehicle_of(session: Session, customer: Customer) -> Vehicle:
    return session.execute(
        select(Vehicle)
        .join(Ownership, col(Ownership.vehicle_id) == col(Vehicle.id))
        .where(col(Ownership.customer_id) == customer.id)
    ).scalar_one()


class TestSearch:
    def test_a_customer_is_found_by_phone_in_national_or_international_form(
        self, session: Session, dealer, agent_client: TestClient
    ) -> None:
        customer = create_customer(session, dealer=dealer, phone="+420601555777")
        for text in ("+420 601 555 777", "601 555 777", "601555777"):
            found = agent_client.get("/api/v1/customers", params={"q": text}).json()
            assert [c["id"] for c in found["data"]] == [customer.id], text
            assert found["data"][0]["primary_phone"] == "+420601555777"

    def test_a_customer_is_found_by_vin_registration_and_name(
        self, session: Session, dealer, agent_client: TestClient
    ) -> None:
        customer = create_customer(session, dealer=dealer, phone="+420601555778")
        vehicle = _vehicle_of(session, customer)
        vehicle.registration = "1AB 2345"
        session.flush()
        for text in (vehicle.vin.lower(), "1ab2345", "1AB-2345", "Nováková", "jana nov"):
            found = agent_client.get("/api/v1/customers", params={"q": text}).json()
            assert customer.id in [c["id"] for c in found["data"]], text

    def test_another_dealers_customers_are_never_found(
        self, session: Session, agent_client: TestClient
    ) -> None:
        other = create_customer(session, dealer=create_dealer(session), phone="+420601555779")
        found = agent_client.get("/api/v1/customers", params={"q": "+420601555779"}).json()
        assert found == {"data": [], "count": 0, "limit": 50, "offset": 0}
        assert agent_client.get(f"/api/v1/customers/{other.id}").status_code == 404
        assert agent_client.get(f"/api/v1/customers/{other.id}/timeline").status_code == 404

    def test_results_are_paginated_up_to_200(
        self, session: Session, dealer, agent_client: TestClient
    ) -> None:
        for n in range(3):
            create_customer(session, dealer=dealer, with_history=False, phone=f"+42060155580{n}")
        page = agent_client.get("/api/v1/customers", params={"q": "Nováková", "limit": 2}).json()
        assert (page["count"], len(page["data"])) == (3, 2)
        rest = agent_client.get(
            "/api/v1/customers", params={"q": "Nováková", "limit": 2, "offset": 2}
        ).json()
        assert len(rest["data"]) == 1
        too_many = agent_client.get("/api/v1/customers", params={"q": "No", "limit": 201})
        assert too_many.status_code == 422
        assert too_many.json()["errors"][0]["field"] == "limit"


def test_the_card_shows_consent_phones_and_vehicles(
    session: Session, dealer, agent_client: TestClient
) -> None:
    customer = create_customer(session, dealer=dealer, phone="+420601555781")
    card = agent_client.get(f"/api/v1/customers/{customer.id}").json()
    assert card["name"] == "Jana Nováková"
    assert card["consent"] == {"marketing_calls": True, "do_not_call": False}
    assert [p["number"] for p in card["phones"]] == ["+420601555781"]
    assert card["vehicles"][0]["make"] == "Skoda"
    assert card["time_zone"] == "Europe/Prague"


def test_the_timeline_lists_every_kind_newest_first(
    session: Session, dealer, agent_client: TestClient
) -> None:
    customer = create_customer(session, dealer=dealer, phone="+420601555782")
    agent_client.patch(
        f"/api/v1/customers/{customer.id}/consent",
        json={"marketing_calls": False, "channel": "letter"},
    ).raise_for_status()
    timeline = agent_client.get(f"/api/v1/customers/{customer.id}/timeline").json()
    kinds = [e["kind"] for e in timeline["data"]]
    assert set(kinds) == {"repair_order", "invitation", "call", "appointment", "consent"}
    moments = [e["at"] for e in timeline["data"]]
    assert moments == sorted(moments, reverse=True)
    ro = next(e for e in timeline["data"] if e["kind"] == "repair_order")
    assert ro["data"]["customer_pay"] == "2400.00"
    consent = next(e for e in timeline["data"] if e["kind"] == "consent")
    assert consent["data"]["after"]["channel"] == "letter"
    first = agent_client.get(f"/api/v1/customers/{customer.id}/timeline", params={"limit": 2})
    assert first.json()["count"] == len(kinds)
    assert len(first.json()["data"]) == 2


class TestConsent:
    def test_a_change_is_audited_with_who_when_and_how(
        self, session: Session, dealer, agent_client: TestClient
    ) -> None:
        customer = create_customer(session, dealer=dealer, phone="+420601555783")
        answer = agent_client.patch(
            f"/api/v1/customers/{customer.id}/consent",
            json={"marketing_calls": False, "channel": "phone"},
        )
        assert answer.status_code == 200
        assert answer.json()["consent"] == {"marketing_calls": False, "do_not_call": False}
        event = session.execute(
            select(AuditEvent).where(
                col(AuditEvent.action) == "customer.consent",
                col(AuditEvent.object_id) == str(customer.id),
            )
        ).scalar_one()
        assert event.actor_type == "user"
        assert event.actor_id is not None
        assert event.dealer_id == dealer.id
        assert event.before == {"marketing_calls": True, "do_not_call": False}
        assert event.after is not None
        assert event.after["channel"] == "phone"

    def test_do_not_call_closes_the_open_call_tasks(
        self, session: Session, dealer, agent_client: TestClient
    ) -> None:
        customer = create_customer(session, dealer=dealer, phone="+420601555784")
        agent_client.patch(
            f"/api/v1/customers/{customer.id}/consent",
            json={"do_not_call": True, "channel": "email"},
        ).raise_for_status()
        tasks = session.execute(
            select(CallTask).where(col(CallTask.customer_id) == customer.id)
        ).scalars()
        assert {(t.status, t.outcome) for t in tasks} == {("closed", "dnc")}

    def test_an_unchanged_value_writes_no_audit_event(
        self, session: Session, dealer, agent_client: TestClient
    ) -> None:
        customer = create_customer(session, dealer=dealer, phone="+420601555785")
        agent_client.patch(
            f"/api/v1/customers/{customer.id}/consent",
            json={"marketing_calls": True, "channel": "phone"},
        ).raise_for_status()
        events = session.execute(
            select(AuditEvent).where(
                col(AuditEvent.object_type) == "customer",
                col(AuditEvent.object_id) == str(customer.id),
            )
        ).all()
        assert events == []

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"channel": "phone"}, "marketing_calls"),
            ({"marketing_calls": False}, "channel"),
            ({"marketing_calls": False, "channel": "fax"}, "channel"),
            ({"marketing_calls": False, "channel": "phone", "status": "erased"}, "status"),
        ],
    )
    def test_bad_input_is_refused_naming_the_field(
        self, session: Session, dealer, agent_client: TestClient, body: dict, field: str
    ) -> None:
        customer = create_customer(session, dealer=dealer, with_history=False)
        answer = agent_client.patch(f"/api/v1/customers/{customer.id}/consent", json=body)
        assert answer.status_code == 422
        assert field in [e["field"] for e in answer.json()["errors"]]

    def test_another_dealers_customer_answers_404(
        self, session: Session, agent_client: TestClient
    ) -> None:
        other = create_customer(session, dealer=create_dealer(session), with_history=False)
        answer = agent_client.patch(
            f"/api/v1/customers/{other.id}/consent",
            json={"do_not_call": True, "channel": "phone"},
        )
        assert answer.status_code == 404
        session.refresh(other)
        assert other.do_not_call is False
