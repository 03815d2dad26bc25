"""``warranty_expiry``: an end-of-warranty check before each warranty cover runs out.

Rule: for each warranty (basic, powertrain, extended) the cover ends at the earlier of its end date
(start + months) and the date the odometer reaches its km limit. The window opens
``warranty_lead_days`` (60) before that end; the due date is the end itself; the invitation expires
when cover has certainly ended (the end date, or a recorded reading at the km limit). As for
next_service, a projection alone never makes it overdue or expired: a projected km end in the past
is clamped to ``today``. Once per cover. Dedup key: ``warranty_expiry:VIN:kind:end date``.

Example: basic warranty from 1 Jun 2023 for 36 months, unlimited km, ends 1 Jun 2026; the window
opens 2 Apr 2026: "The basic warranty from 1 Jun 2023 ends 1 Jun 2026 after 36 months".
With a 100,000 km limit and a projection reaching it on 15 Mar 2026 the due date is 15 Mar 2026
(window from 14 Jan 2026): "The basic warranty ends at 100,000 km, projected at 110 km/day to be
reached 15 Mar 2026, before its time limit 1 Jun 2026".
"""

from __future__ import annotations

from datetime import date, timedelta

from invitations.dates import add_months
from invitations.model import CustomerFacts, Invitation, InvitationType, VehicleFacts
from invitations.odometer import OdometerProjection, project_odometer
from invitations.policy import DealerPolicy
from invitations.rules._base import build, visible

MESSAGE_BY_TIME = "The {kind} warranty from {start_date} ends {end_date} after {months} months"
"""Explanation msgid when the time limit ends the cover."""
MESSAGE_BY_KM = (
    "The {kind} warranty ends at {km_limit} km, projected at {rate} km/day to be reached "
    "{due_date}, before its time limit {end_date}"
)
"""Explanation msgid when the projected km limit ends the cover first."""
MESSAGE_BY_RECORDED_KM = (
    "The {kind} warranty ended at {km_limit} km, recorded {due_date}, "
    "before its time limit {end_date}"
)
"""Explanation msgid when a recorded reading reached the km limit."""
MESSAGES = (MESSAGE_BY_TIME, MESSAGE_BY_KM, MESSAGE_BY_RECORDED_KM)
"""Every explanation msgid of this rule."""


def evaluate(
    vehicle: VehicleFacts,
    *,
    customer: CustomerFacts | None,
    today: date,
    policy: DealerPolicy,
    projection: OdometerProjection | None = None,
) -> list[Invitation]:
    """One invitation per warranty whose end-of-cover window has opened."""
    result: list[Invitation] = []
    for warranty in vehicle.warranties:
        end_date = add_months(warranty.start_date, warranty.months)
        recorded = projected = None
        if warranty.km_limit is not None:
            if projection is None:
                projection = project_odometer(vehicle, today=today, policy=policy)
            recorded = projection.recorded_date_reaching(warranty.km_limit)
            projected = projection.projected_date_reaching(warranty.km_limit)
        confidence = None
        params: dict[str, date | int | float | str]
        if warranty.km_limit is not None and recorded is not None and recorded < end_date:
            due = opens_at = expires = recorded
            message = MESSAGE_BY_RECORDED_KM
            params = {"km_limit": warranty.km_limit, "due_date": due}
        elif (
            warranty.km_limit is not None
            and projection is not None
            and recorded is None
            and projected is not None
            and projected < end_date
        ):
            # A projected end in the past is "now", never overdue or expired.
            due, opens_at, expires = min(max(projected, today), end_date), projected, end_date
            message = MESSAGE_BY_KM
            params = {
                "km_limit": warranty.km_limit,
                "rate": projection.rate_km_per_day,
                "due_date": due,
            }
            confidence = projection.confidence
        else:
            due = opens_at = expires = end_date
            message = MESSAGE_BY_TIME
            params = {"start_date": warranty.start_date, "months": warranty.months}
        params |= {"kind": warranty.kind.value, "end_date": end_date}
        opens = opens_at - timedelta(days=policy.warranty_lead_days)
        if not visible(opens=opens, expires=expires, today=today, policy=policy):
            continue
        result.append(
            build(
                vehicle,
                customer,
                kind=InvitationType.WARRANTY_EXPIRY,
                key=(warranty.kind.value, end_date.isoformat()),
                due=due,
                opens=opens,
                expires=expires,
                today=today,
                policy=policy,
                message=message,
                params=params,
                confidence=confidence,
            )
        )
    return result
