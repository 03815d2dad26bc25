"""Claiming the next call: priority, leases, expiry, stale tokens, windows, callbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from app.audit import SYSTEM
from app.contact import service as contact_service
from app.contact.schemas import LeaseIn, OutcomeIn
from app.errors import Conflict
from app.models import CallTask
from tests.app.contact.factories import TUESDAY_10_PRAGUE, create_agent, create_dealer, create_task

NOW = TUESDAY_10_PRAGUE


def claim(session: Session, agent: int, dealer_id: int, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return contact_service.claim_next(
        session, agent_id=agent, dealer_ids=frozenset({dealer_id}), now=now, actor=SYSTEM
    )


def outcome(session: Session, task_id: int, agent: int, dealer_id: int, **body):  # type: ignore[no-untyped-def]
    now = body.pop("now", NOW)
    return contact_service.record_outcome(
        session,
        task_id=task_id,
        body=OutcomeIn(**body),
        agent_id=agent,
        dealer_ids=frozenset({dealer_id}),
        now=now,
        actor=SYSTEM,
    )


class TestClaim:
    def test_the_highest_priority_task_comes_first_with_its_card(self, session: Session) -> None:
        dealer = create_dealer(session)
        agent = create_agent(session, dealer=dealer)
        create_task(session, dealer=dealer, priority=40)
        high = create_task(session, dealer=dealer, priority=100, kind="recall", vehicles=2)

        card = claim(session, agent, dealer.id)

        assert card is not None
        assert card.task_id == high.id
        assert card.lease_expires_at == NOW + timedelta(minutes=5)
        assert len(card.claim_token) >= 20
        assert len(card.vehicles) == 2
        assert all(v.reasons[0].type == "recall" for v in card.vehicles)
        assert card.phones[0].number == "+420601123456"
        assert card.time_zone == "Europe/Prague"
        assert "svolávací" in card.script
        assert "do_not_call" in {d.code for d in card.dispositions}

    def test_a_claimed_task_is_not_handed_out_twice(self, session: Session) -> None:
        dealer = create_dealer(session)
        a, b = create_agent(session, dealer=dealer), create_agent(session, dealer=dealer)
        create_task(session, dealer=dealer)

        assert claim(session, a, dealer.id) is not None
        assert claim(session, b, dealer.id) is None

    def test_another_dealers_tasks_are_out_of_scope(self, session: Session) -> None:
        mine, theirs = create_dealer(session), create_dealer(session)
        agent = create_agent(session, dealer=mine)
        create_task(session, dealer=theirs)

        assert claim(session, agent, mine.id) is None

    def test_a_task_whose_next_attempt_is_later_waits(self, session: Session) -> None:
        dealer = create_dealer(session)
        agent = create_agent(session, dealer=dealer)
        create_task(session, dealer=dealer, next_attempt_at=NOW + timedelta(minutes=1))

        assert claim(session, agent, dealer.id) is None
        assert claim(session, agent, dealer.id, NOW + timedelta(minutes=1)) is not None


class TestLease:
    def test_an_expired_lease_returns_the_task_and_the_old_token_gets_409(
        self, session: Session
    ) -> None:
        dealer = create_dealer(session)
        a, b = create_agent(session, dealer=dealer), create_agent(session, dealer=dealer)
        task = create_task(session, dealer=dealer)
        first = claim(session, a, dealer.id)
        assert first is not None

        later = NOW + timedelta(minutes=6)
        second = claim(session, b, dealer.id, later)

        assert second is not None
        assert second.task_id == task.id
        assert second.claim_token != first.claim_token
        with pytest.raises(Conflict, match="stale claim token|not claimed"):
            outcome(
                session,
                task.id,
                a,
                dealer.id,
                claim_token=first.claim_token,
                disposition="no_answer",
                now=later,
            )
        result = outcome(
            session,
            task.id,
            b,
            dealer.id,
            claim_token=second.claim_token,
            disposition="no_answer",
            now=later,
        )
        assert result.status == "ready"

    def test_renewing_keeps_the_task_past_five_minutes(self, session: Session) -> None:
        dealer = create_dealer(session)
        a, b = create_agent(session, dealer=dealer), create_agent(session, dealer=dealer)
        create_task(session, dealer=dealer)
        card = claim(session, a, dealer.id)
        assert card is not None

        renewed = contact_service.renew_lease(
            session,
            task_id=card.task_id,
            token=LeaseIn(claim_token=card.claim_token).claim_token,
            agent_id=a,
            dealer_ids=frozenset({dealer.id}),
            now=NOW + timedelta(minutes=4),
        )

        assert renewed.lease_expires_at == NOW + timedelta(minutes=9)
        assert claim(session, b, dealer.id, NOW + timedelta(minutes=6)) is None

    def test_renewing_with_a_wrong_token_is_a_conflict(self, session: Session) -> None:
        dealer = create_dealer(session)
        a = create_agent(session, dealer=dealer)
        create_task(session, dealer=dealer)
        card = claim(session, a, dealer.id)
        assert card is not None

        with pytest.raises(Conflict):
            contact_service.renew_lease(
                session,
                task_id=card.task_id,
                token="not-the-token",
                agent_id=a,
                dealer_ids=frozenset({dealer.id}),
                now=NOW,
            )


class TestCallingWindows:
    def test_a_helsinki_number_is_called_in_helsinki_time(self, session: Session) -> None:
        # 07:30 UTC on a Tuesday: 08:30 in Prague (closed), 09:30 in Helsinki (open).
        dealer = create_dealer(session)
        agent = create_agent(session, dealer=dealer)
        create_task(session, dealer=dealer, phone="+420601123456")
        finn = create_task(session, dealer=dealer, phone="+358401234567", priority=10)
        at = datetime(2026, 11, 24, 7, 30, tzinfo=UTC)

        card = claim(session, agent, dealer.id, at)

        assert card is not None
        assert card.task_id == finn.id
        assert card.time_zone == "Europe/Helsinki"

    def test_a_task_outside_its_window_moves_to_the_next_callable_time(
        self, session: Session
    ) -> None:
        dealer = create_dealer(session)
        agent = create_agent(session, dealer=dealer)
        task = create_task(session, dealer=dealer)
        evening = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # 20:00 in Prague

        assert claim(session, agent, dealer.id, evening) is None
        session.refresh(task)
        assert task.next_attempt_at is not None
        assert task.next_attempt_at.astimezone(UTC) == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)

    def test_no_calls_on_a_public_holiday(self, session: Session) -> None:
        dealer = create_dealer(session)
        agent = create_agent(session, dealer=dealer)
        task = create_task(session, dealer=dealer)
        christmas_eve = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)  # a Thursday, a CZ holiday

        assert claim(session, agent, dealer.id, christmas_eve) is None
        session.refresh(task)
        assert task.next_attempt_at is not None
        # 25 and 26 Dec are holidays too, 27 Dec is a Sunday: Monday 28 Dec, 09:00 local.
        assert task.next_attempt_at.astimezone(UTC) == datetime(2026, 12, 28, 8, 0, tzinfo=UTC)


class TestCallbacks:
    def test_a_callback_is_reserved_for_its_agent_for_15_minutes_then_anyone(
        self, session: Session
    ) -> None:
        dealer = create_dealer(session)
        a, b = create_agent(session, dealer=dealer), create_agent(session, dealer=dealer)
        task = create_task(session, dealer=dealer)
        card = claim(session, a, dealer.id)
        assert card is not None
        agreed = NOW + timedelta(hours=2)
        result = outcome(
            session,
            task.id,
            a,
            dealer.id,
            claim_token=card.claim_token,
            disposition="call_back",
            callback_at=agreed,
        )
        assert result.status == "callback"

        assert claim(session, b, dealer.id, agreed - timedelta(minutes=1)) is None
        assert claim(session, b, dealer.id, agreed + timedelta(minutes=10)) is None
        taken = claim(session, b, dealer.id, agreed + timedelta(minutes=15))
        assert taken is not None
        assert taken.task_id == task.id

    def test_the_agreeing_agent_gets_the_callback_at_once_and_before_everything_else(
        self, session: Session
    ) -> None:
        dealer = create_dealer(session)
        a = create_agent(session, dealer=dealer)
        task = create_task(session, dealer=dealer, priority=30)
        card = claim(session, a, dealer.id)
        assert card is not None
        agreed = NOW + timedelta(hours=1)
        outcome(
            session,
            task.id,
            a,
            dealer.id,
            claim_token=card.claim_token,
            disposition="call_back",
            callback_at=agreed,
        )
        create_task(session, dealer=dealer, priority=100, kind="recall")

        taken = claim(session, a, dealer.id, agreed)

        assert taken is not None
        assert taken.task_id == task.id
        stored = session.get(CallTask, task.id)
        assert stored is not None
        assert stored.status == "claimed"
