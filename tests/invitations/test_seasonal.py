import pytest

from invitations import CampaignKind, Invitation, SeasonalCampaign
from invitations.rules import seasonal
from tests.invitations.builders import day, make_customer, make_policy, make_ro, make_vehicle


def evaluate(
    today: str, *, country: str = "CZ", tyre_hotel: bool = False, **vehicle: object
) -> list[Invitation]:
    values = {"repair_orders": [make_ro("2024-05-03", km=20_000)], **vehicle}
    return seasonal.evaluate(
        make_vehicle(**values),
        customer=make_customer(tyre_hotel=tyre_hotel),
        today=day(today),
        policy=make_policy(country=country),
    )


def codes(found: list[Invitation]) -> list[str]:
    return [inv.dedup_key.split(":", 2)[2] for inv in found]


@pytest.mark.parametrize(
    ("country", "today", "expected"),
    [
        ("CZ", "2025-09-30", []),
        ("CZ", "2025-10-01", ["cz_autumn_tyres:2025"]),
        ("CZ", "2025-03-15", ["cz_spring_tyres:2025"]),
        ("FI", "2025-10-15", ["fi_autumn_tyres:2025"]),
        ("FI", "2025-04-01", ["fi_spring_tyres:2025"]),
        ("SE", "2025-11-30", ["se_autumn_tyres:2025"]),
        ("SE", "2025-04-15", ["ac_check:2025", "se_spring_tyres:2025"]),
        ("DE", "2025-09-20", ["de_autumn_tyres:2025"]),
        (
            "DE",
            "2025-04-20",
            ["ac_check:2025"],
        ),  # Easter Sunday 2025: spring tyres open the day after
        ("DE", "2025-04-21", ["ac_check:2025", "de_spring_tyres:2025"]),
        ("DE", "2025-03-02", []),  # spring tyres never before Easter
        ("AT", "2025-10-01", ["at_autumn_tyres:2025"]),
        ("PL", "2025-10-01", []),
        ("PL", "2025-04-15", ["ac_check:2025"]),
        ("US", "2025-06-15", ["ac_check:2025"]),
    ],
)
def test_seasonal_campaigns_follow_the_country_calling_windows(
    country: str, today: str, expected: list[str]
) -> None:
    # Only invitations still inside their window (not the expired ones in the lookback).
    found = [inv for inv in evaluate(today, country=country) if inv.window_expires >= day(today)]
    assert sorted(codes(found)) == expected


def test_seasonal_invitation_explains_the_window_and_last_visit() -> None:
    [invitation] = evaluate("2025-10-06")
    assert invitation.due_date == day("2025-10-01")
    assert invitation.window_expires == day("2025-11-15")
    assert invitation.explanation.render() == (
        "Seasonal campaign cz_autumn_tyres, calling 1 Oct 2025 to 15 Nov 2025; "
        "last visit 3 May 2024"
    )


def test_vehicles_without_a_visit_in_the_last_24_months_are_not_targeted() -> None:
    assert evaluate("2026-10-06") == []


def test_tyre_hotel_customers_are_targeted_without_a_recent_visit() -> None:
    [invitation] = evaluate("2026-10-06", tyre_hotel=True)
    assert invitation.explanation.render().endswith("tyres stored with us")


def test_a_window_crossing_the_year_end_belongs_to_its_start_year() -> None:
    winter = SeasonalCampaign(
        code="winter_check",
        kind=CampaignKind.WINTER_CHECK,
        country="CZ",
        start_month=11,
        start_day=15,
        end_month=1,
        end_day=15,
    )
    policy = make_policy(seasonal_campaigns=(winter,))
    [invitation] = seasonal.evaluate(
        make_vehicle(repair_orders=[make_ro("2025-05-01")]),
        customer=make_customer(),
        today=day("2026-01-10"),
        policy=policy,
    )
    assert invitation.dedup_key == "seasonal:TMBJJ7NE8L0123456:winter_check:2025"
    assert invitation.window_expires == day("2026-01-15")
