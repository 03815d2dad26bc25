"""The dataset import: the shared example, idempotence, all-or-nothing, every error listed."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from app.dataset.repository import DatasetRepository
from app.dataset.service import import_dataset
from app.errors import ValidationFailed
from app.models import (
    Appointment,
    Customer,
    CustomerPhone,
    Dealer,
    OdometerReading,
    RecallVehicle,
    RepairOrder,
    RepairOrderLine,
    Vehicle,
    Warranty,
)

EXAMPLE = Path(__file__).resolve().parents[4] / "shared" / "contract" / "example-dataset.json"


def example() -> dict[str, Any]:
    path = EXAMPLE if EXAMPLE.exists() else Path(__file__).with_name("example-dataset.json")
    return json.loads(path.read_text(encoding="utf-8"))


def snapshot(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, including timestamps, to prove nothing was written."""
    out = {}
    for name, table in SQLModel.metadata.tables.items():
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        out[name] = [tuple(r) for r in rows]
    return out


def count(session: Session, model: type[SQLModel]) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def errors_of(session: Session, doc: dict[str, Any]) -> list[dict[str, Any]]:
    with pytest.raises(ValidationFailed) as info:
        import_dataset(session, doc)
    return info.value.errors


class TestSharedExample:
    def test_the_shared_example_imports_every_section(self, session: Session) -> None:
        result = import_dataset(session, example())

        for section in (
            "dealers",
            "service_plans",
            "customers",
            "vehicles",
            "ownerships",
            "repair_orders",
            "odometer_readings",
            "recalls",
            "appointments",
        ):
            assert result.sections[section].inserted >= 1, section
        vehicle = session.execute(select(Vehicle)).scalar_one()
        assert vehicle.vin == "TMBJJ7NE8L0123456"
        phone = session.execute(select(CustomerPhone)).scalar_one()
        assert phone.number == "+420601123456"
        assert phone.is_primary
        line = session.execute(select(RepairOrderLine)).scalar_one()
        assert line.labor_amount == Decimal("2400.00")
        assert count(session, Warranty) == 2
        assert count(session, RecallVehicle) == 1

    def test_importing_the_same_document_again_writes_nothing(self, session: Session) -> None:
        import_dataset(session, example())
        before = snapshot(session)

        again = import_dataset(session, example())

        assert again.rows_written == 0
        assert all(s.inserted == s.updated == s.deleted == 0 for s in again.sections.values())
        assert snapshot(session) == before

    def test_local_appointment_time_is_stored_in_utc(self, session: Session) -> None:
        import_dataset(session, example())

        appointment = session.execute(select(Appointment)).scalar_one()
        slot = appointment.slot_start
        slot = slot if slot.tzinfo else slot.replace(tzinfo=UTC)
        # 08:30 in Prague in December (CET, UTC+1) is 07:30 UTC.
        assert slot.astimezone(UTC) == datetime(2026, 12, 3, 7, 30, tzinfo=UTC)


class TestRejection:
    def test_a_bad_vin_and_a_bad_date_are_both_named_and_nothing_is_stored(
        self, session: Session
    ) -> None:
        doc = example()
        doc["vehicles"][0]["vin"] = "TMBJJ7NE8L012345O"  # letter O is not allowed
        doc["repair_orders"][0]["opened_date"] = "2025-02-30"

        errors = errors_of(session, doc)

        fields = {(e["section"], e["index"], e["field"]) for e in errors}
        assert ("vehicles", 0, "vin") in fields
        assert ("repair_orders", 0, "opened_date") in fields
        vin_error = next(e for e in errors if e["field"] == "vin" and e["section"] == "vehicles")
        assert "I, O and Q" in vin_error["message"]
        assert count(session, Dealer) == 0
        assert count(session, Customer) == 0
        assert count(session, Vehicle) == 0

    def test_a_rejected_document_leaves_earlier_data_untouched(self, session: Session) -> None:
        import_dataset(session, example())
        before = snapshot(session)
        doc = example()
        doc["customers"][0]["first_name"] = "Changed"
        doc["odometer_readings"][0]["value"] = -5

        errors = errors_of(session, doc)

        assert [(e["section"], e["field"]) for e in errors] == [("odometer_readings", "value")]
        assert snapshot(session) == before

    @pytest.mark.parametrize(
        ("section", "change", "field", "fragment"),
        [
            ("vehicles", {"vin": "1HGCM82633A00435X"}, "vin", "check digit"),
            ("vehicles", {"vin": "TMBJJ7NE8L01234"}, "vin", "17 characters"),
            ("vehicles", {"status": "lost"}, "status", "active"),
            ("vehicles", {"dealer": "NOPE"}, "dealer", "unknown dealer"),
            ("vehicles", {"colour": "red"}, "colour", "Extra inputs"),
            ("vehicles", {"delivery_odometer": -1}, "delivery_odometer", "greater than or equal"),
            (
                "customers",
                {"phones": [{"number": "12345", "type": "mobile"}]},
                "phones[0].number",
                "phone",
            ),
            ("customers", {"email": "not-an-email"}, "email", "e-mail"),
            ("repair_orders", {"customer": "C-404"}, "customer", "unknown customer"),
            ("repair_orders", {"vin": "TMBJJ7NE8L0999999"}, "vin", "unknown vehicle"),
            ("repair_orders", {"odometer_in": -10}, "odometer_in", "greater than or equal"),
            ("ownerships", {"end_date": "2020-01-01"}, "(record)", "before start_date"),
            ("dealers", {"settings": {"lead_dayz": 3}}, "settings.lead_dayz", "unknown setting"),
            ("dealers", {"time_zone": "Europe/Atlantis"}, "time_zone", "time zone"),
            # Found by fuzzing: a name too long for the file system, and a NUL byte.
            ("dealers", {"time_zone": "Europe/" + "x" * 300}, "time_zone", "time zone"),
            ("dealers", {"time_zone": "Europe/Pra\x00gue"}, "time_zone", "time zone"),
            ("appointments", {"status": "maybe"}, "status", "booked"),
            (
                "recalls",
                {"vehicles": [{"vin": "TMBJJ7NE8L0123456", "status": "fixed"}]},
                "vehicles[0].status",
                "open",
            ),
        ],
    )
    def test_each_invalid_field_is_reported_with_its_place(
        self, session: Session, section: str, change: dict[str, Any], field: str, fragment: str
    ) -> None:
        doc = example()
        doc[section][0].update(change)

        errors = errors_of(session, doc)

        match = [
            e for e in errors if e["section"] == section and e["index"] == 0 and e["field"] == field
        ]
        assert match, errors
        assert fragment.lower() in match[0]["message"].lower()
        assert count(session, Dealer) == 0

    def test_every_error_of_every_section_is_listed(self, session: Session) -> None:
        doc = example()
        doc["vehicles"].append(copy.deepcopy(doc["vehicles"][0]))  # duplicate VIN
        doc["customers"][0]["phones"][0]["number"] = "+420 12"
        doc["repair_orders"][0]["lines"][0]["pay_type"] = "cash"
        doc["unexpected"] = []

        errors = errors_of(session, doc)

        places = {(e["section"], e["index"], e["field"]) for e in errors}
        assert ("document", None, "unexpected") in places
        assert ("vehicles", 1, "vin") in places
        assert ("customers", 0, "phones[0].number") in places
        assert ("repair_orders", 0, "lines[0].pay_type") in places

    def test_a_document_without_a_source_is_rejected(self, session: Session) -> None:
        doc = example()
        del doc["source"]

        errors = errors_of(session, doc)

        assert ("document", "source") in {(e["section"], e["field"]) for e in errors}


class TestUpserts:
    def test_a_changed_field_updates_only_that_record(self, session: Session) -> None:
        import_dataset(session, example())
        doc = example()
        doc["customers"][0]["last_name"] = "Svobodová"

        result = import_dataset(session, doc)

        assert result.sections["customers"].updated == 1
        assert result.rows_written == 1
        customer = session.execute(select(Customer)).scalar_one()
        assert customer.last_name == "Svobodová"

    def test_fields_left_out_keep_their_stored_values(self, session: Session) -> None:
        import_dataset(session, example())
        partial = {
            "source": "autoline-prg",
            "customers": [
                {"external_id": "C-1001", "dealer": "PRG1", "consent": {"do_not_call": True}}
            ],
        }

        import_dataset(session, partial)

        customer = session.execute(select(Customer)).scalar_one()
        assert customer.do_not_call is True
        assert customer.marketing_calls is True
        assert customer.first_name == "Jana"
        assert count(session, CustomerPhone) == 1

    def test_a_phone_list_that_is_sent_replaces_the_stored_one(self, session: Session) -> None:
        import_dataset(session, example())
        doc = example()
        doc["customers"][0]["phones"] = [{"number": "602 987 654", "type": "mobile"}]

        import_dataset(session, doc)

        phones = session.execute(select(CustomerPhone.number, CustomerPhone.is_primary)).all()
        assert [tuple(p) for p in phones] == [("+420602987654", True)]

    def test_a_phone_marked_invalid_stays_invalid_after_a_reimport(self, session: Session) -> None:
        import_dataset(session, example())
        phone = session.execute(select(CustomerPhone)).scalar_one()
        phone.is_valid = False
        session.add(phone)
        session.commit()

        result = import_dataset(session, example())

        assert result.rows_written == 0
        session.refresh(phone)
        assert phone.is_valid is False

    def test_miles_are_stored_as_kilometres(self, session: Session) -> None:
        doc = example()
        doc["dealers"][0]["distance_unit"] = "mi"

        import_dataset(session, doc)

        ro = session.execute(select(RepairOrder)).scalar_one()
        assert ro.odometer_in_km == round(61250 * 1.609344)
        reading = session.execute(select(OdometerReading)).scalar_one()
        assert reading.value_km == round(79800 * 1.609344)
        extended = session.execute(select(Warranty).where(Warranty.kind == "extended")).scalar_one()
        assert extended.km_limit == round(100000 * 1.609344)

    def test_later_documents_may_refer_to_records_imported_earlier(self, session: Session) -> None:
        import_dataset(session, example())
        later = {
            "source": "autoline-prg",
            "repair_orders": [
                {
                    "external_id": "RO-60000",
                    "dealer": "PRG1",
                    "vin": "TMBJJ7NE8L0123456",
                    "customer": "C-1001",
                    "opened_date": "2026-11-02",
                    "odometer_in": 82000,
                    "lines": [{"pay_type": "customer_pay", "service_kind": "tyres"}],
                }
            ],
        }

        result = import_dataset(session, later)

        assert result.sections["repair_orders"].inserted == 1
        dates = session.execute(select(RepairOrder.opened_date).order_by(RepairOrder.opened_date))
        assert list(dates.scalars()) == [date(2025, 4, 2), date(2026, 11, 2)]

    def test_repair_order_lines_are_synced_with_exact_counts(self, session: Session) -> None:
        import_dataset(session, example())

        def orders(lines_of: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
            return {
                "source": "autoline-prg",
                "repair_orders": [
                    {
                        "external_id": f"RO-7{n:04d}",
                        "dealer": "PRG1",
                        "vin": "TMBJJ7NE8L0123456",
                        "opened_date": "2026-01-05",
                        "lines": lines,
                    }
                    for n, lines in lines_of.items()
                ],
            }

        def line(op: str, labor: str = "100.00") -> dict[str, Any]:
            return {
                "op_code": op,
                "pay_type": "customer_pay",
                "service_kind": "repair",
                "labor_amount": labor,
            }

        first = import_dataset(
            session, orders({n: [line("A"), line("B"), line("C")] for n in range(30)})
        )
        # RO 0 unchanged, RO 1 one line changed, RO 2 one line fewer, RO 3 no lines, RO 4 one more.
        changed = {n: [line("A"), line("B"), line("C")] for n in range(30)}
        changed[1] = [line("A"), line("B", "250.50"), line("C")]
        changed[2] = [line("A"), line("B")]
        changed[3] = []
        changed[4] = [line("A"), line("B"), line("C"), line("D")]
        second = import_dataset(session, orders(changed))
        third = import_dataset(session, orders(changed))

        assert first.sections["repair_orders"].inserted == 30
        assert first.sections["repair_orders.lines"].inserted == 90
        lines = second.sections["repair_orders.lines"]
        assert (lines.inserted, lines.updated, lines.deleted) == (1, 1, 4)
        assert lines.unchanged == 87 - 1 - 1  # lines sent, less the inserted and the updated
        assert second.sections["repair_orders"].updated == 0
        assert third.rows_written == 0
        stored = session.execute(
            select(RepairOrder.external_id, RepairOrderLine.line_no, RepairOrderLine.labor_amount)
            .join(RepairOrder, RepairOrder.id == RepairOrderLine.repair_order_id)
            .where(RepairOrder.external_id.in_(["RO-70001", "RO-70002", "RO-70003", "RO-70004"]))
            .order_by(RepairOrder.external_id, RepairOrderLine.line_no)
        ).all()
        assert [tuple(r) for r in stored] == [
            ("RO-70001", 1, Decimal("100.00")),
            ("RO-70001", 2, Decimal("250.50")),
            ("RO-70001", 3, Decimal("100.00")),
            ("RO-70002", 1, Decimal("100.00")),
            ("RO-70002", 2, Decimal("100.00")),
            ("RO-70004", 1, Decimal("100.00")),
            ("RO-70004", 2, Decimal("100.00")),
            ("RO-70004", 3, Decimal("100.00")),
            ("RO-70004", 4, Decimal("100.00")),
        ]

    def test_new_rows_get_the_column_defaults(self, session: Session) -> None:
        result = import_dataset(session, example())

        assert result.sections["customers"].inserted == 1
        customer = session.execute(select(Customer)).scalar_one()
        assert customer.value_segment == "standard"
        assert customer.created_at is not None
        assert customer.updated_at is not None

    def test_keys_with_quotes_commas_and_accents_are_found_again(self, session: Session) -> None:
        keys = ['C-"1"', "C,2", "C{3}", "Č-4 ž", "C\\5", "C'6", "NULL"]
        doc = {
            "source": "autoline-prg",
            "dealers": example()["dealers"],
            "customers": [{"external_id": k, "dealer": "PRG1"} for k in keys],
        }
        import_dataset(session, doc)
        ids = dict(session.execute(select(Customer.external_id, Customer.id)).all())

        again = import_dataset(session, doc)
        found = DatasetRepository(session).ids_by(
            Customer, "external_id", [*keys, "missing"], source="autoline-prg"
        )

        assert again.rows_written == 0
        assert found == ids
        assert sorted(found) == sorted(keys)
        by_id = DatasetRepository(session).ids_by(Customer, "id", list(ids.values()))
        assert set(by_id) == set(ids.values())

    def test_a_recall_list_sent_in_parts_keeps_the_earlier_vins(self, session: Session) -> None:
        import_dataset(session, example())
        doc = {
            "source": "oem",
            "recalls": [
                {
                    "campaign_code": "24V117000",
                    "title": "Fuel pump relay may fail",
                    "vehicles": [{"vin": "TMBJJ7NE8L0654321", "status": "open"}],
                }
            ],
        }

        import_dataset(session, doc)

        assert count(session, RecallVehicle) == 2
