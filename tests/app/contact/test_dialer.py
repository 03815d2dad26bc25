"""The dialer export and the import of its results."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.contact.router import get_now
from app.enums import Role
from app.models import CallTask, Customer
from tests.app.auth.factories import create_user, sign_in, use_session
from tests.app.conftest import app_on
from tests.app.contact.factories import TUESDAY_10_PRAGUE, create_dealer, create_task

NOW = TUESDAY_10_PRAGUE


def _client(session: Session, dealer) -> TestClient:  # type: ignore[no-untyped-def]
    application = app_on(session)
    application.dependency_overrides[get_now] = lambda: NOW
    supervisor = create_user(session, role=Role.SUPERVISOR, dealers=[dealer])
    return use_session(TestClient(application), sign_in(session, supervisor))


def _post(client: TestClient, text: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/dialer/results", content=text.encode(), headers={"Content-Type": "text/csv"}
    )


def test_the_export_lists_callable_tasks_by_priority_with_e164_and_time_zone(
    session: Session,
) -> None:
    dealer = create_dealer(session)
    low = create_task(session, dealer=dealer, priority=10, phone="+1 212 555 0100")
    high = create_task(session, dealer=dealer, priority=90, kind="recall", vehicles=2)
    create_task(session, dealer=dealer, priority=50, next_attempt_at=NOW + timedelta(hours=1))
    create_task(session, dealer=dealer, priority=70, phone=None)
    other = create_dealer(session)
    create_task(session, dealer=other, priority=99)

    response = _client(session, dealer).get("/api/v1/dialer/queue.csv")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["external_key"] for r in rows] == [f"ct-{high.id}", f"ct-{low.id}"]
    assert rows[0]["phone_e164"] == "+420601123456"
    assert rows[0]["time_zone"] == "Europe/Prague"
    assert rows[0]["reasons"] == "recall"
    assert rows[0]["callable_from"] == NOW.isoformat()
    assert rows[1]["phone_e164"] == "+12125550100"
    assert rows[1]["time_zone"] == "America/New_York"
    # 04:00 in New York: not callable before the window opens there.
    assert rows[1]["callable_from"] > NOW.isoformat()


def test_imported_results_have_the_outcome_effects(session: Session) -> None:
    dealer = create_dealer(session)
    busy = create_task(session, dealer=dealer)
    dnc = create_task(session, dealer=dealer)
    client = _client(session, dealer)
    called = (NOW - timedelta(minutes=5)).isoformat()

    response = _post(
        client,
        "external_key,disposition,called_at,number,note\r\n"
        f"ct-{busy.id},busy,{called},+420 601 123 456,\r\n"
        f"ct-{dnc.id},do_not_call,{called},,asked to be removed\r\n",
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"rows": 2, "dispositions": {"busy": 1, "do_not_call": 1}}
    session.expire_all()
    after_busy = session.get(CallTask, busy.id)
    assert after_busy is not None
    assert after_busy.status == "ready"
    assert after_busy.attempts == 1
    after_dnc = session.get(CallTask, dnc.id)
    assert after_dnc is not None
    assert after_dnc.status == "closed"
    assert after_dnc.outcome == "dnc"
    customer = session.get(Customer, dnc.customer_id)
    assert customer is not None
    assert customer.do_not_call is True


def test_a_file_with_bad_rows_is_rejected_whole_with_numbered_errors(session: Session) -> None:
    dealer = create_dealer(session)
    good = create_task(session, dealer=dealer)
    foreign = create_task(session, dealer=create_dealer(session))
    client = _client(session, dealer)
    called = (NOW - timedelta(minutes=5)).isoformat()

    response = _post(
        client,
        "external_key,disposition,called_at\n"
        f"ct-{good.id},no_answer,{called}\n"
        f"ct-{foreign.id},busy,{called}\n"
        f"ct-{good.id},shrug,{called}\n"
        f"42,busy,{called}\n"
        f"ct-{good.id},busy,2026-11-24 10:00\n"
        f"ct-{good.id},booked,{called}\n",
    )

    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [
        (2, "external_key"),
        (3, "disposition"),
        (4, "external_key"),
        (5, "called_at"),
        (6, "disposition"),
    ]
    session.expire_all()
    untouched = session.get(CallTask, good.id)
    assert untouched is not None
    assert untouched.attempts == 0


def test_a_bad_header_is_a_400_naming_it(session: Session) -> None:
    dealer = create_dealer(session)
    response = _post(_client(session, dealer), "key,disposition\nct-1,busy\n")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("header:")


def test_an_unreadable_csv_is_a_400_not_a_server_error(session: Session) -> None:
    # Found by fuzzing: a carriage return inside an unquoted field made the csv module raise.
    dealer = create_dealer(session)
    body = b"\x0f\xc3\xa5\xc3\x8b\r\xf2\xb7\x8f\xa5\xc2\x98\xf0\xbe\x9c\xaeE".decode()
    response = _post(_client(session, dealer), body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(("body:", "header:"))
