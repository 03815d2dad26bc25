"""The dealer's rule settings (``DealerPolicy``) and its service-plan catalogue.

Every default of DESIGN §3 is a field of :class:`DealerPolicy` named as the setting a dealer's
``settings`` object uses to override it. :data:`POLICY_SETTING_NAMES` is the set of those names;
:meth:`DealerPolicy.from_settings` rejects any other name, so the import API can validate a dealer's
settings by calling it.

Service plans are matched by (make, model, fuel), case-insensitively, with ``*`` as a wildcard; the
most specific plan wins (make counts more than model, model more than fuel). Without any matching
plan the generic 12 months / 15,000 km plan applies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from invitations.seasons import DEFAULT_SEASONAL_CAMPAIGNS, SeasonalCampaign, merge_campaigns

__all__ = [
    "DEFAULT_SERVICE_PLAN",
    "POLICY_SETTING_NAMES",
    "WILDCARD",
    "DealerPolicy",
    "ServicePlan",
    "match_service_plan",
]

WILDCARD = "*"
"""Matches any make, model or fuel in a service plan."""


def _check_int(name: str, value: object, *, minimum: int = 0, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and <= {maximum}"
        raise ValueError(f"{name} must be >= {minimum}{upper}, not {value}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ServicePlan:
    """Service intervals for vehicles matching (make, model, fuel); ``*`` matches anything.

    ``first_service_days`` overrides the policy's ``first_service_days`` for these vehicles.
    """

    make: str = WILDCARD
    model: str = WILDCARD
    fuel: str = WILDCARD
    interval_months: int = 12
    interval_km: int = 15_000
    first_service_days: int | None = None

    def __post_init__(self) -> None:
        for name in ("make", "model", "fuel"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"service plan {name} must be a non-empty string or '*'")
            object.__setattr__(self, name, value.strip().casefold())
        _check_int("interval_months", self.interval_months, minimum=1)
        _check_int("interval_km", self.interval_km, minimum=1)
        if self.first_service_days is not None:
            _check_int("first_service_days", self.first_service_days, minimum=0)

    @property
    def specificity(self) -> tuple[bool, bool, bool]:
        """Sort key: which of make, model, fuel are given (not wildcards)."""
        return (self.make != WILDCARD, self.model != WILDCARD, self.fuel != WILDCARD)

    def matches(self, make: str, model: str, fuel: str) -> bool:
        """True when every non-wildcard field equals the vehicle's (case-insensitively)."""
        return all(
            mine in (WILDCARD, theirs.strip().casefold())
            for mine, theirs in ((self.make, make), (self.model, model), (self.fuel, fuel))
        )


DEFAULT_SERVICE_PLAN = ServicePlan()
"""The generic fallback plan: every 12 months or 15,000 km."""


def match_service_plan(
    plans: Iterable[ServicePlan], *, make: str, model: str, fuel: str
) -> ServicePlan:
    """The most specific plan matching the vehicle, else :data:`DEFAULT_SERVICE_PLAN`.

    >>> plans = [ServicePlan(make="Skoda", interval_km=30_000),
    ...          ServicePlan(make="skoda", model="Octavia", fuel="diesel", interval_km=40_000)]
    >>> match_service_plan(plans, make="SKODA", model="octavia", fuel="Diesel").interval_km
    40000
    """
    best: ServicePlan | None = None
    for plan in plans:
        if plan.matches(make, model, fuel) and (
            best is None or plan.specificity > best.specificity
        ):
            best = plan
    return best or DEFAULT_SERVICE_PLAN


@dataclass(frozen=True, slots=True, kw_only=True)
class DealerPolicy:
    """One dealer's rule settings, with the defaults of DESIGN §3 (see ``docs/rules.md``).

    ``country`` (ISO 3166 alpha-2, or ``None``) selects public holidays, seasonal campaigns and the
    default annual mileage. ``default_km_per_day`` overrides that country default.
    """

    country: str | None = None
    # first_service
    first_service_days: int = 30
    first_service_open_days: int = 7
    first_service_expiry_days: int = 60
    # next_service
    lead_days: int = 30
    lead_km: int = 1_500
    next_service_grace_days: int = 90
    # warranty_expiry
    warranty_lead_days: int = 60
    # lapsed
    lapsed_months: int = 12
    lapsed_plan_margin_months: int = 3
    lost_after_months: int = 18
    defected_after_months: int = 24
    defected_window_months: int = 12
    max_vehicle_age_years: int = 15
    # recall
    recall_repeat_days: int = 30
    recall_max_repeats: int = 3
    # seasonal
    seasonal_recent_visit_months: int = 24
    # churn_risk
    churn_min_visits: int = 3
    churn_gap_factor: float = 1.5
    # no_show
    no_show_expiry_days: int = 14
    # odometer projection
    default_km_per_day: float | None = None
    # contact policy
    min_days_between_contacts: int = 60
    unreachable_cooldown_days: int = 30
    appointment_horizon_days: int = 60
    recent_visit_days: int = 30
    holdout_pct: float = 5
    urgency_cap: int = 10
    expired_lookback_days: int = 30
    # catalogue data (not settings)
    service_plans: tuple[ServicePlan, ...] = ()
    seasonal_campaigns: tuple[SeasonalCampaign, ...] = field(default=DEFAULT_SEASONAL_CAMPAIGNS)
    # Memo of derived values (plan per make/model/fuel, the country's campaigns): a nightly run
    # asks the same few questions of one policy for every vehicle. Not a setting, not compared.
    _memo: dict[object, object] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if self.country is not None:
            if not isinstance(self.country, str) or len(self.country.strip()) != 2:
                raise ValueError(f"country must be an ISO 3166 alpha-2 code, not {self.country!r}")
            object.__setattr__(self, "country", self.country.strip().upper())
        for name in _INT_SETTINGS:
            _check_int(name, getattr(self, name))
        _check_int("recall_max_repeats", self.recall_max_repeats, minimum=1)
        _check_int("recall_repeat_days", self.recall_repeat_days, minimum=1)
        _check_int("churn_min_visits", self.churn_min_visits, minimum=3)
        _check_int("max_vehicle_age_years", self.max_vehicle_age_years, minimum=1)
        if not self.lapsed_months <= self.lost_after_months <= self.defected_after_months:
            raise ValueError(
                "need lapsed_months <= lost_after_months <= defected_after_months, got "
                f"{self.lapsed_months}, {self.lost_after_months}, {self.defected_after_months}"
            )
        _check_number("churn_gap_factor", self.churn_gap_factor, minimum=1.0, maximum=100.0)
        _check_number("holdout_pct", self.holdout_pct, minimum=0.0, maximum=50.0)
        if self.default_km_per_day is not None:
            _check_number("default_km_per_day", self.default_km_per_day, minimum=0.5, maximum=300.0)
        object.__setattr__(self, "service_plans", tuple(self.service_plans))
        object.__setattr__(self, "seasonal_campaigns", tuple(self.seasonal_campaigns))
        keys = [(p.make, p.model, p.fuel) for p in self.service_plans]
        if len(keys) != len(set(keys)):
            raise ValueError("two service plans have the same make, model and fuel")
        codes = [c.code for c in self.seasonal_campaigns]
        if len(codes) != len(set(codes)):
            raise ValueError("two seasonal campaigns have the same code")

    def service_plan_for(self, *, make: str, model: str, fuel: str) -> ServicePlan:
        """The most specific matching plan of the catalogue (or the generic default)."""
        key = (make, model, fuel)
        plan = self._memo.get(key)
        if plan is None:
            plan = match_service_plan(self.service_plans, make=make, model=model, fuel=fuel)
            self._memo[key] = plan
        assert isinstance(plan, ServicePlan)
        return plan

    def campaigns(self) -> tuple[SeasonalCampaign, ...]:
        """The enabled seasonal campaigns for this dealer's country (and every country)."""
        found = self._memo.get("campaigns")
        if found is None:
            found = tuple(c for c in self.seasonal_campaigns if c.applies_to(self.country))
            self._memo["campaigns"] = found
        assert isinstance(found, tuple)
        return found

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        country: str | None = None,
        service_plans: Iterable[ServicePlan] = (),
        seasonal_campaigns: Iterable[SeasonalCampaign] = (),
    ) -> DealerPolicy:
        """Build a policy from a dealer's ``settings`` object plus its catalogue data.

        ``settings`` maps setting names (:data:`POLICY_SETTING_NAMES`) to values; an unknown name or
        a value of the wrong type raises ``ValueError`` naming it. ``seasonal_campaigns`` are merged
        over the built-in ones by code (see :func:`invitations.seasons.merge_campaigns`).

        >>> DealerPolicy.from_settings({"lead_days": 21}, country="cz").lead_days
        21
        >>> DealerPolicy.from_settings({"lead_dayz": 21})
        Traceback (most recent call last):
        ...
        ValueError: unknown setting(s): lead_dayz
        """
        if not isinstance(settings, Mapping):
            raise ValueError("settings must be an object mapping setting names to values")
        unknown = sorted(str(name) for name in settings if name not in POLICY_SETTING_NAMES)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, value in settings.items():
            if name in _FLOAT_SETTINGS:
                if value is not None or name != "default_km_per_day":
                    _check_number(name, value)
                values[name] = None if value is None else float(value)
            else:
                _check_int(name, value, minimum=-(2**31))
                values[name] = value
        return cls(
            country=country,
            service_plans=tuple(service_plans),
            seasonal_campaigns=merge_campaigns(DEFAULT_SEASONAL_CAMPAIGNS, seasonal_campaigns),
            **values,
        )


def _check_number(
    name: str, value: object, *, minimum: float | None = None, maximum: float | None = None
) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, not {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be between {minimum} and {maximum}, not {value}")


_NOT_SETTINGS = frozenset({"country", "service_plans", "seasonal_campaigns", "_memo"})
_FLOAT_SETTINGS = frozenset({"churn_gap_factor", "holdout_pct", "default_km_per_day"})

POLICY_SETTING_NAMES: frozenset[str] = frozenset(
    f.name for f in dataclasses.fields(DealerPolicy) if f.name not in _NOT_SETTINGS
)
"""Every name a dealer's ``settings`` object may use (DESIGN §3 defaults)."""

_INT_SETTINGS = tuple(sorted(POLICY_SETTING_NAMES - _FLOAT_SETTINGS))
