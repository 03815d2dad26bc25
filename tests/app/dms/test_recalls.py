"""Recall imports: an OEM VIN list (CSV) and the NHTSA FLAT_RCL campaign file."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.dms.recalls import import_flat_rcl, import_recall_list
from app.errors import ValidationFailed
from app.models import RecallCampaign, RecallVehicle
from tests.app.dataset.test_import import count

VIN_A, VIN_B = "TMBJJ7NE8L0123456", "WVWZZZ1JZXW000001"


def flat_rcl_row(campno: str, make: str, component: str, defect: str, remedy: str) -> str:
    fields = [""] * 29
    fields[0], fields[1], fields[2], fields[3], fields[4] = "1", campno, make, "OCTAVIA", "2021"
    fields[6], fields[12], fields[15] = component, "20260115", "20251201"
    fields[19], fields[21] = defect, remedy
    return "\t".join(fields) + "\r\n"


def test_a_recall_list_adds_vins_to_campaigns_and_reimports_nothing(session: Session) -> None:
    text = (
        "campaign_code;vin;status\n"
        f"24V117000;{VIN_A};open\n"
        f"24V117000;{VIN_B};completed\n"
        f"23V900000;{VIN_A};OPEN\n"
    )
    first = import_recall_list(session, io.BytesIO(text.encode()), name="oem.csv")
    second = import_recall_list(session, io.BytesIO(text.encode()), name="oem.csv")

    assert first.sections["recalls.vehicles"].inserted == 3
    assert second.rows_written == 0
    statuses = dict(
        session.execute(
            select(RecallVehicle.vin, RecallVehicle.status)
            .join(RecallCampaign, RecallCampaign.id == RecallVehicle.campaign_id)
            .where(RecallCampaign.campaign_code == "24V117000")
        )
        .tuples()
        .all()
    )
    assert statuses == {VIN_A: "open", VIN_B: "completed_elsewhere"}
    titles = session.execute(select(RecallCampaign.title)).scalars().all()
    assert "Recall campaign 23V900000" in titles


def test_a_bad_recall_list_names_each_row_and_stores_nothing(session: Session) -> None:
    text = f"campaign,vin,status\n24V1,{VIN_A},open\n24V1,NOTAVIN,open\n24V1,{VIN_B},maybe\n"
    with pytest.raises(ValidationFailed) as info:
        import_recall_list(session, io.BytesIO(text.encode()), name="oem.csv")
    where = sorted((e["row"], e["field"]) for e in info.value.errors)
    assert where == [(3, "vin"), (4, "status")]
    assert count(session, RecallVehicle) == 0


def test_the_nhtsa_file_gives_titles_components_and_dates(session: Session) -> None:
    import_recall_list(
        session, io.BytesIO(f"campaign_code,vin\n24V117000,{VIN_A}\n".encode()), name="oem.csv"
    )
    data = (
        flat_rcl_row("24V117000", "SKODA", "FUEL SYSTEM", 'The "relay" may fail.', "Replace it.")
        + flat_rcl_row("24V117000", "SKODA", "ELECTRICAL", "The relay may fail.", "Replace it.")
        + flat_rcl_row("25V001000", "ŠKODA", "AIR BAGS:FRONTAL", "Air bag.", "")
    ).encode("latin-1", errors="replace")

    result = import_flat_rcl(session, io.BytesIO(data), name="FLAT_RCL.txt")

    assert result.sections["recalls"].inserted == 1
    assert result.sections["recalls"].updated == 1
    campaign = session.execute(
        select(RecallCampaign).where(RecallCampaign.campaign_code == "24V117000")
    ).scalar_one()
    assert campaign.title == 'The "relay" may fail.'
    assert campaign.component == "FUEL SYSTEM; ELECTRICAL"
    assert str(campaign.start_date) == "2026-01-15"
    assert campaign.remedy_available is True
    other = session.execute(
        select(RecallCampaign).where(RecallCampaign.campaign_code == "25V001000")
    ).scalar_one()
    assert other.remedy_available is False
    assert count(session, RecallVehicle) == 1  # the VIN list is untouched


def test_a_flat_rcl_row_without_29_fields_is_reported(session: Session) -> None:
    data = ("1\t24V1\tSKODA\n").encode("latin-1")
    with pytest.raises(ValidationFailed) as info:
        import_flat_rcl(session, io.BytesIO(data), name="FLAT_RCL.txt")
    assert info.value.errors[0]["row"] == 1
    assert "29" in info.value.errors[0]["message"]
