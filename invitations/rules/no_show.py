"""``no_show``: rebook a missed appointment.

Rule: every appointment marked ``no_show`` is due on the next working day after it (not a weekend
or a public holiday of the dealer's country, from the ``holidays`` package) and expires
``no_show_expiry_days`` (14) later. A new booking in the next 60 days suppresses it (contact
policy).
Dedup key: ``no_show:VIN:appointment id``.

Example: a CZ customer missed the appointment on Wednesday 24 Dec 2025; 25 and 26 Dec are public
holidays and 27–28 Dec a weekend, so the call is due Monday 29 Dec 2025 and expires 12 Jan 2026:
"Missed the appointment on 24 Dec 2025; rebook from 29 Dec 2025".
"""

from __future__ import annotations

from datetime import date, timedelta

from invitations.dates import next_working_day
from invitations.model import (
    AppointmentStatus,
    CustomerFacts,
    Invitation,
    InvitationType,
    VehicleFacts,
)
from invitations.policy import DealerPolicy
from invitations.rules._base import build, visible

MESSAGE = "Missed the appointment on {appointment_date}; rebook from {due_date}"
"""Explanation msgid."""
MESSAGES = (MESSAGE,)
"""Every explanation msgid of this rule."""


def evaluate(
    vehicle: VehicleFacts, *, customer: CustomerFacts | None, today: date, policy: DealerPolicy
) -> list[Invitation]:
    """One rebooking invitation per missed appointment whose window has opened."""
    result: list[Invitation] = []
    for appointment in vehicle.appointments:
        if appointment.status is not AppointmentStatus.NO_SHOW or appointment.date > today:
            continue
        due = next_working_day(appointment.date, policy.country)
        expires = due + timedelta(days=policy.no_show_expiry_days)
        if not visible(opens=due, expires=expires, today=today, policy=policy):
            continue
        result.append(
            build(
                vehicle,
                customer,
                kind=InvitationType.NO_SHOW,
                key=(appointment.id,),
                due=due,
                opens=due,
                expires=expires,
                today=today,
                policy=policy,
                message=MESSAGE,
                params={"appointment_date": appointment.date, "due_date": due},
            )
        )
    return result
