"""The calling rules: windows in local time, holidays, retries, outcome effects, queue order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invitations.calling import (
    EU_WINDOW,
    NORTH_AMERICA_WINDOW,
    DispositionRule,
    QueueEntry,
    TaskState,
    TaskStatus,
    callback_open_to,
    calling_window_for,
    decide_outcome,
    is_callable,
    next_callable,
    queue_sort_key,
)

TUESDAY_10_PRAGUE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def state(**overrides: object) -> TaskState:
    values: dict[str, object] = {
        "attempts": 0,
        "first_attempt_at": None,
        "valid_phones_left": 1,
        "zone": "Europe/Prague",
        "country": "CZ",
    }
    values.update(overrides)
    return TaskState(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("at", "zone", "country", "expected"),
    [
        (datetime(2026, 11, 24, 9, 0, tzinfo=UTC), "Europe/Prague", "CZ", True),
        (datetime(2026, 11, 24, 7, 30, tzinfo=UTC), "Europe/Prague", "CZ", False),
        (datetime(2026, 11, 24, 7, 30, tzinfo=UTC), "Europe/Helsinki", "FI", True),
        (datetime(2026, 11, 24, 18, 0, tzinfo=UTC), "Europe/Prague", "CZ", False),
        (datetime(2026, 11, 28, 11, 0, tzinfo=UTC), "Europe/Prague", "CZ", True),  # Sat 12:00
        (datetime(2026, 11, 28, 12, 30, tzinfo=UTC), "Europe/Prague", "CZ", False),  # Sat 13:30
        (datetime(2026, 11, 29, 10, 0, tzinfo=UTC), "Europe/Prague", "CZ", False),  # Sunday
        (datetime(2026, 12, 24, 10, 0, tzinfo=UTC), "Europe/Prague", "CZ", False),  # holiday
        (datetime(2026, 12, 6, 10, 0, tzinfo=UTC), "Europe/Helsinki", "FI", False),  # Sun + holiday
        (datetime(2026, 11, 29, 14, 0, tzinfo=UTC), "America/New_York", "US", True),  # Sun 09:00
        (
            datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
            "America/New_York",
            "US",
            False,
        ),  # Thanksgiving
    ],
)
def test_calls_only_inside_the_local_window_and_never_on_holidays(
    at: datetime, zone: str, country: str, expected: bool
) -> None:
    window = calling_window_for(country)
    assert is_callable(at, zone=zone, country=country, window=window) is expected


def test_the_us_window_is_eight_to_nine() -> None:
    assert calling_window_for("us") is NORTH_AMERICA_WINDOW
    assert calling_window_for("CZ") is EU_WINDOW


def test_after_hours_moves_to_the_next_morning() -> None:
    at = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)
    assert next_callable(at, zone="Europe/Prague", country="CZ", window=EU_WINDOW) == datetime(
        2026, 11, 25, 8, 0, tzinfo=UTC
    )


@given(
    st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    st.sampled_from(
        [
            ("Europe/Prague", "CZ"),
            ("Europe/Helsinki", "FI"),
            ("America/Chicago", "US"),
            ("Europe/Kyiv", "UA"),
        ]
    ),
)
def test_next_callable_is_callable_and_never_earlier(at: datetime, place: tuple[str, str]) -> None:
    zone, country = place
    window = calling_window_for(country)
    found = next_callable(at, zone=zone, country=country, window=window)
    assert found >= at
    assert is_callable(found, zone=zone, country=country, window=window)


def test_no_answer_in_the_morning_retries_in_the_afternoon() -> None:
    rule = DispositionRule(code="no_answer", retry_after_minutes=60, other_part_of_day=True)
    decision = decide_outcome(rule, state=state(), now=TUESDAY_10_PRAGUE, window=EU_WINDOW)
    # 10:00 + 1 h is still the morning: moved to 12:00 local.
    assert decision.next_attempt_at == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert decision.status is TaskStatus.READY


def test_busy_retries_after_thirty_minutes() -> None:
    decision = decide_outcome(
        DispositionRule(code="busy", retry_after_minutes=30),
        state=state(),
        now=TUESDAY_10_PRAGUE,
        window=EU_WINDOW,
    )
    assert decision.next_attempt_at == TUESDAY_10_PRAGUE + timedelta(minutes=30)
    assert decision.attempts == 1


def test_a_retry_beyond_fourteen_days_closes_as_unreachable() -> None:
    decision = decide_outcome(
        DispositionRule(code="voicemail", retry_after_minutes=1440),
        state=state(attempts=2, first_attempt_at=TUESDAY_10_PRAGUE - timedelta(days=14)),
        now=TUESDAY_10_PRAGUE,
        window=EU_WINDOW,
    )
    assert decision.closes_as == "unreachable"


def test_do_not_call_closes_everything_and_sets_the_flag() -> None:
    decision = decide_outcome(
        DispositionRule(code="dnc", dnc=True, final=True, closes_as="dnc"),
        state=state(),
        now=TUESDAY_10_PRAGUE,
        window=EU_WINDOW,
    )
    assert decision.set_do_not_call
    assert decision.close_other_tasks
    assert decision.status is TaskStatus.CLOSED


def test_a_callback_needs_a_future_time() -> None:
    rule = DispositionRule(code="cb", callback=True)
    with pytest.raises(ValueError, match="future"):
        decide_outcome(
            rule,
            state=state(),
            now=TUESDAY_10_PRAGUE,
            window=EU_WINDOW,
            callback_at=TUESDAY_10_PRAGUE,
        )


def test_a_callback_is_reserved_for_fifteen_minutes() -> None:
    entry = QueueEntry(task_id=1, priority=0, callback_at=TUESDAY_10_PRAGUE, callback_agent_id=7)
    assert callback_open_to(entry, agent_id=7, now=TUESDAY_10_PRAGUE)
    assert not callback_open_to(entry, agent_id=8, now=TUESDAY_10_PRAGUE + timedelta(minutes=14))
    assert callback_open_to(entry, agent_id=8, now=TUESDAY_10_PRAGUE + timedelta(minutes=15))


def test_due_callbacks_jump_the_queue_then_priority_then_waiting_time() -> None:
    entries = [
        QueueEntry(task_id=1, priority=100, next_attempt_at=TUESDAY_10_PRAGUE),
        QueueEntry(task_id=2, priority=10, callback_at=TUESDAY_10_PRAGUE),
        QueueEntry(task_id=3, priority=100, next_attempt_at=TUESDAY_10_PRAGUE - timedelta(hours=1)),
        QueueEntry(task_id=4, priority=60),
    ]
    assert [e.task_id for e in sorted(entries, key=queue_sort_key)] == [2, 3, 1, 4]
