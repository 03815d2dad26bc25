"""A dealer-scoped importer writes only its own dealers' records; foreign data looks unknown."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit import Actor, ActorType
from app.dataset.service import ImportScope, import_dataset
from app.errors import ValidationFailed
from app.models import AuditEvent, Customer, Dealer, Vehicle
from tests.app.dataset.test_import import example

VIN = "TMBJJ7NE8L0123456"


def scoped_to(session: Session, *codes: str) -> ImportScope:
    rows = session.execute(select(Dealer.id).where(col(Dealer.code).in_(codes))).scalars().all()
    return ImportScope(dealer_ids=frozenset(rows))


def second_dealer(code: str = "BRN1") -> dict[str, Any]:
    dealer = dict(example()["dealers"][0])
    dealer.update(code=code, name="Brno")
    return dealer


def errors_of(
    session: Session, doc: dict[str, Any], scope: ImportScope
) -> set[tuple[str, int | None, str]]:
    with pytest.raises(ValidationFailed) as info:
        import_dataset(session, doc, scope=scope)
    return {(e["section"], e["index"], e["field"]) for e in info.value.errors}


@pytest.fixture
def two_dealers(session: Session) -> None:
    """PRG1 with the shared example's customer and vehicle, and an empty BRN1."""
    import_dataset(session, example())
    import_dataset(session, {"source": "autoline-prg", "dealers": [second_dealer()]})


@pytest.mark.usefixtures("two_dealers")
class TestDealerScopedImport:
    def test_a_dealer_updates_its_own_records(self, session: Session) -> None:
        doc = {
            "source": "autoline-prg",
            "customers": [{"external_id": "C-1001", "dealer": "PRG1", "first_name": "Janka"}],
        }

        result = import_dataset(session, doc, scope=scoped_to(session, "PRG1"))

        assert result.sections["customers"].updated == 1

    def test_records_of_another_dealer_are_unknown_references(self, session: Session) -> None:
        doc = {
            "source": "autoline-prg",
            "customers": [{"external_id": "C-2001", "dealer": "PRG1"}],
            "ownerships": [{"vin": VIN, "customer": "C-2001", "start_date": "2024-01-01"}],
            "repair_orders": [
                {"external_id": "RO-9", "dealer": "BRN1", "vin": VIN, "opened_date": "2025-01-01"}
            ],
        }

        errors = errors_of(session, doc, scoped_to(session, "BRN1"))

        assert ("customers", 0, "dealer") in errors
        assert ("ownerships", 0, "vin") in errors
        assert ("repair_orders", 0, "vin") in errors

    def test_a_foreign_vin_or_customer_cannot_be_taken_over(self, session: Session) -> None:
        doc = {
            "source": "autoline-prg",
            "customers": [{"external_id": "C-1001", "dealer": "BRN1", "first_name": "Mine"}],
            "vehicles": [{"vin": VIN, "dealer": "BRN1", "make": "Skoda", "model": "Octavia"}],
        }

        errors = errors_of(session, doc, scoped_to(session, "BRN1"))

        assert errors == {("customers", 0, "external_id"), ("vehicles", 0, "vin")}
        vehicle = session.execute(select(Vehicle).where(Vehicle.vin == VIN)).scalar_one()
        customer = session.execute(
            select(Customer).where(Customer.external_id == "C-1001")
        ).scalar_one()
        assert customer.first_name == "Jana"
        assert vehicle.dealer_id not in scoped_to(session, "BRN1").dealer_ids

    def test_the_global_catalogue_and_new_dealers_need_a_platform_administrator(
        self, session: Session
    ) -> None:
        doc = example()
        doc["dealers"].append(second_dealer("NEW1"))

        errors = errors_of(session, doc, scoped_to(session, "PRG1"))

        assert ("dealers", 1, "code") in errors
        assert ("service_plans", 0, "(record)") in errors
        assert ("recalls", 0, "(record)") in errors
        assert ("dealers", 0, "code") not in errors

    def test_scope_errors_come_with_every_other_error_of_the_document(
        self, session: Session
    ) -> None:
        doc = {
            "source": "autoline-prg",
            "vehicles": [
                {"vin": VIN, "dealer": "BRN1", "make": "Skoda", "model": "Octavia"},
                {"vin": "BAD", "dealer": "BRN1", "make": "Skoda", "model": "Octavia"},
            ],
        }

        errors = errors_of(session, doc, scoped_to(session, "BRN1"))

        assert errors == {("vehicles", 0, "vin"), ("vehicles", 1, "vin")}


def test_an_import_by_a_key_is_audited_against_its_dealer(session: Session) -> None:
    import_dataset(session, example())
    scope = scoped_to(session, "PRG1")
    doc = {"source": "autoline-prg", "customers": [{"external_id": "C-7", "dealer": "PRG1"}]}

    import_dataset(session, doc, scope=scope, actor=Actor(type=ActorType.API_KEY, id=5))

    event = (
        session.execute(
            select(AuditEvent)
            .where(AuditEvent.action == "dataset.import")
            .order_by(col(AuditEvent.id).desc())
        )
        .scalars()
        .first()
    )
    assert event is not None
    assert (event.actor_type, event.actor_id) == ("api_key", 5)
    assert event.dealer_id in scope.dealer_ids


@pytest.mark.usefixtures("two_dealers")
def test_a_seasonal_campaign_for_every_dealer_needs_a_platform_administrator(
    session: Session,
) -> None:
    doc = {
        "source": "autoline-prg",
        "seasonal_campaigns": [{"code": "autumn_tyres", "dealer": None}],
    }

    errors = errors_of(session, doc, scoped_to(session, "PRG1"))

    assert ("seasonal_campaigns", 0, "dealer") in errors
