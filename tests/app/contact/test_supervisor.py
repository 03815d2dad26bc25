"""Supervising: queue depth, due callbacks, the agents' day, campaigns, reassigning, the lease
release job's service function."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit import SYSTEM
from app.audit.models import AuditEvent
from app.contact import supervisor as supervisor_service
from app.contact.router import get_now
from app.contact.schemas import CampaignIn, ReassignIn
from app.enums import InvitationType, Role
from app.errors import BadRequest, Conflict, NotFound
from app.models import CallTask
from tests.app.auth.factories import create_user, sign_in, use_session
from tests.app.conftest import app_on
from tests.app.contact.factories import TUESDAY_10_PRAGUE, create_agent, create_dealer, create_task
from tests.app.contact.test_claim import claim, outcome

NOW = TUESDAY_10_PRAGUE


def _scope(*dealers) -> frozenset[int]:  # type: ignore[no-untyped-def]
    return frozenset(int(d.id) for d in dealers)


class TestFigures:
    def test_queue_depth_counts_open_tasks_by_dealer_reason_and_status(
        self, session: Session
    ) -> None:
        dealer, other = create_dealer(session), create_dealer(session)
        create_task(session, dealer=dealer, kind="recall")
        create_task(session, dealer=dealer, kind="recall", next_attempt_at=NOW + timedelta(hours=2))
        create_task(session, dealer=dealer, kind="next_service")
        create_task(session, dealer=other, kind="recall")

        depth = supervisor_service.queue_depth(session, dealer_ids=_scope(dealer), now=NOW)

        rows = {(r.dealer, r.reason, r.status): (r.tasks, r.callable_now) for r in depth.data}
        assert rows == {
            (dealer.code, "recall", "ready"): (2, 1),
            (dealer.code, "next_service", "ready"): (1, 1),
        }

    def test_callbacks_due_lists_overdue_first_and_only_within_the_horizon(
        self, session: Session
    ) -> None:
        dealer = create_dealer(session)
        agent = create_agent(session, dealer=dealer)
        tasks = [create_task(session, dealer=dealer) for _ in range(3)]
        for task, minutes in zip(tasks, (-30, 20, 180), strict=True):
            task.status, task.callback_at = "callback", NOW + timedelta(minutes=minutes)
            task.callback_agent_id = agent
            session.add(task)
        session.flush()

        due = supervisor_service.callbacks_due(
            session, dealer_ids=_scope(dealer), now=NOW, within=timedelta(hours=1), limit=10
        )

        assert [c.task_id for c in due.data] == [tasks[0].id, tasks[1].id]
        assert [c.overdue for c in due.data] == [True, False]
        assert due.data[0].agent_id == agent

    def test_the_agents_day_counts_calls_contacts_bookings_and_held_tasks(
        self, session: Session
    ) -> None:
        dealer = create_dealer(session)
        agent = create_agent(session, dealer=dealer)
        first, second = create_task(session, dealer=dealer), create_task(session, dealer=dealer)
        create_task(session, dealer=dealer, priority=1)
        card = claim(session, agent, dealer.id)
        assert card is not None
        outcome(
            session,
            card.task_id,
            agent,
            dealer.id,
            claim_token=card.claim_token,
            disposition="no_answer",
        )
        card = claim(session, agent, dealer.id)
        assert card is not None
        outcome(
            session,
            card.task_id,
            agent,
            dealer.id,
            claim_token=card.claim_token,
            disposition="declined",
        )
        assert {first.id, second.id} >= {card.task_id}
        assert claim(session, agent, dealer.id) is not None

        day = supervisor_service.agents_day(
            session, dealer_ids=_scope(dealer), since=NOW - timedelta(hours=1)
        )

        assert [(a.agent_id, a.attempts, a.reached, a.booked) for a in day.data] == [
            (agent, 2, 1, 0)
        ]
        assert day.data[0].held_now == 1


class TestCampaign:
    def test_a_paused_campaign_leaves_the_queue_until_resumed(self, session: Session) -> None:
        dealer = create_dealer(session)
        agent = create_agent(session, dealer=dealer)
        recall = create_task(session, dealer=dealer, kind="recall", priority=100)
        service = create_task(session, dealer=dealer, kind="next_service", priority=10)

        paused = supervisor_service.update_campaign(
            session,
            dealer_code=dealer.code,
            kind=InvitationType.RECALL,
            body=CampaignIn(paused=True),
            dealer_ids=_scope(dealer),
            now=NOW,
            actor=SYSTEM,
        )
        card = claim(session, agent, dealer.id)

        assert paused.paused is True
        assert card is not None
        assert card.task_id == service.id
        outcome(
            session,
            card.task_id,
            agent,
            dealer.id,
            claim_token=card.claim_token,
            disposition="declined",
        )
        assert claim(session, agent, dealer.id) is None
        supervisor_service.update_campaign(
            session,
            dealer_code=dealer.code,
            kind=InvitationType.RECALL,
            body=CampaignIn(paused=False),
            dealer_ids=_scope(dealer),
            now=NOW,
            actor=SYSTEM,
        )
        again = claim(session, agent, dealer.id)
        assert again is not None
        assert again.task_id == recall.id
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "campaign.update")
        ).all()
        assert len(events) == 2

    def test_a_priority_boost_shifts_open_tasks_and_resetting_it_restores_them(
        self, session: Session
    ) -> None:
        dealer = create_dealer(session)
        agent = create_agent(session, dealer=dealer)
        low = create_task(session, dealer=dealer, kind="lapsed", priority=20)
        create_task(session, dealer=dealer, kind="next_service", priority=50)

        boosted = supervisor_service.update_campaign(
            session,
            dealer_code=dealer.code,
            kind=InvitationType.LAPSED,
            body=CampaignIn(priority_boost=40),
            dealer_ids=_scope(dealer),
            now=NOW,
            actor=SYSTEM,
        )
        assert boosted.tasks_reprioritised == 1
        session.refresh(low)
        assert low.priority == 60
        card = claim(session, agent, dealer.id)
        assert card is not None
        assert card.task_id == low.id

        supervisor_service.update_campaign(
            session,
            dealer_code=dealer.code,
            kind=InvitationType.LAPSED,
            body=CampaignIn(priority_boost=0),
            dealer_ids=_scope(dealer),
            now=NOW,
            actor=SYSTEM,
        )
        session.refresh(low)
        assert low.priority == 20

    def test_another_dealers_campaign_is_not_found_and_an_empty_change_is_a_400(
        self, session: Session
    ) -> None:
        dealer, other = create_dealer(session), create_dealer(session)
        with pytest.raises(NotFound):
            supervisor_service.update_campaign(
                session,
                dealer_code=other.code,
                kind=InvitationType.RECALL,
                body=CampaignIn(paused=True),
                dealer_ids=_scope(dealer),
                now=NOW,
                actor=SYSTEM,
            )
        with pytest.raises(BadRequest, match="paused"):
            supervisor_service.update_campaign(
                session,
                dealer_code=dealer.code,
                kind=InvitationType.RECALL,
                body=CampaignIn(),
                dealer_ids=_scope(dealer),
                now=NOW,
                actor=SYSTEM,
            )


class TestReassign:
    def test_a_held_task_goes_to_another_agent_and_the_old_token_is_stale(
        self, session: Session
    ) -> None:
        dealer = create_dealer(session)
        first, second = create_agent(session, dealer=dealer), create_agent(session, dealer=dealer)
        task = create_task(session, dealer=dealer)
        card = claim(session, first, dealer.id)
        assert card is not None

        moved = supervisor_service.reassign_task(
            session,
            task_id=task.id,
            body=ReassignIn(agent_id=second),
            dealer_ids=_scope(dealer),
            now=NOW,
            actor=SYSTEM,
        )

        assert moved.status == "callback"
        with pytest.raises(Conflict):
            outcome(
                session, task.id, first, dealer.id, claim_token=card.claim_token, disposition="busy"
            )
        # Reserved for the new agent: the first one does not get it, the second does.
        assert claim(session, first, dealer.id) is None
        taken = claim(session, second, dealer.id)
        assert taken is not None
        assert taken.task_id == task.id

    def test_without_an_agent_the_task_returns_to_the_shared_queue(self, session: Session) -> None:
        dealer = create_dealer(session)
        agent = create_agent(session, dealer=dealer)
        task = create_task(session, dealer=dealer, next_attempt_at=NOW + timedelta(days=3))

        supervisor_service.reassign_task(
            session,
            task_id=task.id,
            body=ReassignIn(agent_id=None),
            dealer_ids=_scope(dealer),
            now=NOW,
            actor=SYSTEM,
        )

        card = claim(session, agent, dealer.id)
        assert card is not None
        assert card.task_id == task.id

    def test_an_agent_of_another_dealer_or_a_manager_is_refused_naming_agent_id(
        self, session: Session
    ) -> None:
        dealer, other = create_dealer(session), create_dealer(session)
        outsider = create_agent(session, dealer=other)
        manager = create_agent(session, dealer=dealer, role=Role.MANAGER)
        task = create_task(session, dealer=dealer)
        for agent_id in (outsider, manager):
            with pytest.raises(BadRequest, match="agent_id"):
                supervisor_service.reassign_task(
                    session,
                    task_id=task.id,
                    body=ReassignIn(agent_id=agent_id),
                    dealer_ids=_scope(dealer),
                    now=NOW,
                    actor=SYSTEM,
                )

    def test_a_closed_task_cannot_be_reassigned(self, session: Session) -> None:
        dealer = create_dealer(session)
        agent = create_agent(session, dealer=dealer)
        task = create_task(session, dealer=dealer)
        card = claim(session, agent, dealer.id)
        assert card is not None
        outcome(
            session, task.id, agent, dealer.id, claim_token=card.claim_token, disposition="declined"
        )
        with pytest.raises(Conflict):
            supervisor_service.reassign_task(
                session,
                task_id=task.id,
                body=ReassignIn(agent_id=agent),
                dealer_ids=_scope(dealer),
                now=NOW,
                actor=SYSTEM,
            )


def test_release_expired_leases_returns_every_expired_task_in_batches(session: Session) -> None:
    dealer = create_dealer(session)
    agent = create_agent(session, dealer=dealer)
    tasks = [create_task(session, dealer=dealer) for _ in range(5)]
    for _ in tasks:
        assert claim(session, agent, dealer.id) is not None

    assert supervisor_service.release_expired_leases(session, now=NOW, batch=2) == 0
    released = supervisor_service.release_expired_leases(
        session, now=NOW + timedelta(minutes=6), batch=2
    )

    assert released == 5
    statuses = {session.get(CallTask, t.id).status for t in tasks}  # type: ignore[union-attr]
    assert statuses == {"ready"}


def test_a_supervisor_pauses_a_campaign_over_http_and_an_agent_may_not(session: Session) -> None:
    dealer = create_dealer(session)
    application = app_on(session)
    application.dependency_overrides[get_now] = lambda: NOW
    supervisor = create_user(session, role=Role.SUPERVISOR, dealers=[dealer])
    agent = create_user(session, role=Role.AGENT, dealers=[dealer])
    client = use_session(TestClient(application), sign_in(session, supervisor))

    ok = client.patch(f"/api/v1/dealers/{dealer.code}/campaigns/recall", json={"paused": True})
    bad = client.patch(f"/api/v1/dealers/{dealer.code}/campaigns/oil", json={"paused": True})
    zone = client.get("/api/v1/supervisor/agents", params={"time_zone": "Mars/Olympus"})
    use_session(client, sign_in(session, agent))
    refused = client.get("/api/v1/supervisor/queue")

    assert ok.status_code == 200, ok.text
    assert ok.json()["paused"] is True
    assert bad.status_code == 422
    assert zone.status_code == 400
    assert "time_zone" in zone.json()["detail"]
    assert refused.status_code == 403
