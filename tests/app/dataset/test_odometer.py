"""Odometer sanity: backwards or over-500-km/day readings are stored rejected, with the reason."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.dataset.odometer import Reading, judge
from app.dataset.service import import_dataset
from app.models import OdometerReading, Vehicle
from tests.app.dataset.test_import import example

VIN = "TMBJJ7NE8L0123456"


def r(day: str, km: int, source: str = "dms", replaced: bool = False) -> Reading:
    d = date.fromisoformat(day)
    return Reading(key=(d, source), day=d, km=km, replaced=replaced)


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        (r("2026-02-01", 12_000), None),
        (r("2026-02-01", 9_000), "goes backwards: 9000 km on 2026-02-01 is below 10000 km"),
        (r("2026-01-02", 10_600), "implies 600 km/day since 10000 km on 2026-01-01"),
        (r("2026-01-02", 10_500), None),
        (r("2026-02-01", 100, replaced=True), None),
        (r("2025-12-01", 11_000), "goes backwards: 11000 km on 2025-12-01 is above 10000 km"),
    ],
)
def test_judge(new: Reading, reason: str | None) -> None:
    verdict = judge(new, [r("2026-01-01", 10_000, "telematics")])
    if reason is None:
        assert verdict is None
    else:
        assert verdict is not None
        assert verdict.startswith(reason)


def test_a_reading_is_never_judged_against_itself() -> None:
    assert judge(r("2026-01-01", 5), [r("2026-01-01", 10_000)]) is None


def test_rejected_readings_are_stored_with_the_reason_and_shown_on_the_vehicle(
    session: Session, client: TestClient
) -> None:
    doc = example()  # RO-55012: 61,250 km on 2025-04-02; a telematics 79,800 km on 2026-06-10
    doc["odometer_readings"] += [
        {"vin": VIN, "date": "2026-07-01", "value": 50_000, "source": "agent"},
        {"vin": VIN, "date": "2026-06-11", "value": 90_000, "source": "dms"},
    ]
    import_dataset(session, doc)
    again = import_dataset(session, doc)

    assert again.rows_written == 0
    rows = {
        x.source: (x.accepted, x.rejection_reason)
        for x in session.execute(select(OdometerReading)).scalars()
    }
    assert rows["telematics"] == (True, None)
    assert rows["agent"][0] is False
    assert "goes backwards" in (rows["agent"][1] or "")
    assert rows["dms"][0] is False
    assert "km/day" in (rows["dms"][1] or "")

    vehicle_id = session.execute(select(Vehicle.id)).scalar_one()
    response = client.get(f"/api/v1/vehicles/{vehicle_id}/odometer-readings")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    rejected = [x for x in body["data"] if not x["accepted"]]
    assert {x["source"] for x in rejected} == {"agent", "dms"}
    assert all(x["rejection_reason"] for x in rejected)


def test_another_dealers_vehicle_answers_404(session: Session, client: TestClient) -> None:
    response = client.get("/api/v1/vehicles/999999/odometer-readings")
    assert response.status_code == 404
