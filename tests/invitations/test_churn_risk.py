import pytest

from invitations import Invitation
from invitations.rules import churn_risk
from tests.invitations.builders import day, make_customer, make_policy, make_ro, make_vehicle

REGULAR = [make_ro("2024-02-01"), make_ro("2024-06-01"), make_ro("2024-10-01")]


def evaluate(
    today: str, *, visit_dates: tuple[str, ...] = (), **vehicle: object
) -> list[Invitation]:
    values = {"repair_orders": REGULAR, **vehicle}
    customer = make_customer(visit_dates=[day(d) for d in visit_dates])
    return churn_risk.evaluate(
        make_vehicle(**values), customer=customer, today=day(today), policy=make_policy()
    )


@pytest.mark.parametrize(
    ("today", "count"),
    [
        ("2025-04-01", 0),  # 182 days: not more than 1.5 × 121.5
        ("2025-04-02", 1),
        ("2025-12-31", 1),  # the day before the 15-month lapse
        ("2026-01-30", 1),  # expired, still reported within the lookback
        ("2026-01-31", 0),
    ],
)
def test_churn_risk_starts_when_the_gap_exceeds_one_and_a_half_median_gaps(
    today: str, count: int
) -> None:
    assert len(evaluate(today)) == count


def test_churn_risk_explains_the_usual_gap() -> None:
    [invitation] = evaluate("2025-04-10")
    assert invitation.dedup_key == "churn_risk:TMBJJ7NE8L0123456:2024-10-01"
    assert invitation.window_expires == day("2025-12-31")
    assert invitation.explanation.render() == (
        "3 visits, usually 122 days apart; no visit since 1 Oct 2024, more than 182 days"
    )


def test_fewer_than_three_visits_never_trigger_churn_risk() -> None:
    assert evaluate("2025-06-01", repair_orders=REGULAR[:2]) == []


def test_visits_on_the_customers_other_vehicles_count() -> None:
    # Two visits of this car plus one of another car of the same customer.
    found = evaluate("2025-04-10", repair_orders=REGULAR[:2], visit_dates=("2024-10-01",))
    assert len(found) == 1


def test_churn_risk_is_not_raised_once_the_vehicle_would_already_be_lapsed() -> None:
    sparse = [make_ro("2021-01-01"), make_ro("2022-01-01"), make_ro("2023-01-01")]
    # 1.5 × 365 days is after the 15-month lapse (1 Apr 2024): lapsed, not churn risk.
    assert evaluate("2024-07-05", repair_orders=sparse) == []
