"""The claim's and outcome's prebuilt statements take the caller's dealer scope as a parameter:
the scoped variant sees only those dealers (none for an empty scope), the unscoped one (a
platform administrator) every dealer, exactly like the statements built per call did."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session

from app.contact import repository
from app.contact.repository import ContactRepository
from app.security.principal import DealerScope
from tests.app.contact.factories import TUESDAY_10_PRAGUE, create_dealer, create_task

NOW = TUESDAY_10_PRAGUE


@pytest.mark.parametrize(
    ("scope", "sees"),
    [("own", True), ("other", False), ("empty", False), ("every dealer", True)],
)
def test_the_queue_and_the_task_lock_honour_the_dealer_scope(
    session: Session, scope: str, sees: bool
) -> None:
    dealer, other = create_dealer(session), create_dealer(session)
    task = create_task(session, dealer=dealer)
    dealer_ids: DealerScope = {
        "own": frozenset({int(dealer.id or 0)}),
        "other": frozenset({int(other.id or 0)}),
        "empty": frozenset(),
        "every dealer": None,
    }[scope]
    repo = ContactRepository(session)

    queue = repo.ready_candidates(dealer_ids=dealer_ids, now=NOW, limit=20)
    locked = repo.task_for_update(int(task.id or 0), dealer_ids=dealer_ids)

    assert (int(task.id or 0) in [c.id for c in queue]) is sees
    assert (locked is not None) is sees
    if locked is not None:
        assert locked.dealer_code == dealer.code


def test_the_hot_paths_execute_the_module_level_statements_not_new_ones(
    session: Session,
) -> None:
    dealer = create_dealer(session)
    task = create_task(session, dealer=dealer)
    repo = ContactRepository(session)
    executed: list[Any] = []
    engine = session.get_bind()
    listener = lambda _conn, clause, *_args: executed.append(clause)  # noqa: E731

    event.listen(engine, "before_execute", listener)
    try:
        repo.task_for_update(int(task.id or 0), dealer_ids=frozenset({int(dealer.id or 0)}))
        repo.task_for_update(int(task.id or 0), dealer_ids=None)
        repo.ready_candidates(dealer_ids=None, now=NOW, limit=4)
        repo.card_phones(task.customer_id)
    finally:
        event.remove(engine, "before_execute", listener)

    assert executed[0] is repository._TASK_FOR_UPDATE[0]  # scoped
    assert executed[1] is repository._TASK_FOR_UPDATE[1]  # every dealer
    assert executed[2] is repository._READY_CANDIDATES[1]
    assert executed[3] is repository._CARD_PHONES
