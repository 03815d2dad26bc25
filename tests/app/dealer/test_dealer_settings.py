"""Dealer settings: rule overrides, calling windows, capacity and opening hours (validated,
audited, scoped)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.audit.models import AuditEvent
from app.enums import Role
from tests.app.auth.factories import create_dealer, create_user, sign_in, use_session
from tests.app.conftest import app_on


@pytest.fixture
def dealer(session: Session):  # type: ignore[no-untyped-def]
    return create_dealer(session)


@pytest.fixture
def admin(session: Session, dealer) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    user = create_user(session, role=Role.ADMIN, dealers=[dealer])
    with TestClient(app_on(session)) as c:
        yield use_session(c, sign_in(session, user))


def test_settings_show_every_rule_default(dealer, admin: TestClient) -> None:
    body = admin.get(f"/api/v1/dealers/{dealer.id}/settings").json()
    assert body["defaults"]["lead_days"] == 30
    assert body["settings"] == {}
    assert body["calling_windows"] is None


def test_a_valid_change_is_stored_and_audited(session: Session, dealer, admin: TestClient) -> None:
    change = {
        "workshop_capacity_per_day": 12,
        "opening_hours": {"mon": [["08:00", "12:00"], ["13:00", "17:00"]]},
        "calling_windows": {"mon": [["09:00", "19:00"]], "sat": [["09:00", "13:00"]]},
        "settings": {"lead_days": 21, "holdout_pct": 10},
    }
    answer = admin.patch(f"/api/v1/dealers/{dealer.id}/settings", json=change)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["calling_windows"]["sat"] == [["09:00", "13:00"]]
    assert body["settings"] == {"lead_days": 21, "holdout_pct": 10}
    event = session.execute(
        select(AuditEvent).where(
            col(AuditEvent.action) == "dealer.update", col(AuditEvent.dealer_id) == dealer.id
        )
    ).scalar_one()
    assert (event.after or {})["workshop_capacity_per_day"] == 12
    cleared = admin.patch(
        f"/api/v1/dealers/{dealer.id}/settings", json={"clear": ["calling_windows"]}
    )
    assert cleared.json()["calling_windows"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"settings": {"lead_days": "soon"}}, "settings.lead_days"),
        ({"settings": {"lead_dayz": 3}}, "settings.lead_dayz"),
        ({"settings": {"lapsed_months": 30}}, "settings.lapsed_months"),
        ({"settings": {"defected_after_months": 20, "lost_after_months": 22}}, "settings"),
        ({"calling_windows": {"mon": [["19:00", "09:00"]]}}, "calling_windows"),
        ({"opening_hours": {"funday": [["08:00", "17:00"]]}}, "opening_hours"),
        ({"workshop_capacity_per_day": -1}, "workshop_capacity_per_day"),
        ({"clear": ["settings"]}, "clear"),
    ],
)
def test_invalid_settings_are_refused_naming_the_field(
    dealer, admin: TestClient, change: dict, field: str
) -> None:
    answer = admin.patch(f"/api/v1/dealers/{dealer.id}/settings", json=change)
    assert answer.status_code == 422
    assert field in [e["field"] for e in answer.json()["errors"]]


def test_another_dealer_is_not_found(session: Session, admin: TestClient) -> None:
    other = create_dealer(session)
    assert admin.get(f"/api/v1/dealers/{other.id}/settings").status_code == 404
    answer = admin.patch(f"/api/v1/dealers/{other.id}/settings", json={"settings": {}})
    assert answer.status_code == 404
    assert [d["id"] for d in admin.get("/api/v1/dealers").json()["data"]] != [other.id]
