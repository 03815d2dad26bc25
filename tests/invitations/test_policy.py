from pathlib import Path

import pytest

from invitations import (
    DEFAULT_SEASONAL_CAMPAIGNS,
    DEFAULT_SERVICE_PLAN,
    POLICY_SETTING_NAMES,
    CampaignKind,
    DealerPolicy,
    SeasonalCampaign,
    ServicePlan,
    match_service_plan,
)

DESIGN_DEFAULTS = {
    "first_service_days": 30,
    "lead_days": 30,
    "lead_km": 1_500,
    "next_service_grace_days": 90,
    "warranty_lead_days": 60,
    "lapsed_months": 12,
    "max_vehicle_age_years": 15,
    "min_days_between_contacts": 60,
    "unreachable_cooldown_days": 30,
    "holdout_pct": 5,
    "recall_repeat_days": 30,
    "recall_max_repeats": 3,
}


@pytest.mark.parametrize(("name", "default"), sorted(DESIGN_DEFAULTS.items()))
def test_every_design_default_is_a_setting_with_that_default(name: str, default: int) -> None:
    assert name in POLICY_SETTING_NAMES
    assert getattr(DealerPolicy(), name) == default


def test_catalogue_data_is_not_a_setting() -> None:
    assert {"country", "service_plans", "seasonal_campaigns"}.isdisjoint(POLICY_SETTING_NAMES)


def test_from_settings_overrides_defaults() -> None:
    policy = DealerPolicy.from_settings(
        {"lead_days": 21, "holdout_pct": 2.5, "default_km_per_day": 30}, country="de"
    )
    assert (policy.lead_days, policy.holdout_pct, policy.default_km_per_day) == (21, 2.5, 30.0)
    assert policy.country == "DE"
    assert policy.lead_km == 1_500


def test_from_settings_rejects_unknown_names_naming_them() -> None:
    with pytest.raises(ValueError, match="unknown setting\\(s\\): lead_dayz, zzz"):
        DealerPolicy.from_settings({"zzz": 1, "lead_dayz": 1, "lead_days": 2})


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"lead_days": "30"}, "lead_days must be an integer"),
        ({"lead_days": True}, "lead_days must be an integer"),
        ({"lead_days": 2.5}, "lead_days must be an integer"),
        ({"lead_days": -1}, "lead_days must be >= 0"),
        ({"holdout_pct": 60}, "holdout_pct must be between"),
        ({"recall_max_repeats": 0}, "recall_max_repeats must be >= 1"),
        ({"lapsed_months": 30}, "lapsed_months <= lost_after_months"),
    ],
)
def test_from_settings_rejects_bad_values(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DealerPolicy.from_settings(settings)


def test_from_settings_merges_campaigns_over_the_defaults_by_code() -> None:
    disabled_ac = SeasonalCampaign(
        code="ac_check",
        kind="ac_check",
        country="*",
        start_month=4,
        start_day=15,
        end_month=6,
        end_day=15,
        enabled=False,
    )
    winter = SeasonalCampaign(
        code="cz_winter_check",
        kind=CampaignKind.WINTER_CHECK,
        country="cz",
        start_month=10,
        start_day=15,
        end_month=11,
        end_day=30,
    )
    policy = DealerPolicy.from_settings({}, country="CZ", seasonal_campaigns=[disabled_ac, winter])
    assert [c.code for c in policy.campaigns()] == [
        "cz_autumn_tyres",
        "cz_spring_tyres",
        "cz_winter_check",
    ]
    assert len(policy.seasonal_campaigns) == len(DEFAULT_SEASONAL_CAMPAIGNS) + 1


PLANS = (
    ServicePlan(interval_months=24),
    ServicePlan(make="Skoda", interval_months=12),
    ServicePlan(make="skoda", model="Octavia", interval_months=18),
    ServicePlan(make="SKODA", model="octavia", fuel="diesel", interval_months=6),
    ServicePlan(make="skoda", fuel="cng", interval_months=9),
)


@pytest.mark.parametrize(
    ("make", "model", "fuel", "months"),
    [
        ("Skoda", "Octavia", "Diesel", 6),  # exact beats make+model+*
        ("Skoda", "Octavia", "petrol", 18),  # make+model+* beats make+*+*
        ("Skoda", "Fabia", "petrol", 12),  # make+*+* beats *+*+*
        ("Skoda", "Fabia", "cng", 9),  # make+*+fuel beats make+*+*
        ("Skoda", "Octavia", "cng", 18),  # the model is more specific than the fuel
        ("Kia", "Ceed", "petrol", 24),  # *+*+*
    ],
)
def test_the_most_specific_service_plan_wins(make: str, model: str, fuel: str, months: int) -> None:
    plan = match_service_plan(PLANS, make=make, model=model, fuel=fuel)
    assert plan.interval_months == months


def test_without_a_matching_plan_the_generic_default_applies() -> None:
    plan = match_service_plan([ServicePlan(make="kia")], make="Skoda", model="x", fuel="y")
    assert plan == DEFAULT_SERVICE_PLAN
    assert (plan.interval_months, plan.interval_km) == (12, 15_000)


def test_duplicate_service_plans_are_rejected() -> None:
    with pytest.raises(ValueError, match="same make, model and fuel"):
        DealerPolicy(service_plans=(ServicePlan(make="Kia"), ServicePlan(make="kia")))


@pytest.mark.parametrize(
    "overrides",
    [{"start_month": 13}, {"end_day": 32}, {"kind": "car_wash"}, {"country": ""}],
)
def test_invalid_campaigns_are_rejected(overrides: dict[str, object]) -> None:
    values: dict[str, object] = {
        "code": "x",
        "kind": "ac_check",
        "country": "CZ",
        "start_month": 4,
        "start_day": 1,
        "end_month": 5,
        "end_day": 1,
    }
    with pytest.raises(ValueError, match="campaign x"):
        SeasonalCampaign(**(values | overrides))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("year", "start"),
    [(2025, "2025-04-21"), (2026, "2026-04-06"), (2024, "2024-04-01"), (2027, "2027-03-29")],
)
def test_german_spring_tyres_start_on_easter_monday(year: int, start: str) -> None:
    [spring] = [c for c in DEFAULT_SEASONAL_CAMPAIGNS if c.code == "de_spring_tyres"]
    assert spring.window(year)[0].isoformat() == start


def test_docs_list_every_setting() -> None:
    rules_md = (Path(__file__).parents[2] / "docs" / "rules.md").read_text()
    missing = sorted(name for name in POLICY_SETTING_NAMES if f"| `{name}` |" not in rules_md)
    assert missing == []
