"""``churn_risk``: a regular customer drifting away, caught before the vehicle lapses.

Rule: take the customer's visit days (all their vehicles, plus this vehicle's repair orders). With
at least ``churn_min_visits`` (3) visits, the customer is at risk once the time since the last visit
exceeds ``churn_gap_factor`` (1.5) × the median gap between their visits — as long as that happens
before the vehicle lapses (see ``lapsed``). Due on the first day past the threshold; expires the day
before the vehicle would lapse. Dedup key: ``churn_risk:VIN:last visit``.

Example: visits 1 Feb 2024, 1 Jun 2024, 1 Oct 2024 (gaps 121 and 122 days, median 121.5) → at risk
after 182.25 days, so due 2 Apr 2025 (182 days after 1 Oct 2024 is 1 Apr); it expires on
31 Dec 2025, the day before the 15-month lapse: "3 visits, usually 122 days apart; no visit
since 1 Oct 2024, more than 182 days".
"""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta

from invitations.model import CustomerFacts, Invitation, InvitationType, VehicleFacts
from invitations.policy import DealerPolicy
from invitations.rules._base import build, visible
from invitations.rules.lapsed import lapse_date

MESSAGE = (
    "{visits} visits, usually {median_days} days apart; no visit since {last_visit}, "
    "more than {threshold_days} days"
)
"""Explanation msgid."""
MESSAGES = (MESSAGE,)
"""Every explanation msgid of this rule."""


def evaluate(
    vehicle: VehicleFacts, *, customer: CustomerFacts | None, today: date, policy: DealerPolicy
) -> list[Invitation]:
    """The churn-risk invitation for the customer's current absence, if it is unusually long."""
    own = {ro.date for ro in vehicle.repair_orders}
    shared = set(customer.visit_dates) if customer is not None else set()
    visits = sorted(d for d in own | shared if d <= today)
    if len(visits) < policy.churn_min_visits:
        return []
    lapses = lapse_date(vehicle, today=today, policy=policy)
    if lapses is None:
        return []
    gaps = [(b - a).days for a, b in zip(visits, visits[1:], strict=False)]
    median = statistics.median(gaps)
    threshold = median * policy.churn_gap_factor
    last = visits[-1]
    due = last + timedelta(days=math.floor(threshold) + 1)
    expires = lapses - timedelta(days=1)
    if due > expires or not visible(opens=due, expires=expires, today=today, policy=policy):
        return []
    return [
        build(
            vehicle,
            customer,
            kind=InvitationType.CHURN_RISK,
            key=(last.isoformat(),),
            due=due,
            opens=due,
            expires=expires,
            today=today,
            policy=policy,
            message=MESSAGE,
            params={
                "visits": len(visits),
                "median_days": round(median),
                "last_visit": last,
                "threshold_days": math.floor(threshold),
            },
        )
    ]
