"""``next_service``: routine maintenance, by time or distance, whichever comes first.

Rule: the *base* is the last repair order with a ``maintenance`` or ``inspection`` line (its date
and odometer in; an unknown odometer is estimated), else the delivery date and delivery odometer.
With the matching service plan's ``interval_months`` and ``interval_km``:

* ``time due`` = base date + interval months (calendar months, clamped at month end);
* ``km due`` = the date the odometer reaches base km + interval km: the first *recorded* reading at
  or above it if there is one, else the *projected* date (:mod:`invitations.odometer`);
* the due date is the earlier of the two; ``by`` says which ("time" or "km").

The window opens ``lead_days`` (30) before the due date, or when the odometer (recorded or
projected) is within ``lead_km`` (1,500 km) of the km due, whichever is earlier. It expires
``next_service_grace_days`` (90) after the due date.

**Projections never make anything overdue** (DESIGN §3, domain standards §3.3). Interpretation:

* a projected km due date in the past is clamped to ``today`` — the invitation is due *now* and
  may open early, but is never reported overdue (so no urgency points) on a projection alone;
* the expiry is counted from the *recorded* due date (time due, or the date a recorded reading
  reached the km due), never from a projected one, so a projection can never expire an invitation
  either;
* only the calendar or a recorded odometer reading can put the due date in the past.

After a recorded odometer replacement, a base from before the replacement is time-only.
Dedup key: ``next_service:VIN:base date:base km`` (the *recorded* base km, empty when unknown),
so it stays stable while the base does not change, whatever the projection does.

Example: last service 10 Dec 2025 at 27,000 km, plan 12 months / 15,000 km, projected 41 km/day
from recent readings. At that rate the odometer reaches 42,000 km only after 10 Dec 2026, so
time wins: due 10 Dec 2026, window 10 Nov 2026 – 10 Mar 2027: "Last service 10 Dec 2025 at 27,000
km; interval
12 months or 15,000 km; projected 41 km/day, so due 10 Dec 2026 by time".
"""

from __future__ import annotations

from datetime import date, timedelta

from invitations.dates import add_months
from invitations.model import CustomerFacts, Invitation, InvitationType, VehicleFacts
from invitations.odometer import OdometerProjection, project_odometer
from invitations.policy import DealerPolicy
from invitations.rules._base import build, visible

MESSAGE = (
    "Last service {last_date} at {last_km} km; interval {months} months or {km} km; "
    "projected {rate} km/day, so due {due_date} by {by}"
)
"""Explanation msgid after a recorded service."""
MESSAGE_FROM_DELIVERY = (
    "Delivered {last_date} at {last_km} km, no service since; interval {months} months or {km} km; "
    "projected {rate} km/day, so due {due_date} by {by}"
)
"""Explanation msgid when the base is the delivery."""
MESSAGE_TIME_ONLY = "Last service {last_date}; interval {months} months, so due {due_date} by time"
"""Explanation msgid when no odometer is known for the base."""
MESSAGES = (MESSAGE, MESSAGE_FROM_DELIVERY, MESSAGE_TIME_ONLY)
"""Every explanation msgid of this rule."""


def evaluate(
    vehicle: VehicleFacts,
    *,
    customer: CustomerFacts | None,
    today: date,
    policy: DealerPolicy,
    projection: OdometerProjection | None = None,
) -> list[Invitation]:
    """The next-service invitation for the current base, if its window has opened."""
    services = [ro for ro in vehicle.repair_orders if ro.is_service and ro.date <= today]
    from_delivery = not services
    if services:
        base_date, base_km = services[-1].date, services[-1].odometer_in
    elif vehicle.delivery_date is not None and vehicle.delivery_date <= today:
        base_date, base_km = vehicle.delivery_date, vehicle.delivery_odometer_km
    else:
        return []

    if projection is None:
        projection = project_odometer(vehicle, today=today, policy=policy)
    plan = policy.service_plan_for(make=vehicle.make, model=vehicle.model, fuel=vehicle.fuel)
    time_due = add_months(base_date, plan.interval_months)
    key_km = "" if base_km is None else str(base_km)
    if base_km is None:
        base_km = projection.estimated_km(base_date)
    if projection.replaced_on is not None and base_date < projection.replaced_on:
        base_km = None  # the km base was on the old odometer

    opens = time_due - timedelta(days=policy.lead_days)
    due, by, recorded_due = time_due, "time", time_due
    if base_km is not None and projection.anchor is not None:
        due_km = base_km + plan.interval_km
        recorded = projection.recorded_date_reaching(due_km, after=base_date)
        if recorded is not None:
            km_due = recorded
            recorded_due = min(time_due, recorded)
        else:
            projected = projection.projected_date_reaching(due_km)
            assert projected is not None  # there is an anchor
            km_due = max(projected, today)
        if km_due < due:
            due, by = km_due, "km"
        lead_point = projection.date_reaching(max(due_km - policy.lead_km, 0), after=base_date)
        if lead_point is not None:
            opens = min(opens, lead_point)
    expires = recorded_due + timedelta(days=policy.next_service_grace_days)

    if not visible(opens=opens, expires=expires, today=today, policy=policy):
        return []
    if base_km is None or projection.anchor is None:
        message = MESSAGE_TIME_ONLY
        params: dict[str, date | int | float | str] = {
            "last_date": base_date,
            "months": plan.interval_months,
            "due_date": due,
        }
        confidence = None
    else:
        message = MESSAGE_FROM_DELIVERY if from_delivery else MESSAGE
        params = {
            "last_date": base_date,
            "last_km": base_km,
            "months": plan.interval_months,
            "km": plan.interval_km,
            "rate": projection.rate_km_per_day,
            "due_date": due,
            "by": by,
        }
        confidence = projection.confidence
    return [
        build(
            vehicle,
            customer,
            kind=InvitationType.NEXT_SERVICE,
            key=(base_date.isoformat(), key_km),
            due=due,
            opens=opens,
            expires=expires,
            today=today,
            policy=policy,
            message=message,
            params=params,
            confidence=confidence,
        )
    ]
