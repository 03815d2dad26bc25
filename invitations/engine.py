"""The engine's entry point: every invitation due for a set of vehicles on one date.

``due_invitations`` runs every rule for every vehicle, then applies the contact policy (suppression
with a reason, control group) to each invitation. It is a pure function of its arguments: the same
facts and date always give the same list, in the same order (VIN, then type order, then dedup key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from invitations.contact import assess
from invitations.model import CustomerFacts, Invitation, InvitationType, VehicleFacts
from invitations.odometer import project_odometer
from invitations.policy import DealerPolicy
from invitations.rules import (
    churn_risk,
    first_service,
    lapsed,
    next_service,
    no_show,
    recall,
    seasonal,
    warranty_expiry,
)

__all__ = ["EXPLANATION_MESSAGES", "due_invitations", "evaluate_vehicle"]

EXPLANATION_MESSAGES: tuple[str, ...] = (
    *recall.MESSAGES,
    *warranty_expiry.MESSAGES,
    *first_service.MESSAGES,
    *no_show.MESSAGES,
    *next_service.MESSAGES,
    *churn_risk.MESSAGES,
    *lapsed.MESSAGES,
    *seasonal.MESSAGES,
)
"""Every explanation msgid the engine can produce, for the app's translation catalogue."""

_TYPE_ORDER = {kind: index for index, kind in enumerate(InvitationType)}


def evaluate_vehicle(
    vehicle: VehicleFacts,
    *,
    customer: CustomerFacts | None,
    today: date,
    policy: DealerPolicy,
) -> list[Invitation]:
    """Every invitation of one vehicle on ``today``, with status decided, in deterministic order.

    ``customer`` is the vehicle's current owner (``None`` when it has none: every invitation is then
    suppressed with ``no_customer``).
    """
    if customer is not None and customer.id != vehicle.customer_id:
        raise ValueError(
            f"vehicle {vehicle.vin} belongs to {vehicle.customer_id}, not {customer.id}"
        )
    projection = project_odometer(vehicle, today=today, policy=policy)
    found: list[Invitation] = []
    found += recall.evaluate(vehicle, customer=customer, today=today, policy=policy)
    found += warranty_expiry.evaluate(
        vehicle, customer=customer, today=today, policy=policy, projection=projection
    )
    found += first_service.evaluate(vehicle, customer=customer, today=today, policy=policy)
    found += no_show.evaluate(vehicle, customer=customer, today=today, policy=policy)
    found += next_service.evaluate(
        vehicle, customer=customer, today=today, policy=policy, projection=projection
    )
    found += churn_risk.evaluate(vehicle, customer=customer, today=today, policy=policy)
    found += lapsed.evaluate(vehicle, customer=customer, today=today, policy=policy)
    found += seasonal.evaluate(vehicle, customer=customer, today=today, policy=policy)
    unique = {inv.dedup_key: inv for inv in reversed(found)}  # the first of equal keys wins
    ordered = sorted(unique.values(), key=lambda inv: (_TYPE_ORDER[inv.type], inv.dedup_key))
    return [
        assess(inv, vehicle=vehicle, customer=customer, today=today, policy=policy)
        for inv in ordered
    ]


def due_invitations(
    vehicles: Iterable[VehicleFacts],
    *,
    customers: Mapping[str, CustomerFacts],
    today: date,
    policy: DealerPolicy,
) -> list[Invitation]:
    """Every invitation of ``vehicles`` on ``today``: due, suppressed (with reason) or control.

    ``customers`` maps customer id to facts and must hold every vehicle's ``customer_id``.
    Ordered by VIN, then type (recall first), then dedup key. Vehicles can be passed in chunks: the
    result for
    a vehicle does not depend on the other vehicles.
    """
    result: list[Invitation] = []
    seen: set[str] = set()
    for vehicle in sorted(vehicles, key=lambda v: v.vin):
        if vehicle.vin in seen:
            raise ValueError(f"vehicle {vehicle.vin} is given twice")
        seen.add(vehicle.vin)
        customer = None
        if vehicle.customer_id is not None:
            customer = customers.get(vehicle.customer_id)
            if customer is None:
                raise ValueError(
                    f"customer {vehicle.customer_id} of vehicle {vehicle.vin} is not in customers"
                )
        result += evaluate_vehicle(vehicle, customer=customer, today=today, policy=policy)
    return result
