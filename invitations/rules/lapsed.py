"""``lapsed``: win back a vehicle that stopped coming to the workshop.

Rule: the vehicle's last visit is its latest repair order of any kind (with none, its delivery). It
*lapses* when it has had no visit for ``max(lapsed_months, plan interval months +
lapsed_plan_margin_months)`` — 12 and 3 by default, so a car is never "lost" on the day its service
falls due — as long as the vehicle is at most ``max_vehicle_age_years`` (15) old. Counted from the
last visit, the lapse is in one of three tiers, each with its own invitation:

* ``recently_lost`` from the lapse to ``lost_after_months`` (18),
* ``lost`` from there to ``defected_after_months`` (24),
* ``defected`` from there for ``defected_window_months`` (12).

A tier that starts before the lapse starts at the lapse (and one that would end before it is
skipped); only the current tier is reported. Dedup key: ``lapsed:VIN:last visit:tier``.

Example: last visit 15 Jan 2024, plan 12 months → lapsed from 15 Apr 2025 (15 months, as 12 + 3 >
12). On 1 Jun 2025 the ``recently_lost`` invitation (15 Apr – 14 Jul 2025) is due: "No visit since
15 Jan 2024; lapsed after 15 months without a visit, now recently lost". From 15 Jul 2025 the
``lost`` one replaces it, from 15 Jan 2026 ``defected``.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from invitations.dates import add_months
from invitations.model import CustomerFacts, Invitation, InvitationType, VehicleFacts
from invitations.policy import DealerPolicy
from invitations.rules._base import build, last_visit, visible

MESSAGE = "No visit since {last_visit}; lapsed after {months} months without a visit, now {tier}"
"""Explanation msgid."""
MESSAGES = (MESSAGE,)
"""Every explanation msgid of this rule."""


class LapsedTier(StrEnum):
    """How long a lapsed vehicle has been away."""

    RECENTLY_LOST = "recently_lost"
    LOST = "lost"
    DEFECTED = "defected"


def lapse_months(vehicle: VehicleFacts, policy: DealerPolicy) -> int:
    """Months without a visit after which the vehicle counts as lapsed."""
    plan = policy.service_plan_for(make=vehicle.make, model=vehicle.model, fuel=vehicle.fuel)
    return max(policy.lapsed_months, plan.interval_months + policy.lapsed_plan_margin_months)


def lapse_date(vehicle: VehicleFacts, *, today: date, policy: DealerPolicy) -> date | None:
    """The day the vehicle lapses without another visit (None: no visit and no delivery)."""
    last = last_visit(vehicle, today)
    if last is None:
        return None
    return add_months(last, lapse_months(vehicle, policy))


def tiers(last: date, *, months: int, policy: DealerPolicy) -> list[tuple[LapsedTier, date, date]]:
    """The non-empty tiers after a last visit: (tier, first day, last day)."""
    lapse = add_months(last, months)
    bounds = (
        (LapsedTier.RECENTLY_LOST, last, add_months(last, policy.lost_after_months)),
        (
            LapsedTier.LOST,
            add_months(last, policy.lost_after_months),
            add_months(last, policy.defected_after_months),
        ),
        (
            LapsedTier.DEFECTED,
            add_months(last, policy.defected_after_months),
            add_months(
                last,
                max(months, policy.defected_after_months) + policy.defected_window_months,
            ),
        ),
    )
    result = []
    for tier, start, end in bounds:
        start = max(start, lapse)
        if start < end:
            result.append((tier, start, end - timedelta(days=1)))
    return result


def evaluate(
    vehicle: VehicleFacts, *, customer: CustomerFacts | None, today: date, policy: DealerPolicy
) -> list[Invitation]:
    """The invitation of the current lapsed tier, if the vehicle has lapsed."""
    last = last_visit(vehicle, today)
    if last is None:
        return []
    if vehicle.delivery_date is not None and today > add_months(
        vehicle.delivery_date, 12 * policy.max_vehicle_age_years
    ):
        return []
    months = lapse_months(vehicle, policy)
    if today < add_months(last, months):
        return []
    current = [t for t in tiers(last, months=months, policy=policy) if t[1] <= today]
    if not current:
        return []
    tier, opens, expires = current[-1]
    if not visible(opens=opens, expires=expires, today=today, policy=policy):
        return []
    return [
        build(
            vehicle,
            customer,
            kind=InvitationType.LAPSED,
            key=(last.isoformat(), tier.value),
            due=opens,
            opens=opens,
            expires=expires,
            today=today,
            policy=policy,
            message=MESSAGE,
            params={
                "last_visit": last,
                "months": months,
                "tier": tier.value.replace("_", " "),
            },
        )
    ]
