"""The STAR repair-order adapter: mapping, odometer readings, errors by STAR index."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.auth.models import ApiScope
from app.dataset.service import import_dataset
from app.models import Dealer, OdometerReading, RepairOrder, RepairOrderLine
from tests.app.auth.factories import create_api_key
from tests.app.dataset.test_import import count, example

VIN = "TMBJJ7NE8L0123456"


def star_ro(number: str = "RO-9001", **header: Any) -> dict[str, Any]:
    return {
        "RepairOrder": {
            "repair_order_header": {
                "document_identification_group": {
                    "document_identification": {"document_id": number}
                },
                "dealer_party": {"party_id": "PRG1"},
                "owner_party": {"party_id": "C-1001"},
                "repair_order_vehicle_line_item": {"vehicle": {"vehicle_id": VIN}},
                "repair_order_opened_date_time": "2026-09-01T08:15:00+02:00",
                "repair_order_completed_date": "2026-09-02",
                "in_distance_measure": {"value": 80500, "unit_code": "KM"},
                **header,
            },
            "job": [
                {
                    "job_number_string": "1",
                    "operation_id": "SRV-B",
                    "operation_name": "Inspection service",
                    "pay_type": "CUSTOMER_PAY",
                    "labor_operation_type": "MAINTENANCE",
                    "price": [
                        {"price_code": "LABOR", "charge_amount": {"value": 1200.5}},
                        {"price_code": "PARTS", "charge_amount": 640},
                    ],
                },
                {
                    "job_number_string": "2",
                    "service_labor": [
                        {
                            "labor_operation_id": "24V117-A",
                            "labor_operation_description": "Replace fuel pump relay",
                        }
                    ],
                    "bill_to_party_type": "OEM",
                    "service_campaign": [{"campaign_number_string": "24V117000"}],
                },
            ],
        }
    }


def test_star_repair_orders_become_repair_orders_and_odometer_readings(
    session: Session, client: TestClient
) -> None:
    import_dataset(session, example())
    body = {"source": "autoline-prg", "repair_orders": [star_ro()]}

    first = client.post("/api/v1/dms/star/repair-orders", json=body)
    again = client.post("/api/v1/dms/star/repair-orders", json=body)

    assert first.status_code == 200, first.text
    assert (
        sum(s["inserted"] + s["updated"] + s["deleted"] for s in again.json()["sections"].values())
        == 0
    )
    ro = session.execute(select(RepairOrder).where(RepairOrder.external_id == "RO-9001")).one()[0]
    assert (str(ro.opened_date), str(ro.closed_date), ro.odometer_in_km) == (
        "2026-09-01",
        "2026-09-02",
        80500,
    )
    lines = (
        session.execute(select(RepairOrderLine).where(RepairOrderLine.repair_order_id == ro.id))
        .scalars()
        .all()
    )
    assert [(x.op_code, x.pay_type, x.service_kind, x.campaign_code) for x in lines] == [
        ("SRV-B", "customer_pay", "maintenance", None),
        ("24V117-A", "warranty", "recall", "24V117000"),
    ]
    assert (lines[0].labor_amount, lines[0].parts_amount) == (Decimal("1200.50"), Decimal("640"))
    reading = session.execute(
        select(OdometerReading).where(OdometerReading.source == "repair_order")
    ).scalar_one()
    assert (str(reading.reading_date), reading.value_km, reading.accepted) == (
        "2026-09-01",
        80500,
        True,
    )


def test_miles_are_converted_to_the_dealers_unit(session: Session, client: TestClient) -> None:
    import_dataset(session, example())  # PRG1 counts in km
    body = {
        "source": "autoline-prg",
        "repair_orders": [star_ro(in_distance_measure={"value": 50000, "unit_code": "MI"})],
    }
    assert client.post("/api/v1/dms/star/repair-orders", json=body).status_code == 200
    assert (
        session.execute(
            select(RepairOrder.odometer_in_km).where(RepairOrder.external_id == "RO-9001")
        ).scalar_one()
        == 80467
    )


def test_errors_name_the_star_document_and_nothing_is_stored(
    session: Session, client: TestClient
) -> None:
    import_dataset(session, example())
    before = count(session, RepairOrder)
    no_number = star_ro()
    del no_number["RepairOrder"]["repair_order_header"]["document_identification_group"]
    body = {
        "source": "autoline-prg",
        "repair_orders": [
            star_ro("RO-1"),
            no_number,
            star_ro("RO-3", repair_order_opened_date="someday"),
        ],
    }
    response = client.post("/api/v1/dms/star/repair-orders", json=body)
    assert response.status_code == 422
    errors = [(e["index"], e["field"]) for e in response.json()["errors"]]
    assert (
        1,
        "repair_order_header.document_identification_group.document_identification.document_id",
    ) in errors
    assert (2, "opened_date") in errors
    assert count(session, RepairOrder) == before


def test_a_dealer_key_may_omit_the_dealer_party(session: Session, client: TestClient) -> None:
    import_dataset(session, example())
    dealer = session.execute(select(Dealer)).scalar_one()
    key = create_api_key(session, dealer=dealer, scopes=[ApiScope.IMPORT_WRITE])
    ro = star_ro()
    del ro["RepairOrder"]["repair_order_header"]["dealer_party"]
    client.cookies.clear()
    response = client.post(
        "/api/v1/dms/star/repair-orders",
        json={"source": "autoline-prg", "repair_orders": [ro]},
        headers={"X-API-Key": key},
    )
    assert response.status_code == 200, response.text
