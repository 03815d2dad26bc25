"""Outcomes and their effects in one transaction; booking within workshop capacity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.contact import service as contact_service
from app.dms.models import AppointmentOutbox, DmsIntegration
from app.errors import BadRequest, Conflict
from app.models import Appointment, Customer, CustomerPhone, Invitation, Ownership
from tests.app.contact.factories import create_agent, create_dealer, create_task
from tests.app.contact.test_claim import NOW, claim, outcome


def _claimed(session: Session, **task):  # type: ignore[no-untyped-def]
    dealer = create_dealer(session)
    agent = create_agent(session, dealer=dealer)
    created = create_task(session, dealer=dealer, **task)
    card = claim(session, agent, dealer.id)
    assert card is not None
    assert card.task_id == created.id
    return dealer, agent, created, card


def test_no_answer_retries_four_hours_later_in_another_part_of_the_day(session: Session) -> None:
    dealer, agent, task, card = _claimed(session)

    result = outcome(
        session, task.id, agent, dealer.id, claim_token=card.claim_token, disposition="no_answer"
    )

    # 10:00 Prague (morning) + 4 h = 14:00, the afternoon.
    assert result.status == "ready"
    assert result.attempts == 1
    assert result.next_attempt_at == NOW + timedelta(hours=4)


def test_the_fifth_unanswered_attempt_closes_the_task_as_unreachable(session: Session) -> None:
    dealer, agent, task, card = _claimed(session)
    at = NOW
    for attempt in range(1, 6):
        result = outcome(
            session,
            task.id,
            agent,
            dealer.id,
            claim_token=card.claim_token,
            disposition="busy",
            now=at,
        )
        assert result.attempts == attempt
        if attempt < 5:
            assert result.status == "ready"
            assert result.next_attempt_at is not None
            at = result.next_attempt_at
            card = claim(session, agent, dealer.id, at)
            assert card is not None
    assert result.status == "closed"
    assert result.outcome == "unreachable"


def test_do_not_call_closes_the_task_and_marks_the_customer(session: Session) -> None:
    dealer, agent, task, card = _claimed(session)

    result = outcome(
        session, task.id, agent, dealer.id, claim_token=card.claim_token, disposition="do_not_call"
    )

    assert result.status == "closed"
    assert result.outcome == "dnc"
    customer = session.get(Customer, task.customer_id)
    assert customer is not None
    session.refresh(customer)
    assert customer.do_not_call is True
    statuses = (
        session.execute(
            select(Invitation.status).where(Invitation.call_task_id == task.id)  # type: ignore[arg-type]
        )
        .scalars()
        .all()
    )
    assert set(statuses) == {"closed"}


def test_wrong_number_invalidates_the_phone_and_retries_on_the_other_one(session: Session) -> None:
    dealer, agent, task, card = _claimed(session, extra_phones=("+420777123456",))

    first = outcome(
        session, task.id, agent, dealer.id, claim_token=card.claim_token, disposition="wrong_number"
    )

    assert first.status == "ready"
    phones = (
        session.execute(
            select(CustomerPhone).where(CustomerPhone.customer_id == task.customer_id)  # type: ignore[arg-type]
        )
        .scalars()
        .all()
    )
    for phone in phones:
        session.refresh(phone)
    assert {p.number: p.is_valid for p in phones} == {"+420601123456": False, "+420777123456": True}
    again = claim(session, agent, dealer.id)
    assert again is not None
    assert [p.number for p in again.phones] == ["+420777123456"]
    last = outcome(
        session,
        task.id,
        agent,
        dealer.id,
        claim_token=again.claim_token,
        disposition="wrong_number",
    )
    assert last.status == "closed"
    assert last.outcome == "wrong_number"


def test_sold_the_car_ends_the_ownership(session: Session) -> None:
    dealer, agent, task, card = _claimed(session)

    result = outcome(
        session, task.id, agent, dealer.id, claim_token=card.claim_token, disposition="sold_car"
    )

    assert result.outcome == "not_owner"
    ownership = session.execute(
        select(Ownership).where(Ownership.customer_id == task.customer_id)  # type: ignore[arg-type]
    ).scalar_one()
    session.refresh(ownership)
    assert ownership.end_date == NOW.date()


def test_an_unknown_disposition_is_a_400_naming_the_field(session: Session) -> None:
    dealer, agent, task, card = _claimed(session)

    with pytest.raises(BadRequest, match="disposition"):
        outcome(
            session, task.id, agent, dealer.id, claim_token=card.claim_token, disposition="nope"
        )


class TestBooking:
    def _book(self, session: Session, dealer, start: datetime):  # type: ignore[no-untyped-def]
        agent = create_agent(session, dealer=dealer)
        task = create_task(session, dealer=dealer)
        card = claim(session, agent, dealer.id)
        assert card is not None
        assert card.task_id == task.id
        return outcome(
            session,
            task.id,
            agent,
            dealer.id,
            claim_token=card.claim_token,
            disposition="booked",
            booking={"vehicle_id": card.vehicles[0].id, "slot_start": start},
        )

    def test_booking_takes_a_free_slot_and_closes_the_task(self, session: Session) -> None:
        dealer = create_dealer(session, capacity_hours=2)
        start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thursday 10:00 Prague

        result = self._book(session, dealer, start)

        assert result.outcome == "booked"
        assert result.appointment is not None
        stored = session.get(Appointment, result.appointment.id)
        assert stored is not None
        assert stored.origin == "call"

    def test_a_booking_goes_to_the_dms_outbox_when_the_dealer_exports_bookings(
        self, session: Session
    ) -> None:
        exporting, silent = create_dealer(session, capacity_hours=2), create_dealer(session)
        session.add(
            DmsIntegration(
                dealer_id=exporting.id,
                source="dms",
                outbound_url="https://dms.example.test/bookings",
                outbound_secret="s" * 32,
            )
        )
        session.flush()
        start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

        booked = self._book(session, exporting, start)
        self._book(session, silent, start)

        rows = session.execute(select(AppointmentOutbox)).scalars().all()
        assert booked.appointment is not None
        assert [(r.appointment_id, r.change) for r in rows] == [(booked.appointment.id, "booked")]
        assert rows[0].payload["appointment"]["dealer"] == exporting.code

    def test_a_full_slot_is_refused_and_nothing_is_written(self, session: Session) -> None:
        # 1 bay-hour over a 9-hour day: one appointment fits.
        dealer = create_dealer(session, capacity_hours=1)
        start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
        self._book(session, dealer, start)

        with pytest.raises(Conflict, match="booking.slot_start"):
            self._book(session, dealer, start + timedelta(hours=2))

    def test_a_slot_that_already_started_is_refused_and_nothing_is_written(
        self, session: Session
    ) -> None:
        dealer = create_dealer(session, capacity_hours=8)
        before = session.execute(select(func.count()).select_from(Appointment)).scalar_one()

        with pytest.raises(BadRequest, match="booking.slot_start: that slot has already started"):
            self._book(session, dealer, NOW - timedelta(hours=1))  # 09:00 Prague, now is 10:00

        after = session.execute(select(func.count()).select_from(Appointment)).scalar_one()
        assert after == before

    def test_todays_slots_start_no_earlier_than_now(self, session: Session) -> None:
        dealer = create_dealer(session, capacity_hours=8)
        today = contact_service.list_slots(
            session,
            dealer_code=dealer.code,
            first=NOW.date(),
            last=NOW.date(),
            duration_minutes=60,
            dealer_ids=frozenset({dealer.id}),
            now=NOW,
        )
        assert today.data
        assert min(s.start for s in today.data) == NOW  # 10:00 Prague, not the 07:00 opening

    def test_slots_list_free_times_and_skip_holidays(self, session: Session) -> None:
        dealer = create_dealer(session, capacity_hours=1)
        self._book(session, dealer, datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
        free = contact_service.list_slots(
            session,
            dealer_code=dealer.code,
            first=datetime(2026, 11, 26).date(),
            last=datetime(2026, 11, 27).date(),
            duration_minutes=60,
            dealer_ids=frozenset({dealer.id}),
            now=NOW,
        )
        days = {s.start.date() for s in free.data}
        assert days == {datetime(2026, 11, 27).date()}  # Thursday is full
        holiday = contact_service.list_slots(
            session,
            dealer_code=dealer.code,
            first=datetime(2026, 12, 24).date(),
            last=datetime(2026, 12, 26).date(),
            duration_minutes=60,
            dealer_ids=frozenset({dealer.id}),
            now=NOW,
        )
        assert holiday.data == []
