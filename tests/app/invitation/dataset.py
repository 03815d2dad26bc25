"""A small dataset document (built for the dataset import) that exercises the nightly run."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.vehicle.vin import check_digit

AS_OF = date(2026, 11, 20)
DEALER = "PRG9"

# Valid VINs (check digit) for the test vehicles.
VINS = {
    "two_a": "TMBJJ7NE8L0123456",
    "two_b": "TMBJJ7NE0L0123457",
    "opted_out": "TMBJJ7NE2L0123458",
    "dnc": "TMBJJ7NE4L0123459",
    "single": "TMBJJ7NE7L0123460",
}


def make_vin(serial: int) -> str:
    """A valid VIN (check digit in position 9) for test vehicle ``serial``."""
    draft = f"TMBJJ7NE0L1{serial:06d}"
    return draft[:8] + check_digit(draft) + draft[9:]


def _customer(ext: str, phone: str, **extra: Any) -> dict[str, Any]:
    return {
        "external_id": ext,
        "dealer": DEALER,
        "last_name": "Test",
        "phones": [{"number": phone, "type": "mobile", "primary": True}],
        **extra,
    }


def _vehicle(vin: str, *, warranty_start: str | None = None) -> dict[str, Any]:
    vehicle: dict[str, Any] = {
        "vin": vin,
        "dealer": DEALER,
        "make": "Skoda",
        "model": "Octavia",
        "fuel": "petrol",
        "delivery_date": "2023-12-15",
        "delivery_odometer": 10,
    }
    if warranty_start:
        vehicle["warranties"] = [{"kind": "basic", "start_date": warranty_start, "months": 36}]
    return vehicle


def _repair_order(ext: str, vin: str, customer: str, day: str, km: int) -> dict[str, Any]:
    return {
        "external_id": ext,
        "dealer": DEALER,
        "vin": vin,
        "customer": customer,
        "opened_date": day,
        "closed_date": day,
        "odometer_in": km,
        "lines": [
            {
                "pay_type": "customer_pay",
                "labor_amount": 1000,
                "parts_amount": 500,
                "service_kind": "maintenance",
            }
        ],
    }


def nightly_dataset(*, holdout_pct: int = 0) -> dict[str, Any]:
    """Four customers at one Prague dealer on 20 Nov 2026:

    * C-TWO owns two cars: one with an open recall, one whose warranty ends 15 Dec 2026 (window
      open since 16 Oct) -> one call task with both reasons, the recall first;
    * C-OPT has opted out of marketing calls: recall + warranty -> a recall-only task (safety
      notice), the warranty invitation suppressed;
    * C-DNC is on the do-not-call list: recall suppressed, no task;
    * C-ONE: a warranty ending -> a task of its own.
    """
    customers = [
        _customer("C-TWO", "+420 601 123 456"),
        _customer("C-OPT", "+420 601 123 457", consent={"marketing_calls": False}),
        _customer("C-DNC", "+420 601 123 458", consent={"do_not_call": True}),
        _customer("C-ONE", "+420 601 123 459"),
    ]
    owner = {
        "two_a": "C-TWO",
        "two_b": "C-TWO",
        "opted_out": "C-OPT",
        "dnc": "C-DNC",
        "single": "C-ONE",
    }
    warranty = {"two_b": "2023-12-15", "opted_out": "2023-12-15", "single": "2023-12-15"}
    recall = {"two_a", "opted_out", "dnc"}
    return {
        "source": "nightly-test",
        "dealers": [
            {
                "code": DEALER,
                "name": "Nightly test dealer",
                "group": "Nightly test group",
                "country": "CZ",
                "time_zone": "Europe/Prague",
                "locale": "cs",
                "currency": "CZK",
                "settings": {"holdout_pct": holdout_pct},
            }
        ],
        "customers": customers,
        "vehicles": [_vehicle(VINS[k], warranty_start=warranty.get(k)) for k in VINS],
        "ownerships": [
            {"vin": VINS[k], "customer": owner[k], "start_date": "2023-12-15"} for k in VINS
        ],
        "repair_orders": [
            _repair_order(f"RO-{k}", VINS[k], owner[k], "2026-06-01", 25_000) for k in VINS
        ],
        "recalls": [
            {
                "campaign_code": "26V900000",
                "make": "Skoda",
                "title": "Brake hose",
                "remedy_available": True,
                "start_date": "2026-11-01",
                "vehicles": [{"vin": VINS[k], "status": "open"} for k in sorted(recall)],
            }
        ],
    }
