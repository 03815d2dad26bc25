"""Agent productivity KPIs."""

import math

import pytest

from reports.agents import AgentActivity, agent_kpis, combine_agent_activity


def test_worked_example_agent_kpis() -> None:
    kpis = agent_kpis(
        AgentActivity(
            attempts=84,
            contacts=42,
            bookings=14,
            arrived=12,
            handling_seconds=10_080,
            logged_seconds=21_600,
        )
    )
    assert kpis.attempts_per_hour == pytest.approx(14.0)
    assert kpis.reach_rate.rate == pytest.approx(0.5)
    assert kpis.booking_rate.rate == pytest.approx(1 / 3)
    assert kpis.show_rate.rate == pytest.approx(12 / 14)
    assert kpis.average_handling_seconds == pytest.approx(120.0)


def test_an_idle_agent_has_undefined_kpis_not_errors() -> None:
    kpis = agent_kpis(AgentActivity(attempts=0))
    assert kpis.attempts_per_hour is None
    assert kpis.average_handling_seconds is None
    assert kpis.reach_rate.rate is None
    assert kpis.show_rate.interval is None


def test_logged_in_without_calls_makes_zero_attempts_per_hour() -> None:
    kpis = agent_kpis(AgentActivity(attempts=0, logged_seconds=3600))
    assert kpis.attempts_per_hour == 0.0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"attempts": 5, "contacts": 6}, "arrived ≤ bookings ≤ contacts ≤ attempts"),
        ({"attempts": 5, "contacts": 3, "bookings": 4}, "arrived ≤ bookings"),
        ({"attempts": 5, "contacts": 3, "bookings": 2, "arrived": 3}, "arrived ≤ bookings"),
        ({"attempts": -1}, "non-negative integer"),
        ({"attempts": 1, "handling_seconds": -1.0}, "non-negative finite"),
        ({"attempts": 1, "logged_seconds": math.inf}, "non-negative finite"),
    ],
)
def test_agent_activity_is_validated(fields: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AgentActivity(**fields)  # type: ignore[arg-type]


def test_team_totals_add_counts_and_times() -> None:
    team = combine_agent_activity(
        [
            AgentActivity(
                attempts=10,
                contacts=5,
                bookings=2,
                arrived=1,
                handling_seconds=600,
                logged_seconds=3600,
            ),
            AgentActivity(
                attempts=30,
                contacts=15,
                bookings=6,
                arrived=6,
                handling_seconds=1800,
                logged_seconds=7200,
            ),
        ]
    )
    assert team == AgentActivity(
        attempts=40, contacts=20, bookings=8, arrived=7, handling_seconds=2400, logged_seconds=10800
    )
    kpis = agent_kpis(team)
    assert kpis.attempts_per_hour == pytest.approx(40 / 3)
    assert kpis.average_handling_seconds == pytest.approx(60.0)


def test_no_agents_make_an_empty_team() -> None:
    assert combine_agent_activity([]) == AgentActivity(attempts=0)
