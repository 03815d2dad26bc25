"""The CSV front-end of the dataset import: encodings, delimiters, row-numbered errors, blocks."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import IO

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import cli
from app.dataset import csv_import
from app.dataset.csv_import import detect_delimiter, detect_encoding, import_csv
from app.errors import ValidationFailed
from app.models import Customer, CustomerPhone, RecallVehicle, RepairOrder, RepairOrderLine, Vehicle
from tests.app.dataset.test_import import count, snapshot
from tests.app.test_cli import database, vehicles  # noqa: F401 - the CLI's database fixture

EXAMPLE_CSV = {
    "dealers.csv": (
        "code,name,group,country,time_zone,locale,distance_unit,currency,"
        "workshop_capacity_per_day,settings.holdout_pct,settings.lapsed_months\n"
        "PRG1,AutoCentrum Praha Jih,AutoCentrum,CZ,Europe/Prague,cs,km,CZK,24,5,12\n"
    ),
    "service_plans.csv": (
        "make,model,fuel,first_service_days,interval_months,interval_km\n"
        "Skoda,Octavia,petrol,30,12,15000\n*,*,*,30,12,15000\n"
    ),
    "customers.csv": (
        "external_id,dealer,first_name,last_name,email,language,consent.marketing_calls,"
        "consent.do_not_call,status,phones.number,phones.type,phones.primary\n"
        "C-1001,PRG1,Jana,Nováková,jana.novakova@example.cz,cs,true,false,active,"
        "+420 601 123 456,mobile,true\n"
        "C-1001,,,,,,,,,+420 602 000 111,landline,false\n"
    ),
    "vehicles.csv": (
        "vin,dealer,make,model,model_year,fuel,delivery_date,sold_by_dealer,delivery_odometer,"
        "status,warranties.kind,warranties.start_date,warranties.months,warranties.km\n"
        "TMBJJ7NE8L0123456,PRG1,Skoda,Octavia,2021,petrol,2021-03-15,true,12,active,"
        "basic,2021-03-15,24,\n"
        "TMBJJ7NE8L0123456,,,,,,,,,,extended,2023-03-15,36,100000\n"
    ),
    "ownerships.csv": "vin,customer,start_date,end_date\nTMBJJ7NE8L0123456,C-1001,2021-03-15,\n",
    "appointments.csv": (
        "external_id,dealer,vin,customer,slot_start,status,service_types\n"
        "AP-9001,PRG1,TMBJJ7NE8L0123456,C-1001,2026-12-03T08:30:00,booked,oil|tyres\n"
    ),
    "repair_orders.csv": (
        "external_id,dealer,vin,customer,opened_date,closed_date,odometer_in,lines.op_code,"
        "lines.description,lines.pay_type,lines.labor_amount,lines.parts_amount,"
        "lines.service_kind\n"
        "RO-55012,PRG1,TMBJJ7NE8L0123456,C-1001,2025-04-02,2025-04-02,61250,SRV-A,"
        "Annual service,customer_pay,2400.00,1850.00,maintenance\n"
    ),
    "odometer_readings.csv": (
        "vin,date,value,source\nTMBJJ7NE8L0123456,2026-06-10,79800,telematics\n"
    ),
    "recalls.csv": (
        "campaign_code,make,title,remedy_available,start_date,vehicles.vin,vehicles.status\n"
        "24V117000,Skoda,Fuel pump relay may fail,true,2026-10-01,TMBJJ7NE8L0123456,open\n"
    ),
}


def streams(
    files: dict[str, bytes | str], encoding: str = "utf-8"
) -> dict[str, tuple[str, IO[bytes]]]:
    out: dict[str, tuple[str, IO[bytes]]] = {}
    for name, content in files.items():
        data = content.encode(encoding) if isinstance(content, str) else content
        section = csv_import.section_of(name)
        assert section is not None
        out[section] = (name, io.BytesIO(data))
    return out


def rejected(session: Session, files: dict[str, bytes | str], **kw: object) -> list[dict]:
    with pytest.raises(ValidationFailed) as info:
        import_csv(session, streams(files), source="dms", **kw)  # type: ignore[arg-type]
    return info.value.errors


class TestDetection:
    def test_czech_text_in_windows_1250_is_recognised(self) -> None:
        text = "external_id;first_name;last_name\nC-1;Jiří;Dvořák\nC-2;Žaneta;Šťastná\n"
        assert detect_encoding(text.encode("cp1250")) == "cp1250"

    def test_utf8_with_and_without_bom(self) -> None:
        assert detect_encoding("a,b\nč,ř\n".encode()) == "utf-8"
        assert detect_encoding("\ufeffa,b\n".encode()) == "utf-8-sig"

    @pytest.mark.parametrize(
        ("header", "delimiter"), [("a;b;c", ";"), ("a,b,c", ","), ("a\tb", "\t"), ("a", ",")]
    )
    def test_the_delimiter_is_read_from_the_header(self, header: str, delimiter: str) -> None:
        assert detect_delimiter(header) == delimiter


class TestImport:
    def test_the_shared_example_as_csv_imports_every_section_and_reimports_nothing(
        self, session: Session
    ) -> None:
        first = import_csv(session, streams(EXAMPLE_CSV), source="autoline-prg")
        before = snapshot(session)
        second = import_csv(session, streams(EXAMPLE_CSV), source="autoline-prg")

        for section in ("dealers", "customers", "vehicles", "repair_orders", "recalls"):
            assert first.sections[section].inserted == 1, section
        assert first.sections["customers.phones"].inserted == 2
        assert first.sections["vehicles.warranties"].inserted == 2
        assert second.rows_written == 0
        assert snapshot(session) == before
        phones = session.execute(select(CustomerPhone.number, CustomerPhone.is_primary)).all()
        assert sorted(phones) == [("+420601123456", True), ("+420602000111", False)]
        assert session.execute(select(RecallVehicle.vin)).scalar_one() == "TMBJJ7NE8L0123456"

    def test_a_windows_1250_file_with_semicolons_and_decimal_commas(self, session: Session) -> None:
        files: dict[str, bytes | str] = {
            name: EXAMPLE_CSV[name] for name in ("dealers.csv", "vehicles.csv")
        }
        files["customers.csv"] = (
            "external_id;dealer;first_name;last_name;phones.number\n"
            "C-7;PRG1;Jiří;Dvořák;601 123 456\n"
            "C-8;PRG1;Žaneta;Šťastná;\n"
        ).encode("cp1250")
        files["repair_orders.csv"] = (
            "external_id;dealer;vin;customer;opened_date;lines.description;lines.pay_type;"
            "lines.labor_amount;lines.parts_amount;lines.service_kind\n"
            "RO-1;PRG1;TMBJJ7NE8L0123456;C-7;2025-05-01;Výměna oleje;customer_pay;"
            "1 250,50;899,90;maintenance\n"
            "RO-1;;;;;Kontrola brzd;warranty;300;0;repair\n"
        ).encode("cp1250")

        result = import_csv(session, streams(files), source="dms")

        assert result.sections["repair_orders.lines"].inserted == 2
        names = session.execute(select(Customer.first_name, Customer.last_name)).all()
        assert sorted(names) == [("Jiří", "Dvořák"), ("Žaneta", "Šťastná")]
        lines = session.execute(
            select(RepairOrderLine.description, RepairOrderLine.labor_amount).order_by(
                RepairOrderLine.line_no
            )
        ).all()
        assert lines == [("Výměna oleje", Decimal("1250.50")), ("Kontrola brzd", Decimal("300"))]

    def test_every_error_names_its_file_and_row_and_nothing_is_stored(
        self, session: Session
    ) -> None:
        files: dict[str, bytes | str] = dict(EXAMPLE_CSV)
        files["repair_orders.csv"] = (
            "external_id,dealer,vin,opened_date,lines.pay_type,lines.service_kind\n"
            "RO-1,PRG1,TMBJJ7NE8L0123456,2025-04-02,customer_pay,maintenance\n"
            "RO-1,,,,cash,maintenance\n"
            "RO-2,PRG1,WVWZZZ1JZXW000001,2025-04-02,customer_pay,maintenance\n"
            "RO-3,PRG1,TMBJJ7NE8L0123456,not a date,customer_pay,maintenance\n"
        )
        before = snapshot(session)

        errors = rejected(session, files)

        where = {(e["file"], e["row"], e["field"]) for e in errors}
        assert ("repair_orders.csv", 3, "lines[1].pay_type") in where
        assert ("repair_orders.csv", 4, "vin") in where
        assert ("repair_orders.csv", 5, "opened_date") in where
        assert len(errors) == 3
        assert snapshot(session) == before

    def test_rows_of_one_record_that_disagree_are_reported(self, session: Session) -> None:
        files: dict[str, bytes | str] = {"dealers.csv": EXAMPLE_CSV["dealers.csv"]}
        files["vehicles.csv"] = (
            "vin,dealer,make,model,warranties.kind,warranties.start_date,warranties.months\n"
            "TMBJJ7NE8L0123456,PRG1,Skoda,Octavia,basic,2021-03-15,24\n"
            "TMBJJ7NE8L0123456,PRG1,Skoda,Fabia,extended,2023-03-15,36\n"
        )
        errors = rejected(session, files)
        assert [(e["row"], e["field"]) for e in errors] == [(3, "model")]
        assert "Octavia" in errors[0]["message"]

    def test_a_row_with_the_wrong_number_of_cells_and_an_unknown_column(
        self, session: Session
    ) -> None:
        files: dict[str, bytes | str] = {
            "dealers.csv": EXAMPLE_CSV["dealers.csv"],
            "customers.csv": "external_id,dealer,nickname\nC-1,PRG1,Bob\nC-2,PRG1\n",
        }
        errors = rejected(session, files)
        where = sorted((e["row"], e["field"]) for e in errors)
        assert where == [(2, "nickname"), (3, "(row)")]

    def test_a_file_that_is_not_in_the_named_encoding_is_reported(self, session: Session) -> None:
        files: dict[str, bytes | str] = {
            "dealers.csv": EXAMPLE_CSV["dealers.csv"],
            "customers.csv": "external_id,dealer,last_name\nC-1,PRG1,Dvořák\n".encode("cp1250"),
        }
        errors = rejected(session, files, encoding="utf-8")
        assert errors[0]["file"] == "customers.csv"
        assert "utf-8" in errors[0]["message"]

    def test_blocks_refer_to_earlier_blocks_and_report_progress(
        self, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(csv_import, "BLOCK", 3)
        rows = "".join(
            f"RO-{n},PRG1,TMBJJ7NE8L0123456,2025-01-{n:02d},customer_pay,maintenance\n"
            for n in range(1, 11)
        )
        files: dict[str, bytes | str] = {
            name: EXAMPLE_CSV[name] for name in ("dealers.csv", "vehicles.csv")
        }
        files["repair_orders.csv"] = (
            "external_id,dealer,vin,opened_date,lines.pay_type,lines.service_kind\n" + rows
        )
        seen: list[tuple[int, int]] = []

        result = import_csv(
            session, streams(files), source="dms", progress=lambda d, t: seen.append((d, t))
        )

        assert result.sections["repair_orders"].inserted == 10
        assert count(session, RepairOrder) == 10
        done = [d for d, _ in seen]
        assert done == sorted(done)
        assert seen[-1][0] == seen[-1][1] > 0

    def test_an_error_in_a_late_block_rolls_back_the_earlier_blocks(
        self, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(csv_import, "BLOCK", 2)
        files: dict[str, bytes | str] = {
            "dealers.csv": EXAMPLE_CSV["dealers.csv"],
            "customers.csv": "external_id,dealer\nC-1,PRG1\nC-2,PRG1\nC-3,PRG1\nC-4,NOPE\n",
            "ownerships.csv": "vin,customer,start_date\nTMBJJ7NE8L0123456,C-1,2021-01-01\n",
        }
        before = snapshot(session)
        errors = rejected(session, files)
        # The unknown dealer, and the unknown vehicle; C-1 itself was known (no cascade).
        assert sorted((e["file"], e["row"], e["field"]) for e in errors) == [
            ("customers.csv", 5, "dealer"),
            ("ownerships.csv", 2, "vin"),
        ]
        assert snapshot(session) == before


class TestEndpoint:
    def test_a_multipart_upload_is_imported(self, client: TestClient, session: Session) -> None:
        files = [
            ("files", (name, content.encode("utf-8"), "text/csv"))
            for name, content in EXAMPLE_CSV.items()
        ]
        response = client.post("/api/v1/import/csv", data={"source": "dms"}, files=files)
        assert response.status_code == 200, response.text
        assert response.json()["sections"]["vehicles"]["inserted"] == 1
        assert count(session, Vehicle) == 1

    def test_a_rejected_upload_lists_file_and_row(self, client: TestClient) -> None:
        files = [
            ("files", ("dealers.csv", EXAMPLE_CSV["dealers.csv"].encode(), "text/csv")),
            (
                "files",
                ("vehicles.csv", b"vin,dealer,make,model\nBAD,PRG1,Skoda,Fabia\n", "text/csv"),
            ),
        ]
        response = client.post("/api/v1/import/csv", data={"source": "dms"}, files=files)
        assert response.status_code == 422
        error = response.json()["errors"][0]
        assert (error["file"], error["row"], error["field"]) == ("vehicles.csv", 2, "vin")

    def test_an_unknown_file_name_is_refused(self, client: TestClient) -> None:
        files = [("files", ("cars.csv", b"vin\n", "text/csv"))]
        response = client.post("/api/v1/import/csv", data={"source": "dms"}, files=files)
        assert response.status_code == 422
        assert "cars.csv" in response.json()["errors"][0]["message"]


def test_the_cli_imports_a_csv_directory(database: str, tmp_path: Path) -> None:  # noqa: F811
    folder = tmp_path / "export"
    folder.mkdir()
    for name, content in EXAMPLE_CSV.items():
        (folder / name).write_text(content, encoding="utf-8")
    (folder / "source.txt").write_text("autoline-prg\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0

    first = runner.invoke(cli, ["import", "--format", "csv", str(folder)])
    second = runner.invoke(cli, ["import", "--format", "csv", str(folder)])

    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["source"] == "autoline-prg"
    assert "0 row(s) written" in second.stderr
    assert vehicles() == 1
    (folder / "vehicles.csv").write_text("vin,dealer,make,model\nBAD,PRG1,Skoda,Fabia\n")
    bad = runner.invoke(cli, ["import", "--format", "csv", str(folder)])
    assert bad.exit_code == 2
    assert "vehicles.csv row 2: vin" in bad.stderr
