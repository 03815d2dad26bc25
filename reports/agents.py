"""Contact-centre agent KPIs from counts and durations.

The app counts, per agent and period, the call attempts the agent made (dispositions flagged
``counts_as_attempt``), how many of them reached someone (``contact_made``), how many of those
booked an appointment (``booked``), how many of those bookings arrived, the seconds spent handling
the attempts (dial to wrap-up end) and the seconds the agent was logged in to the workspace.

Definitions
-----------
- **attempts per hour** = attempts / (logged-in seconds / 3600)
- **reach rate** = contacts / attempts (per attempt, because several agents can work one task)
- **booking rate** = bookings / contacts
- **show rate** = bookings that arrived / bookings
- **average handling time (AHT)** = handling seconds / attempts

Worked example: 84 attempts in 6 logged hours (21,600 s) with 10,080 s of handling; 42 contacts,
14 bookings, 12 arrived. Attempts per hour 14.0, reach rate 50.0 %, booking rate 33.3 %, show rate
85.7 %, AHT 120 s.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from reports.stats import DEFAULT_CONFIDENCE, Proportion

__all__ = ["AgentActivity", "AgentKpis", "agent_kpis", "combine_agent_activity"]

_SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentActivity:
    """One agent's (or a team's) call counts and times for a period.

    Raises:
        ValueError: on a negative or non-finite value, or unless
            ``arrived ≤ bookings ≤ contacts ≤ attempts``.
    """

    attempts: int
    contacts: int = 0
    bookings: int = 0
    arrived: int = 0
    """Bookings made by the agent whose appointment arrived."""
    handling_seconds: float = 0.0
    """Total time spent on the attempts, from dialling to the end of wrap-up."""
    logged_seconds: float = 0.0
    """Total time logged in to the agent workspace."""

    def __post_init__(self) -> None:
        for name in ("attempts", "contacts", "bookings", "arrived"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        for name in ("handling_seconds", "logged_seconds"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")
        if not self.arrived <= self.bookings <= self.contacts <= self.attempts:
            raise ValueError(
                "expected arrived ≤ bookings ≤ contacts ≤ attempts, got "
                f"{self.arrived}, {self.bookings}, {self.contacts}, {self.attempts}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentKpis:
    """The KPIs of one :class:`AgentActivity` (see the module docstring)."""

    attempts_per_hour: float | None
    """attempts / logged hours; ``None`` without logged time."""
    reach_rate: Proportion
    """contacts / attempts."""
    booking_rate: Proportion
    """bookings / contacts."""
    show_rate: Proportion
    """arrived / bookings."""
    average_handling_seconds: float | None
    """handling seconds / attempts; ``None`` without attempts."""


def agent_kpis(activity: AgentActivity, *, confidence: float = DEFAULT_CONFIDENCE) -> AgentKpis:
    """Compute an agent's KPIs.

    >>> kpis = agent_kpis(AgentActivity(attempts=84, contacts=42, bookings=14, arrived=12,
    ...                                 handling_seconds=10_080, logged_seconds=21_600))
    >>> kpis.attempts_per_hour, kpis.reach_rate.rate, kpis.average_handling_seconds
    (14.0, 0.5, 120.0)
    """
    return AgentKpis(
        attempts_per_hour=(
            activity.attempts / (activity.logged_seconds / _SECONDS_PER_HOUR)
            if activity.logged_seconds
            else None
        ),
        reach_rate=Proportion(
            successes=activity.contacts, trials=activity.attempts, confidence=confidence
        ),
        booking_rate=Proportion(
            successes=activity.bookings, trials=activity.contacts, confidence=confidence
        ),
        show_rate=Proportion(
            successes=activity.arrived, trials=activity.bookings, confidence=confidence
        ),
        average_handling_seconds=(
            activity.handling_seconds / activity.attempts if activity.attempts else None
        ),
    )


def combine_agent_activity(activities: Iterable[AgentActivity]) -> AgentActivity:
    """Sum several agents' (or periods') activity into a team total; empty gives all zeros."""
    attempts = contacts = bookings = arrived = 0
    handling = logged = 0.0
    for activity in activities:
        attempts += activity.attempts
        contacts += activity.contacts
        bookings += activity.bookings
        arrived += activity.arrived
        handling += activity.handling_seconds
        logged += activity.logged_seconds
    return AgentActivity(
        attempts=attempts,
        contacts=contacts,
        bookings=bookings,
        arrived=arrived,
        handling_seconds=handling,
        logged_seconds=logged,
    )
