"""The dataset's ``seasonal_campaigns`` section: upserts by code and scope, used by the run."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.dataset.service import import_dataset
from app.errors import ValidationFailed
from app.invitation import service as invitation_service
from app.invitation.models import SeasonalCampaign
from app.invitation.repository import InvitationRepository
from tests.app.invitation.dataset import DEALER, nightly_dataset


def with_campaigns(*campaigns: dict[str, Any]) -> dict[str, Any]:
    doc = nightly_dataset()
    doc["seasonal_campaigns"] = list(campaigns)
    return doc


def test_campaigns_are_stored_once_and_a_reimport_writes_nothing(session: Session) -> None:
    doc = with_campaigns(
        {"code": "ac_check", "enabled": False},
        {"code": "cz_autumn_tyres", "dealer": DEALER, "start": "09-20"},
        {
            "code": "cz_winter_check",
            "kind": "winter_check",
            "country": "CZ",
            "start": "12-01",
            "end": "01-31",
        },
    )

    first = import_dataset(session, doc)
    second = import_dataset(session, doc)

    assert first.sections["seasonal_campaigns"].inserted == 3
    assert second.sections["seasonal_campaigns"].unchanged == 3
    assert second.rows_written == 0
    rows = {
        (c.code, c.dealer_id is None): c
        for c in session.execute(select(SeasonalCampaign)).scalars()
    }
    assert rows[("ac_check", True)].enabled is False
    autumn = rows[("cz_autumn_tyres", False)]
    assert (autumn.start_month, autumn.start_day, autumn.end_month, autumn.end_day) == (
        9,
        20,
        11,
        15,
    )


def test_the_dealer_policy_merges_built_in_catalogue_and_dealer_campaigns(
    session: Session,
) -> None:
    import_dataset(
        session,
        with_campaigns(
            {"code": "ac_check", "enabled": False},
            {"code": "cz_autumn_tyres", "start": "09-01"},
            {"code": "cz_autumn_tyres", "dealer": DEALER, "start": "09-20"},
        ),
    )
    dealer = InvitationRepository(session).dealers(code=DEALER)[0]

    policy = invitation_service.dealer_policy(session, dealer)

    campaigns = {c.code: c for c in policy.seasonal_campaigns}
    assert campaigns["ac_check"].enabled is False
    assert (campaigns["cz_autumn_tyres"].start_month, campaigns["cz_autumn_tyres"].start_day) == (
        9,
        20,
    )
    assert "cz_spring_tyres" in campaigns


def test_a_new_campaign_needs_its_window_and_a_known_dealer(session: Session) -> None:
    doc = with_campaigns(
        {"code": "my_campaign", "kind": "ac_check"},
        {"code": "ac_check", "dealer": "NOPE"},
        {"code": "ac_check", "start": "02-30"},
    )

    with pytest.raises(ValidationFailed) as info:
        import_dataset(session, doc)

    fields = {
        (e["index"], e["field"]) for e in info.value.errors if e["section"] == "seasonal_campaigns"
    }
    assert (0, "(record)") in fields
    assert (1, "dealer") in fields
    assert (2, "start") in fields or (2, "(record)") in fields
