"""Rows to engine facts and back: current owner, chunk splitting, statuses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from app.dataset.service import import_dataset
from app.invitation import mapping
from app.invitation import service as invitation_service
from app.invitation.mapping import OwnershipRow
from app.invitation.repository import InvitationRepository
from tests.app.invitation.dataset import AS_OF, DEALER, VINS, nightly_dataset

TODAY = date(2026, 11, 20)


class TestCurrentOwner:
    def test_the_open_ownership_with_the_latest_start_wins(self) -> None:
        rows = [
            OwnershipRow(1, 10, date(2020, 1, 1), date(2024, 5, 1)),
            OwnershipRow(1, 11, date(2024, 5, 1), None),
        ]

        assert mapping.current_owner(rows, TODAY) == (11, None)

    def test_an_ended_ownership_is_reported_with_its_end(self) -> None:
        rows = [OwnershipRow(1, 10, date(2020, 1, 1), date(2025, 5, 1))]

        assert mapping.current_owner(rows, TODAY) == (10, date(2025, 5, 1))

    def test_no_ownership_means_no_owner(self) -> None:
        assert mapping.current_owner([], TODAY) == (None, None)


def test_a_utc_timestamp_is_read_as_the_dealers_local_date() -> None:
    late = datetime(2026, 11, 19, 23, 30)  # naive UTC, as SQLite returns it

    assert mapping.local_date(late, ZoneInfo("Europe/Prague")) == date(2026, 11, 20)
    assert mapping.local_date(late.replace(tzinfo=UTC), ZoneInfo("UTC")) == date(2026, 11, 19)


def test_a_chunk_split_for_parallel_evaluation_gives_the_same_invitations(
    session: Session,
) -> None:
    import_dataset(session, nightly_dataset())
    repo = InvitationRepository(session)
    dealer = repo.dealers(code=DEALER)[0]
    policy = invitation_service.dealer_policy(session, dealer)
    chunk = repo.load_chunk(
        dealer_id=dealer.id, lo=0, hi=2**31 - 1, today=AS_OF, time_zone=dealer.time_zone
    )

    whole = mapping.evaluate_chunk(chunk, policy)
    parts = mapping.split_chunk(chunk, 3)
    pieces = [item for part in parts for item in mapping.evaluate_chunk(part, policy)]

    assert len(parts) == 3
    assert sum(len(p.vehicles) for p in parts) == len(VINS)
    assert pieces == whole
