"""The audit log: written with the change, free of personal data, append-only, admin-readable."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app import audit
from app.audit import Actor, ActorType
from app.enums import Role
from app.models import AuditEvent
from tests.app.auth.factories import create_dealer, create_user, sign_in, use_session
from tests.app.dataset.test_import import example


def test_record_drops_names_and_contact_details_and_masks_phone_like_text(
    session: Session,
) -> None:
    event = audit.record(
        session,
        actor=Actor(type=ActorType.USER, id=7, request_id="r1", ip="203.0.113.7"),
        action="consent.change",
        object_type="customer",
        object_id=42,
        dealer_id=3,
        before={"marketing_calls": True, "first_name": "Jana", "phones": ["+420601123456"]},
        after={"marketing_calls": False, "reason": "asked on +420 601 123 456", "email": "j@x.cz"},
    )
    session.flush()

    stored = session.get(AuditEvent, event.id)
    assert stored is not None
    assert stored.before == {"marketing_calls": True}
    assert stored.after == {"marketing_calls": False, "reason": "asked on [phone]"}
    assert (stored.actor_type, stored.actor_id, stored.object_id) == ("user", 7, "42")


def test_record_now_writes_the_same_event_as_record(session: Session) -> None:
    actor = Actor(type=ActorType.USER, id=7, request_id="r-now", ip="203.0.113.7")
    fields = {
        "actor": actor,
        "action": "call_task.outcome",
        "object_type": "call_task",
        "object_id": 42,
        "dealer_id": 3,
        "before": {"status": "claimed", "note": "ring +420 601 123 456"},
        "after": {"status": "closed", "reason": "asked on +420 601 123 456", "ids": (1, 2)},
    }
    audit.record(session, **fields)  # type: ignore[arg-type]
    session.flush()
    audit.record_now(session, **fields)  # type: ignore[arg-type]

    rows = (
        session.execute(select(AuditEvent).where(AuditEvent.request_id == "r-now"))  # type: ignore[arg-type]
        .scalars()
        .all()
    )

    assert len(rows) == 2
    columns = [
        "actor_type", "actor_id", "action", "outcome", "object_type", "object_id",
        "dealer_id", "request_id", "ip", "before", "after",
    ]  # fmt: skip
    recorded, written = ({c: getattr(r, c) for c in columns} for r in rows)
    assert written == recorded
    assert rows[1].at is not None
    assert "note" not in written["before"]
    assert "601" not in str(written["after"])


def test_the_audit_log_rejects_update_and_delete_in_the_database(session: Session) -> None:
    audit.record(session, actor=audit.SYSTEM, action="test.event")
    session.flush()

    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(update(AuditEvent).values(action="tampered"))
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(delete(AuditEvent))

    assert session.execute(select(AuditEvent.action)).scalars().all()[-1] == "test.event"


def test_an_import_that_writes_rows_is_audited_with_its_counts_and_a_no_op_is_not(
    session: Session, client: TestClient
) -> None:
    client.post("/api/v1/import", json=example())
    client.post("/api/v1/import", json=example())

    events = client.get("/api/v1/audit", params={"action": "dataset.import"}).json()

    assert events["count"] == 1
    assert events["data"][0]["after"]["vehicles"]["inserted"] == 1
    assert events["data"][0]["actor_type"] == "user"
    assert "Nov" not in str(events)  # no customer name


def test_logins_are_audited(session: Session, anon_client: TestClient) -> None:
    user = create_user(session)
    anon_client.post("/api/v1/auth/login", json={"email": user.email, "password": "nope"})
    sign_in(session, user)

    outcomes = (
        session.execute(
            select(AuditEvent.outcome).where(
                AuditEvent.action == "auth.login", AuditEvent.actor_id == user.id
            )
        )
        .scalars()
        .all()
    )

    assert outcomes == ["failure", "success"]


def test_a_dealer_admin_reads_only_its_dealers_events_and_others_may_not_read_at_all(
    session: Session, anon_client: TestClient
) -> None:
    mine, theirs = create_dealer(session), create_dealer(session)
    audit.record(session, actor=audit.SYSTEM, action="test.mine", dealer_id=mine.id)
    audit.record(session, actor=audit.SYSTEM, action="test.theirs", dealer_id=theirs.id)
    session.commit()
    admin = create_user(session, role=Role.ADMIN, dealers=[mine])
    manager = create_user(session, role=Role.MANAGER, dealers=[mine])

    use_session(anon_client, sign_in(session, admin))
    seen = anon_client.get("/api/v1/audit", params={"limit": 200}).json()["data"]
    use_session(anon_client, sign_in(session, manager))
    refused = anon_client.get("/api/v1/audit")

    actions = {e["action"] for e in seen}
    assert "test.mine" in actions
    assert "test.theirs" not in actions
    assert refused.status_code == 403


def test_audit_filters_and_pagination(session: Session, client: TestClient) -> None:
    for i in range(3):
        audit.record(session, actor=audit.SYSTEM, action="test.page", object_id=i)
    session.commit()

    page = client.get("/api/v1/audit", params={"action": "test.page", "limit": 2, "offset": 1})

    body = page.json()
    assert body["count"] == 3
    assert [e["object_id"] for e in body["data"]] == ["1", "0"]
