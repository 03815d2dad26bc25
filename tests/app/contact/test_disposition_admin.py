"""``/api/v1/dealer-groups/{id}/dispositions``: an administrator edits a group's call results."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.enums import Role
from tests.app.auth.factories import create_dealer, create_user, sign_in, use_session
from tests.app.conftest import app_on
from tests.app.reporting.factories import build_known_dataset


def _client(session: Session, role: Role = Role.ADMIN, dealers: list | None = None) -> TestClient:  # type: ignore[type-arg]
    client = TestClient(app_on(session))
    use_session(client, sign_in(session, create_user(session, role=role, dealers=dealers)))
    return client


def test_the_first_read_seeds_the_default_set_and_a_new_code_is_created(session: Session) -> None:
    dealer = create_dealer(session)
    url = f"/api/v1/dealer-groups/{dealer.group_id}/dispositions"
    with _client(session, dealers=[dealer]) as client:
        codes = [d["code"] for d in client.get(url).json()]
        assert "no_answer" in codes
        assert "booked" in codes
        created = client.post(
            url,
            json={"code": "left_message", "label": "Left a message", "retry_after_minutes": 120},
        )
        assert created.status_code == 201, created.text
        assert created.json()["counts_as_attempt"] is True
        again = client.post(url, json={"code": "left_message", "label": "Again"})
        assert again.status_code == 409
        assert again.json()["errors"][0]["field"] == "code"
        changed = client.patch(f"{url}/left_message", json={"label": "Message left"})
        assert changed.json()["label"] == "Message left"
        assert client.delete(f"{url}/left_message").status_code == 204
        assert "left_message" not in [d["code"] for d in client.get(url).json()]


def test_flag_combinations_the_contact_centre_cannot_act_on_name_the_field(
    session: Session,
) -> None:
    dealer = create_dealer(session)
    url = f"/api/v1/dealer-groups/{dealer.group_id}/dispositions"
    with _client(session, dealers=[dealer]) as client:
        final = client.post(url, json={"code": "gone", "label": "Gone", "final": True})
        assert final.status_code == 422
        assert final.json()["errors"][0]["field"] == "closes_as"
        bad_code = client.post(url, json={"code": "Bad Code", "label": "x"})
        assert bad_code.status_code == 422
        assert bad_code.json()["errors"][0]["field"] == "code"
        client.post(url, json={"code": "cb", "label": "Callback", "contact_made": True})
        callback_final = client.patch(f"{url}/cb", json={"callback": True, "final": True})
        assert callback_final.status_code == 422
        stored = {d["code"]: d for d in client.get(url).json()}
        assert stored["cb"]["final"] is False  # nothing half-written


def test_a_disposition_on_recorded_calls_cannot_be_deleted_only_deactivated(
    session: Session,
) -> None:
    known = build_known_dataset(session)
    url = f"/api/v1/dealer-groups/{known.dealer.group_id}/dispositions"
    with _client(session, dealers=[known.dealer]) as client:
        refused = client.delete(f"{url}/no_answer")
        assert refused.status_code == 409
        assert refused.json()["errors"][0]["field"] == "is_active"
        off = client.patch(f"{url}/no_answer", json={"is_active": False})
        assert off.json()["is_active"] is False


def test_another_groups_dispositions_are_not_found(session: Session) -> None:
    mine, other = create_dealer(session), create_dealer(session)
    with _client(session, dealers=[mine]) as client:
        url = f"/api/v1/dealer-groups/{other.group_id}/dispositions"
        assert client.get(url).status_code == 404
        assert client.post(url, json={"code": "x", "label": "x"}).status_code == 404
        assert client.get("/api/v1/dealer-groups/2147483648/dispositions").status_code == 422
    with _client(session, role=Role.MANAGER, dealers=[mine]) as client:
        assert client.get(f"/api/v1/dealer-groups/{mine.group_id}/dispositions").status_code == 403
