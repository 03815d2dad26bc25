"""Call scripts per language; a recall script carries no sales talk."""

from __future__ import annotations

from datetime import date

import pytest

from app.contact.schemas import ReasonPublic, VehiclePublic
from app.contact.scripts import LANGUAGES, render_script
from app.models import Customer


def _vehicle(*kinds: str) -> VehiclePublic:
    return VehiclePublic(
        id=1,
        vin="TMB00000000000001",
        make="Skoda",
        model="Octavia",
        model_year=2020,
        registration="1AB 2345",
        reasons=[
            ReasonPublic(
                invitation_id=n,
                type=k,
                due_date=date(2026, 11, 1),
                priority=60,
                explanation="12 months since the last service",
                confidence=None,
            )
            for n, k in enumerate(kinds)
        ],
    )


CUSTOMER = Customer(
    group_id=1, dealer_id=1, source="t", external_id="1", first_name="Jana", last_name="Nováková"
)
SALES = {
    "en": "book a visit",
    "cs": "zarezervovat",
    "fi": "Varaanko",
    "uk": "Записати",
    "ru": "Записать",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_names_the_car_and_offers_a_visit(language: str) -> None:
    text = render_script(
        kind="next_service",
        language=language,
        customer=CUSTOMER,
        vehicles=[_vehicle("next_service", "warranty_expiry")],
        recall_only=False,
    )
    assert "Skoda Octavia (1AB 2345)" in text
    assert SALES[language] in text
    assert "12 months since the last service" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_recall_script_has_no_sales_talk_and_no_other_reasons(language: str) -> None:
    text = render_script(
        kind="recall",
        language=language,
        customer=CUSTOMER,
        vehicles=[_vehicle("recall", "next_service")],
        recall_only=True,
    )
    assert SALES[language] not in text
    assert "12 months since the last service" not in text


def test_an_unsupported_language_falls_back_to_english() -> None:
    text = render_script(
        kind="lapsed",
        language="de-AT",
        customer=CUSTOMER,
        vehicles=[_vehicle("lapsed")],
        recall_only=False,
    )
    assert text.startswith("Good day")
