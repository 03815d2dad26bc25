"""Helpers shared by the rule modules: building an invitation and the visibility test."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from invitations.contact import priority
from invitations.model import (
    Confidence,
    CustomerFacts,
    Explanation,
    ExplanationParam,
    Invitation,
    InvitationType,
    ValueSegment,
    VehicleFacts,
)
from invitations.policy import DealerPolicy


def visible(*, opens: date, expires: date, today: date, policy: DealerPolicy) -> bool:
    """An invitation is reported from its opening until ``expired_lookback_days`` after expiry.

    Past its expiry it is reported as suppressed (``expired``), so the app sees why it was never
    called; after the lookback it is no longer reported at all.
    """
    return opens <= today <= expires + timedelta(days=policy.expired_lookback_days)


def build(
    vehicle: VehicleFacts,
    customer: CustomerFacts | None,
    *,
    kind: InvitationType,
    key: tuple[str, ...],
    due: date,
    opens: date,
    expires: date,
    today: date,
    policy: DealerPolicy,
    message: str,
    params: Mapping[str, ExplanationParam],
    confidence: Confidence | None = None,
) -> Invitation:
    """An invitation with status ``due``, its dedup key ``type:VIN:key...`` and its priority."""
    segment = customer.segment if customer is not None else ValueSegment.STANDARD
    return Invitation(
        vin=vehicle.vin,
        customer_id=vehicle.customer_id,
        type=kind,
        dedup_key=":".join((kind.value, vehicle.vin, *key)),
        due_date=due,
        window_opens=min(opens, due),
        window_expires=max(expires, due),
        priority=priority(
            kind,
            segment=segment,
            overdue_days=(today - due).days,
            urgency_cap=policy.urgency_cap,
        ),
        explanation=Explanation(message=message, params=params),
        confidence=confidence,
    )


def last_visit(vehicle: VehicleFacts, today: date) -> date | None:
    """The vehicle's latest repair order up to ``today`` (any kind), else its delivery date."""
    visits = [ro.date for ro in vehicle.repair_orders if ro.date <= today]
    if visits:
        return max(visits)
    if vehicle.delivery_date is not None and vehicle.delivery_date <= today:
        return vehicle.delivery_date
    return None
