"""Calling rules of the contact centre (DESIGN §3.2–3.3): windows, retries, outcomes, queue order.

* **Calling windows** are in the customer's local time: EU countries Mon–Fri 09:00–19:00 and Sat
  09:00–13:00, the US and Canada every day 08:00–21:00; never on the country's public holidays.
  Example: a Finnish number at 08:30 UTC on a Tuesday is 10:30 in Helsinki, so it is callable;
  at 17:30 UTC (19:30 local) it is not, and :func:`next_callable` moves it to 09:00 on Wednesday.
* **Retries** follow the disposition: no answer after 4 h *and in another part of the day*
  (morning before 12:00, afternoon before 16:00, evening after), busy after 30 min, voicemail
  after a day; always at the next callable moment. At most ``max_attempts`` (5) attempts within
  ``max_days`` (14) of the first; past either the task closes as unreachable.
* **Outcome effects** (:func:`decide_outcome`): a do-not-call disposition closes the task and every
  other open task of the customer; a bad number invalidates the phone and closes the task only when
  no other valid phone remains; a callback reserves the task for the agent for
  ``CALLBACK_RESERVATION`` (15 min) after the agreed time; a final disposition closes the task.
* **Queue order** (:func:`queue_sort_key`): overdue callbacks first, then priority, then the
  longest-waiting task.

Everything here is a pure function of its arguments; the clock is always a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from invitations.dates import holiday_dates

__all__ = [
    "CALLBACK_RESERVATION",
    "DEFAULT_RETRY",
    "EU_WINDOW",
    "NORTH_AMERICA_WINDOW",
    "CallingWindow",
    "DispositionRule",
    "OutcomeDecision",
    "PartOfDay",
    "QueueEntry",
    "RetryPolicy",
    "TaskState",
    "TaskStatus",
    "callback_open_to",
    "calling_window_for",
    "decide_outcome",
    "is_callable",
    "local_date",
    "next_callable",
    "part_of_day",
    "queue_sort_key",
]

CALLBACK_RESERVATION = timedelta(minutes=15)
"""How long after the agreed time a callback stays reserved for the agent who agreed it."""

_SEARCH_DAYS = 40  # a window open at least one day in any 40 always exists (holiday seasons)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True, slots=True, kw_only=True)
class CallingWindow:
    """Hours in which calls are allowed, per ISO weekday (0 = Monday), in local time.

    ``hours[weekday]`` is a tuple of ``(start, end)`` pairs with ``start < end``; a weekday
    missing from ``hours`` (or with no pairs) has no calling at all.
    """

    hours: Mapping[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        normalised: dict[int, tuple[tuple[time, time], ...]] = {}
        for weekday, spans in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0..6, not {weekday!r}")
            pairs = tuple(sorted((span[0], span[1]) for span in spans))
            for start, end in pairs:
                if not isinstance(start, time) or not isinstance(end, time) or not start < end:
                    raise ValueError(
                        f"calling hours must be (start, end) with start < end: {pairs}"
                    )
            normalised[weekday] = pairs
        object.__setattr__(self, "hours", normalised)

    def spans(self, weekday: int) -> tuple[tuple[time, time], ...]:
        """The ``(start, end)`` pairs of ``weekday``."""
        return self.hours.get(weekday, ())


def _window(
    weekdays: Iterable[int], start: time, end: time, **extra: tuple[time, time]
) -> CallingWindow:
    hours: dict[int, tuple[tuple[time, time], ...]] = dict.fromkeys(weekdays, ((start, end),))
    if "saturday" in extra:
        hours[5] = (extra["saturday"],)
    return CallingWindow(hours=hours)


EU_WINDOW = _window(range(5), time(9), time(19), saturday=(time(9), time(13)))
"""Mon–Fri 09:00–19:00, Sat 09:00–13:00 (the EU default)."""

NORTH_AMERICA_WINDOW = _window(range(7), time(8), time(21))
"""Every day 08:00–21:00 local (the TCPA's calling hours)."""

_COUNTRY_WINDOWS: Mapping[str, CallingWindow] = {
    "US": NORTH_AMERICA_WINDOW,
    "CA": NORTH_AMERICA_WINDOW,
}


def calling_window_for(country: str | None) -> CallingWindow:
    """The default calling window of ``country`` (ISO 3166 alpha-2); the EU one otherwise."""
    return _COUNTRY_WINDOWS.get((country or "").upper(), EU_WINDOW)


def is_callable(at: datetime, *, zone: str, country: str | None, window: CallingWindow) -> bool:
    """True when ``at`` falls inside ``window`` in ``zone`` and is not a holiday of ``country``."""
    _aware(at, "at")
    local = at.astimezone(_zone(zone))
    if local.date() in holiday_dates(country, local.year):
        return False
    clock = local.time().replace(tzinfo=None)
    return any(start <= clock < end for start, end in window.spans(local.weekday()))


def next_callable(
    at: datetime, *, zone: str, country: str | None, window: CallingWindow
) -> datetime:
    """The first moment at or after ``at`` that :func:`is_callable` admits (in UTC).

    ``ValueError`` when the window allows nothing in the next 40 days (an empty window).
    """
    _aware(at, "at")
    tz = _zone(zone)
    local = at.astimezone(tz)
    for offset in range(_SEARCH_DAYS):
        day = local.date() + timedelta(days=offset)
        if day in holiday_dates(country, day.year):
            continue
        for start, end in window.spans(day.weekday()):
            begin = datetime.combine(day, start, tzinfo=tz)
            finish = datetime.combine(day, end, tzinfo=tz)
            if finish <= at:
                continue
            candidate = max(begin, at.astimezone(tz))
            # A DST gap can make the wall-clock start not exist; round-trip through UTC.
            candidate = candidate.astimezone(UTC)
            if candidate < finish.astimezone(UTC):
                return candidate
    raise ValueError("the calling window allows no call in the next 40 days")


class PartOfDay(StrEnum):
    """Parts of the local day; a no-answer retry moves to another one."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


def part_of_day(at: datetime, *, zone: str) -> PartOfDay:
    """Morning before 12:00, afternoon before 16:00, evening from 16:00 (local)."""
    _aware(at, "at")
    hour = at.astimezone(_zone(zone)).hour
    if hour < 12:
        return PartOfDay.MORNING
    if hour < 16:
        return PartOfDay.AFTERNOON
    return PartOfDay.EVENING


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """Attempt limits: at most ``max_attempts`` within ``max_days`` of the first attempt."""

    max_attempts: int = 5
    max_days: int = 14

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_days < 1:
            raise ValueError("max_attempts and max_days must be at least 1")


DEFAULT_RETRY = RetryPolicy()
"""5 attempts within 14 days (DESIGN §3.2)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DispositionRule:
    """The semantic flags of a disposition (DESIGN §2), as stored per dealer group.

    ``closes_as`` is the task outcome a final disposition records (``booked``, ``declined``...).
    ``other_part_of_day`` asks a retry to land in another part of the day than the attempt.
    """

    code: str
    contact_made: bool = False
    final: bool = False
    booked: bool = False
    dnc: bool = False
    bad_number: bool = False
    callback: bool = False
    ends_ownership: bool = False
    counts_as_attempt: bool = True
    retry_after_minutes: int | None = None
    closes_as: str | None = None
    other_part_of_day: bool = False

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("code must not be empty")
        if self.retry_after_minutes is not None and self.retry_after_minutes <= 0:
            raise ValueError("retry_after_minutes must be positive")
        if self.final and not self.closes_as:
            raise ValueError(f"final disposition {self.code!r} needs closes_as")


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskState:
    """What the outcome decision needs to know about the task and the call."""

    attempts: int
    first_attempt_at: datetime | None
    valid_phones_left: int
    zone: str
    country: str | None

    def __post_init__(self) -> None:
        if self.attempts < 0 or self.valid_phones_left < 0:
            raise ValueError("attempts and valid_phones_left must not be negative")
        if self.first_attempt_at is not None:
            _aware(self.first_attempt_at, "first_attempt_at")


class TaskStatus(StrEnum):
    """Where the task goes after the outcome."""

    READY = "ready"
    CALLBACK = "callback"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class OutcomeDecision:
    """Everything an outcome changes, decided before anything is written."""

    status: TaskStatus
    attempts: int
    next_attempt_at: datetime | None = None
    callback_at: datetime | None = None
    closes_as: str | None = None
    set_do_not_call: bool = False
    close_other_tasks: bool = False
    invalidate_phone: bool = False
    end_ownership: bool = False


_DEFAULT_RETRY_MINUTES = 240


def _retry_at(
    rule: DispositionRule, *, now: datetime, state: TaskState, window: CallingWindow
) -> datetime:
    delay = timedelta(minutes=rule.retry_after_minutes or _DEFAULT_RETRY_MINUTES)
    candidate = next_callable(now + delay, zone=state.zone, country=state.country, window=window)
    if not rule.other_part_of_day:
        return candidate
    avoid = part_of_day(now, zone=state.zone)
    for _ in range(3 * _SEARCH_DAYS):
        if part_of_day(candidate, zone=state.zone) is not avoid:
            return candidate
        # Jump to the start of the next part of the day (or the next day) and try again.
        local = candidate.astimezone(_zone(state.zone))
        boundary = {PartOfDay.MORNING: 12, PartOfDay.AFTERNOON: 16}.get(avoid)
        if boundary is not None and local.hour < boundary:
            jump = local.replace(hour=boundary, minute=0, second=0, microsecond=0)
        else:
            jump = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=local.tzinfo)
        candidate = next_callable(jump, zone=state.zone, country=state.country, window=window)
    return candidate  # the window only has one part of the day: take the next callable time


def decide_outcome(
    rule: DispositionRule,
    *,
    state: TaskState,
    now: datetime,
    window: CallingWindow,
    callback_at: datetime | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> OutcomeDecision:
    """The effects of recording ``rule`` on a task in ``state`` at ``now``.

    >>> from datetime import datetime, UTC
    >>> state = TaskState(attempts=4, first_attempt_at=datetime(2026, 3, 2, 8, tzinfo=UTC),
    ...                   valid_phones_left=1, zone="Europe/Prague", country="CZ")
    >>> decide_outcome(DispositionRule(code="no_answer", retry_after_minutes=240), state=state,
    ...                now=datetime(2026, 3, 3, 9, tzinfo=UTC), window=EU_WINDOW).closes_as
    'unreachable'
    """
    _aware(now, "now")
    attempts = state.attempts + (1 if rule.counts_as_attempt else 0)
    if rule.dnc:
        return OutcomeDecision(
            status=TaskStatus.CLOSED,
            attempts=attempts,
            closes_as=rule.closes_as or "dnc",
            set_do_not_call=True,
            close_other_tasks=True,
        )
    if rule.bad_number:
        phones_left = max(state.valid_phones_left - 1, 0)
        if phones_left == 0:
            return OutcomeDecision(
                status=TaskStatus.CLOSED,
                attempts=attempts,
                closes_as=rule.closes_as or "wrong_number",
                invalidate_phone=True,
            )
        return OutcomeDecision(
            status=TaskStatus.READY,
            attempts=attempts,
            next_attempt_at=next_callable(
                now, zone=state.zone, country=state.country, window=window
            ),
            invalidate_phone=True,
        )
    if rule.final or rule.booked:
        return OutcomeDecision(
            status=TaskStatus.CLOSED,
            attempts=attempts,
            closes_as=rule.closes_as or ("booked" if rule.booked else "declined"),
            end_ownership=rule.ends_ownership,
        )
    if rule.callback:
        if callback_at is None:
            raise ValueError("a callback disposition needs callback_at")
        _aware(callback_at, "callback_at")
        if callback_at <= now:
            raise ValueError("callback_at must be in the future")
        return OutcomeDecision(
            status=TaskStatus.CALLBACK, attempts=attempts, callback_at=callback_at
        )
    first = state.first_attempt_at or now
    if attempts >= retry.max_attempts:
        return OutcomeDecision(status=TaskStatus.CLOSED, attempts=attempts, closes_as="unreachable")
    at = _retry_at(rule, now=now, state=state, window=window)
    if at - first > timedelta(days=retry.max_days):
        return OutcomeDecision(status=TaskStatus.CLOSED, attempts=attempts, closes_as="unreachable")
    return OutcomeDecision(status=TaskStatus.READY, attempts=attempts, next_attempt_at=at)


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueEntry:
    """A task as the queue sees it (for ordering and the reservation rule)."""

    task_id: int
    priority: int
    next_attempt_at: datetime | None = None
    callback_at: datetime | None = None
    callback_agent_id: int | None = None


def callback_open_to(entry: QueueEntry, *, agent_id: int, now: datetime) -> bool:
    """True when ``agent_id`` may take the callback ``entry`` at ``now``.

    The agreed time must have come; for ``CALLBACK_RESERVATION`` after it only the agent who
    agreed it may take it, then anyone.
    """
    if entry.callback_at is None:
        return False
    if entry.callback_at > now:
        return False
    if entry.callback_agent_id in (None, agent_id):
        return True
    return now >= entry.callback_at + CALLBACK_RESERVATION


def queue_sort_key(entry: QueueEntry) -> tuple[int, int, datetime, int]:
    """Due callbacks first, then highest priority, then the longest-waiting, then the id."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    waiting = entry.callback_at if entry.callback_at is not None else entry.next_attempt_at
    return (
        0 if entry.callback_at is not None else 1,
        -entry.priority,
        waiting or epoch,
        entry.task_id,
    )


def local_date(at: datetime, *, zone: str) -> date:
    """The calendar date of ``at`` in ``zone``."""
    _aware(at, "at")
    return at.astimezone(_zone(zone)).date()
