"""Real concurrency on a committed database: claims and bookings from many threads at once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from app.audit import SYSTEM
from app.contact import service as contact_service
from app.contact.schemas import OutcomeIn
from app.db import build_engine
from app.errors import Conflict
from app.migrations import upgrade_to_head
from tests.app.contact.factories import TUESDAY_10_PRAGUE, create_agent, create_dealer, create_task
from tests.conftest import drop_database, fresh_database_url


@pytest.fixture
def committed(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = fresh_database_url(backend, str(tmp_path_factory.mktemp("concurrency")))
    upgrade_to_head(url)
    engine = (
        build_engine(url, pool_size=60, max_overflow=10)
        if backend == "postgresql"
        else build_engine(url)
    )
    yield engine
    engine.dispose()
    drop_database(url)


def _run(threads: int, work) -> list[Exception]:  # type: ignore[no-untyped-def]
    errors: list[Exception] = []
    barrier = threading.Barrier(threads)

    def body(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except Exception as exc:
            errors.append(exc)

    pool = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return errors


def test_fifty_threads_claim_every_task_exactly_once(committed: Engine, backend: str) -> None:
    threads = 50 if backend == "postgresql" else 8
    with Session(committed) as s:
        dealer = create_dealer(s)
        agents = [create_agent(s, dealer=dealer) for _ in range(threads)]
        tasks = {create_task(s, dealer=dealer, priority=p % 7).id for p in range(300)}
        s.commit()
        dealer_ids = frozenset({dealer.id})
    claimed: list[int] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        while True:
            with Session(committed) as s:
                card = contact_service.claim_next(
                    s,
                    agent_id=agents[index],
                    dealer_ids=dealer_ids,
                    now=TUESDAY_10_PRAGUE,
                    actor=SYSTEM,
                )
            if card is None:
                return
            with lock:
                claimed.append(card.task_id)

    errors = _run(threads, work)

    assert errors == []
    duplicates = [t for t, n in Counter(claimed).items() if n > 1]
    assert duplicates == []
    assert set(claimed) == tasks


def test_concurrent_bookings_never_overbook(committed: Engine, backend: str) -> None:
    threads = 20 if backend == "postgresql" else 6
    start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    with Session(committed) as s:
        # 3 bay-hours over 08:00-17:00: one bay, three one-hour appointments a day.
        dealer = create_dealer(s, capacity_hours=3)
        agents = [create_agent(s, dealer=dealer) for _ in range(threads)]
        for _ in range(threads):
            create_task(s, dealer=dealer)
        s.commit()
        dealer_ids = frozenset({dealer.id})
    cards = []
    for agent in agents:
        with Session(committed) as s:
            card = contact_service.claim_next(
                s, agent_id=agent, dealer_ids=dealer_ids, now=TUESDAY_10_PRAGUE, actor=SYSTEM
            )
            assert card is not None
            cards.append(card)
    booked: list[int] = []
    refused: list[int] = []

    def work(index: int) -> None:
        card = cards[index]
        hour = index % 4  # four different hours, three bay-hours: one booking must fail
        body = OutcomeIn(
            claim_token=card.claim_token,
            disposition="booked",
            booking={"vehicle_id": card.vehicles[0].id, "slot_start": start.replace(hour=8 + hour)},
        )
        with Session(committed) as s:
            try:
                contact_service.record_outcome(
                    s,
                    task_id=card.task_id,
                    body=body,
                    agent_id=agents[index],
                    dealer_ids=dealer_ids,
                    now=TUESDAY_10_PRAGUE,
                    actor=SYSTEM,
                )
                booked.append(index)
            except Conflict:
                refused.append(index)

    errors = _run(threads, work)

    assert errors == []
    assert len(booked) == 3
    assert len(refused) == threads - 3
