import pytest

from invitations import Invitation, ServicePlan
from invitations.rules import lapsed
from invitations.rules.lapsed import LapsedTier
from tests.invitations.builders import day, make_customer, make_policy, make_ro, make_vehicle

LAST = [make_ro("2024-01-15", km=30_000, kind="repair")]


def evaluate(today: str, *, policy: object = None, **vehicle: object) -> list[Invitation]:
    values = {"repair_orders": LAST, **vehicle}
    return lapsed.evaluate(
        make_vehicle(**values),
        customer=make_customer(),
        today=day(today),
        policy=policy or make_policy(),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("today", "tier", "opens", "expires"),
    [
        ("2025-01-15", None, None, None),  # 12 months: not yet (plan 12 + 3 months)
        ("2025-04-14", None, None, None),
        ("2025-04-15", "recently_lost", "2025-04-15", "2025-07-14"),
        ("2025-07-14", "recently_lost", "2025-04-15", "2025-07-14"),
        ("2025-07-15", "lost", "2025-07-15", "2026-01-14"),
        ("2026-01-15", "defected", "2026-01-15", "2027-01-14"),
        ("2027-02-13", "defected", "2026-01-15", "2027-01-14"),  # expired, in lookback
        ("2027-02-14", None, None, None),
    ],
)
def test_lapsed_tiers_follow_the_time_since_the_last_visit(
    today: str, tier: str | None, opens: str | None, expires: str | None
) -> None:
    found = evaluate(today)
    if tier is None:
        assert found == []
        return
    [invitation] = found
    assert invitation.dedup_key == f"lapsed:TMBJJ7NE8L0123456:2024-01-15:{tier}"
    assert (invitation.window_opens, invitation.window_expires) == (day(opens), day(expires))
    assert invitation.due_date == invitation.window_opens


def test_lapsed_explains_the_last_visit_and_tier() -> None:
    [invitation] = evaluate("2025-06-01")
    assert invitation.explanation.render() == (
        "No visit since 15 Jan 2024; lapsed after 15 months without a visit, now recently lost"
    )


def test_a_long_service_interval_delays_the_lapse_and_skips_the_first_tier() -> None:
    policy = make_policy(service_plans=(ServicePlan(interval_months=24, interval_km=30_000),))
    assert evaluate("2025-07-20", policy=policy) == []
    [invitation] = evaluate("2026-04-15", policy=policy)  # 24 + 3 months
    assert invitation.dedup_key.endswith(":defected")
    assert invitation.window_opens == day("2026-04-15")


def test_without_any_visit_the_delivery_counts_as_the_last_visit() -> None:
    [invitation] = evaluate("2024-05-01", repair_orders=[])
    assert invitation.explanation.params["last_visit"] == day("2023-01-10")
    assert invitation.dedup_key.endswith(":2023-01-10:recently_lost")


def test_any_kind_of_visit_resets_the_lapse() -> None:
    visits = [*LAST, make_ro("2025-03-01", kind="tyres")]
    assert evaluate("2025-06-01", repair_orders=visits) == []


@pytest.mark.parametrize(
    ("delivered", "count"),
    [("2010-06-01", 1), ("2010-05-31", 0)],
)
def test_vehicles_older_than_the_age_limit_are_not_invited(delivered: str, count: int) -> None:
    assert len(evaluate("2025-06-01", delivery_date=day(delivered))) == count


def test_lapsed_months_setting_is_a_floor() -> None:
    policy = make_policy(lapsed_months=16)
    assert evaluate("2025-04-20", policy=policy) == []
    assert len(evaluate("2025-05-15", policy=policy)) == 1


def test_tiers_never_overlap() -> None:
    spans = lapsed.tiers(day("2024-01-31"), months=15, policy=make_policy())
    assert [tier for tier, _, _ in spans] == list(LapsedTier)
    for (_, _, end), (_, start, _) in zip(spans, spans[1:], strict=False):
        assert (start - end).days == 1
