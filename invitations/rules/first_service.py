"""``first_service``: the free first check of a car the dealer sold.

Rule: a vehicle with ``sold_by_dealer`` and a delivery date is due ``first_service_days`` (30; a
matching service plan's ``first_service_days`` wins) after delivery. The window opens
``first_service_open_days`` (7) before and expires ``first_service_expiry_days`` (60) after the due
date. Any repair order since delivery means the customer already came back: no invitation.
Dedup key: ``first_service:VIN:delivery date``.

Example: delivered 10 Mar 2025 → due 9 Apr 2025, window 2 Apr – 8 Jun 2025. On 5 Apr 2025
the invitation is open: "Delivered 10 Mar 2025; free first check 30 days after delivery, due 9 Apr
2025".
"""

from __future__ import annotations

from datetime import date, timedelta

from invitations.model import CustomerFacts, Invitation, InvitationType, VehicleFacts
from invitations.policy import DealerPolicy
from invitations.rules._base import build, visible

MESSAGE = "Delivered {delivery_date}; free first check {days} days after delivery, due {due_date}"
"""Explanation msgid."""
MESSAGES = (MESSAGE,)
"""Every explanation msgid of this rule."""


def evaluate(
    vehicle: VehicleFacts, *, customer: CustomerFacts | None, today: date, policy: DealerPolicy
) -> list[Invitation]:
    """The first-service invitation, if its window has opened and no visit happened yet."""
    delivered = vehicle.delivery_date
    if not vehicle.sold_by_dealer or delivered is None:
        return []
    if any(delivered <= ro.date <= today for ro in vehicle.repair_orders):
        return []
    plan = policy.service_plan_for(make=vehicle.make, model=vehicle.model, fuel=vehicle.fuel)
    days = (
        plan.first_service_days
        if plan.first_service_days is not None
        else policy.first_service_days
    )
    due = delivered + timedelta(days=days)
    opens = due - timedelta(days=policy.first_service_open_days)
    expires = due + timedelta(days=policy.first_service_expiry_days)
    if not visible(opens=opens, expires=expires, today=today, policy=policy):
        return []
    return [
        build(
            vehicle,
            customer,
            kind=InvitationType.FIRST_SERVICE,
            key=(delivered.isoformat(),),
            due=due,
            opens=opens,
            expires=expires,
            today=today,
            policy=policy,
            message=MESSAGE,
            params={"delivery_date": delivered, "days": days, "due_date": due},
        )
    ]
