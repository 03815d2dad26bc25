"""Contact policy (DESIGN §3.2): priority, suppression, control group, frequency caps, merging.

* **Priority** = type base + value-segment bonus + urgency, where urgency is one point per full week
  overdue, capped at ``urgency_cap`` (10). Example: a next_service 23 days overdue for a VIP is
  60 + 15 + 3 = 78.
* **Suppression** keeps the invitation with the first matching reason, in the order of
  :class:`~invitations.model.SuppressionReason`: no owner; customer erased or deceased; vehicle
  sold, scrapped, stolen or exported; ownership ended; hard do-not-call; marketing opt-out (every
  type but ``recall``); no valid phone; window expired; an appointment booked or confirmed within
  ``appointment_horizon_days`` (60); a repair order of any kind within ``recent_visit_days`` (30) —
  except for a recall, which is still open and so still needs its visit.
* **Control group**: an unsuppressed, non-recall invitation is ``control`` when
  ``sha256("customer|type|YYYY-MM")`` (month of the window opening) falls in the lowest
  ``holdout_pct`` % of buckets. All of a customer's invitations of one type opening in the same
  month share the fate, and it never changes between runs.
* **Frequency caps**: no new non-recall task for ``min_days_between_contacts`` (60) after a reached
  contact; nothing at all for ``unreachable_cooldown_days`` (30) after an unreachable task.
* **Merging**: one call task per customer with every due reason across their vehicles; a
  marketing-opted-out customer gets a recall-only task (safety notice) and nothing else.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import date, timedelta
from decimal import Decimal

from invitations.dates import add_months
from invitations.model import (
    AppointmentStatus,
    CallTaskPlan,
    ContactOutcome,
    ContactRecord,
    CustomerFacts,
    CustomerStatus,
    Invitation,
    InvitationStatus,
    InvitationType,
    RepairOrder,
    SuppressionReason,
    ValueSegment,
    VehicleFacts,
    VehicleStatus,
)
from invitations.policy import DealerPolicy

__all__ = [
    "SEGMENT_BONUS",
    "TYPE_PRIORITY",
    "assess",
    "control_bucket",
    "customer_pay_revenue",
    "customer_suppression",
    "frequency_cap",
    "in_control_group",
    "invitation_sort_key",
    "plan_call_tasks",
    "priority",
    "suppression_reason",
    "value_segments",
]

TYPE_PRIORITY: Mapping[InvitationType, int] = {
    InvitationType.RECALL: 100,
    InvitationType.WARRANTY_EXPIRY: 80,
    InvitationType.FIRST_SERVICE: 70,
    InvitationType.NO_SHOW: 65,
    InvitationType.NEXT_SERVICE: 60,
    InvitationType.CHURN_RISK: 50,
    InvitationType.LAPSED: 40,
    InvitationType.SEASONAL: 30,
}
"""Base priority per invitation type."""

SEGMENT_BONUS: Mapping[ValueSegment, int] = {
    ValueSegment.VIP: 15,
    ValueSegment.HIGH: 8,
    ValueSegment.STANDARD: 0,
    ValueSegment.LOW: -5,
}
"""Priority added for the customer's value segment."""

_TYPE_ORDER = {kind: index for index, kind in enumerate(InvitationType)}
_CONTROL_BUCKETS = 10_000
VIP_SHARE = 0.10
HIGH_SHARE = 0.20
SEGMENT_MONTHS = 24


def priority(
    kind: InvitationType, *, segment: ValueSegment, overdue_days: int, urgency_cap: int = 10
) -> int:
    """Type base + segment bonus + ``min(overdue_days // 7, urgency_cap)``.

    >>> priority(InvitationType.NEXT_SERVICE, segment=ValueSegment.VIP, overdue_days=23)
    78
    """
    urgency = min(max(overdue_days, 0) // 7, urgency_cap)
    return TYPE_PRIORITY[kind] + SEGMENT_BONUS[segment] + urgency


def invitation_sort_key(invitation: Invitation) -> tuple[int, int, date, str, str]:
    """Highest priority first, then type order, earliest due, VIN and dedup key."""
    return (
        -invitation.priority,
        _TYPE_ORDER[invitation.type],
        invitation.due_date,
        invitation.vin,
        invitation.dedup_key,
    )


def customer_suppression(
    customer: CustomerFacts | None, kind: InvitationType
) -> SuppressionReason | None:
    """The customer-level reason not to call about ``kind`` (consent, phone, status), if any."""
    if customer is None:
        return SuppressionReason.NO_CUSTOMER
    if customer.status is CustomerStatus.ERASED:
        return SuppressionReason.CUSTOMER_ERASED
    if customer.status is CustomerStatus.DECEASED:
        return SuppressionReason.CUSTOMER_DECEASED
    if customer.do_not_call:
        return SuppressionReason.DO_NOT_CALL
    # Recalls are safety notices: they ignore a marketing opt-out, never a hard do-not-call.
    if not customer.marketing_calls and kind is not InvitationType.RECALL:
        return SuppressionReason.MARKETING_OPT_OUT
    if not customer.has_valid_phone:
        return SuppressionReason.NO_VALID_PHONE
    return None


_VEHICLE_REASON = {
    VehicleStatus.SOLD: SuppressionReason.VEHICLE_SOLD,
    VehicleStatus.SCRAPPED: SuppressionReason.VEHICLE_SCRAPPED,
    VehicleStatus.STOLEN: SuppressionReason.VEHICLE_STOLEN,
    VehicleStatus.EXPORTED: SuppressionReason.VEHICLE_EXPORTED,
}


def suppression_reason(
    invitation: Invitation,
    *,
    vehicle: VehicleFacts,
    customer: CustomerFacts | None,
    today: date,
    policy: DealerPolicy,
) -> SuppressionReason | None:
    """Why ``invitation`` must not be called on ``today`` (first reason in enum order), or None."""
    reasons: list[SuppressionReason] = []
    own = customer_suppression(customer, invitation.type)
    if own is not None:
        reasons.append(own)
    if vehicle.status in _VEHICLE_REASON:
        reasons.append(_VEHICLE_REASON[vehicle.status])
    if vehicle.ownership_end is not None and vehicle.ownership_end <= today:
        reasons.append(SuppressionReason.OWNERSHIP_ENDED)
    if today > invitation.window_expires:
        reasons.append(SuppressionReason.EXPIRED)
    horizon = today + timedelta(days=policy.appointment_horizon_days)
    if any(
        a.status in (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
        and today <= a.date <= horizon
        for a in vehicle.appointments
    ):
        reasons.append(SuppressionReason.APPOINTMENT_BOOKED)
    if invitation.type is not InvitationType.RECALL and any(
        0 <= (today - ro.date).days < policy.recent_visit_days for ro in vehicle.repair_orders
    ):
        reasons.append(SuppressionReason.RECENT_VISIT)
    if not reasons:
        return None
    order = list(SuppressionReason)
    return min(reasons, key=order.index)


def control_bucket(customer_id: str, kind: InvitationType, month: date) -> int:
    """A stable bucket in 0..9,999 from sha256 of ``customer|type|YYYY-MM``."""
    key = f"{customer_id}|{kind.value}|{month:%Y-%m}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % _CONTROL_BUCKETS


def in_control_group(
    customer_id: str, kind: InvitationType, month: date, *, holdout_pct: float
) -> bool:
    """True when the customer's ``kind`` invitations of ``month`` are held out (never recalls)."""
    if kind is InvitationType.RECALL:
        return False
    return control_bucket(customer_id, kind, month) < round(holdout_pct * _CONTROL_BUCKETS / 100)


def assess(
    invitation: Invitation,
    *,
    vehicle: VehicleFacts,
    customer: CustomerFacts | None,
    today: date,
    policy: DealerPolicy,
) -> Invitation:
    """``invitation`` with its status decided: suppressed (with reason), control, or due."""
    reason = suppression_reason(
        invitation, vehicle=vehicle, customer=customer, today=today, policy=policy
    )
    if reason is not None:
        return _with_status(invitation, InvitationStatus.SUPPRESSED, reason)
    if invitation.customer_id is not None and in_control_group(
        invitation.customer_id,
        invitation.type,
        invitation.window_opens,
        holdout_pct=policy.holdout_pct,
    ):
        return _with_status(invitation, InvitationStatus.CONTROL, None)
    return _with_status(invitation, InvitationStatus.DUE, None)


_INVITATION_FIELDS = tuple(f.name for f in fields(Invitation))


def _with_status(
    invitation: Invitation, status: InvitationStatus, reason: SuppressionReason | None
) -> Invitation:
    """``replace(invitation, status=..., suppression_reason=...)`` without re-validating the
    fields that did not change (the engine decides the status of every invitation; this is hot).
    The pair is consistent by construction: a reason exactly when suppressed."""
    if invitation.status is status and invitation.suppression_reason is reason:
        return invitation
    new = object.__new__(Invitation)
    for name in _INVITATION_FIELDS:
        object.__setattr__(new, name, getattr(invitation, name))
    object.__setattr__(new, "status", status)
    object.__setattr__(new, "suppression_reason", reason)
    return new


def frequency_cap(
    customer_id: str,
    *,
    contact_history: Iterable[ContactRecord],
    today: date,
    policy: DealerPolicy,
) -> tuple[date | None, date | None]:
    """``(non_recall_until, all_until)``: the first days on which a new task may be planned again.

    ``non_recall_until`` follows the last reached contact (``min_days_between_contacts``),
    ``all_until`` the last unreachable task (``unreachable_cooldown_days``); ``None`` means no cap.
    """
    reached = [
        c.date
        for c in contact_history
        if c.customer_id == customer_id and c.outcome is ContactOutcome.REACHED and c.date <= today
    ]
    unreachable = [
        c.date
        for c in contact_history
        if c.customer_id == customer_id
        and c.outcome is ContactOutcome.UNREACHABLE
        and c.date <= today
    ]
    non_recall_until = all_until = None
    if reached:
        until = max(reached) + timedelta(days=policy.min_days_between_contacts)
        non_recall_until = until if until > today else None
    if unreachable:
        until = max(unreachable) + timedelta(days=policy.unreachable_cooldown_days)
        all_until = until if until > today else None
    return non_recall_until, all_until


def plan_call_tasks(
    invitations: Iterable[Invitation],
    *,
    customers: Mapping[str, CustomerFacts],
    today: date,
    policy: DealerPolicy,
    contact_history: Iterable[ContactRecord] = (),
) -> list[CallTaskPlan]:
    """Merge callable invitations into one call task per customer, highest priority first.

    An invitation is callable when its status is ``due``, its window contains ``today``, its
    customer passes :func:`customer_suppression` (checked again here: consent may have changed
    since the invitations were computed) and no frequency cap holds it back. Invitations may come
    from several vehicles; duplicates (same dedup key) count once.
    """
    history = tuple(contact_history)
    by_customer: dict[str, dict[str, Invitation]] = defaultdict(dict)
    for invitation in invitations:
        if (
            invitation.status is not InvitationStatus.DUE
            or invitation.customer_id is None
            or not invitation.window_opens <= today <= invitation.window_expires
        ):
            continue
        customer = customers.get(invitation.customer_id)
        if customer is None:
            raise ValueError(f"customer {invitation.customer_id} is not in customers")
        if customer_suppression(customer, invitation.type) is not None:
            continue
        by_customer[customer.id].setdefault(invitation.dedup_key, invitation)

    plans: list[CallTaskPlan] = []
    for customer_id, keyed in by_customer.items():
        non_recall_until, all_until = frequency_cap(
            customer_id, contact_history=history, today=today, policy=policy
        )
        if all_until is not None:
            continue
        chosen = [
            inv
            for inv in keyed.values()
            if non_recall_until is None or inv.type is InvitationType.RECALL
        ]
        if not chosen:
            continue
        opted_out = not customers[customer_id].marketing_calls
        plans.append(
            CallTaskPlan(
                customer_id=customer_id,
                invitations=tuple(sorted(chosen, key=invitation_sort_key)),
                recall_only=opted_out,
            )
        )
    plans.sort(key=lambda plan: (invitation_sort_key(plan.primary), plan.customer_id))
    return plans


def customer_pay_revenue(
    repair_orders: Iterable[RepairOrder], *, today: date, months: int = SEGMENT_MONTHS
) -> Decimal:
    """Customer-pay total of the repair orders in the ``months`` months up to ``today``."""
    since = add_months(today, -months)
    return sum(
        (ro.customer_pay_amount for ro in repair_orders if since < ro.date <= today),
        Decimal(0),
    )


def value_segments(revenue_by_customer: Mapping[str, Decimal]) -> dict[str, ValueSegment]:
    """Value segments for a group of customers from their customer-pay revenue (last 24 months).

    Among customers with revenue > 0: VIP = the top 10 %, high = the next 20 % (shares rounded
    half up, ties share the better segment); the rest standard. Revenue ≤ 0 (no customer-pay
    repair order): low.

    >>> segments = value_segments({f"c{n}": Decimal(n) for n in range(11)})
    >>> [segments[c].value for c in ("c10", "c9", "c8", "c7", "c0")]
    ['vip', 'high', 'high', 'standard', 'low']
    """
    paying = sorted((r for r in revenue_by_customer.values() if r > 0), reverse=True)
    vip_count = math.floor(len(paying) * VIP_SHARE + 0.5)
    high_count = math.floor(len(paying) * (VIP_SHARE + HIGH_SHARE) + 0.5)
    vip_floor = paying[vip_count - 1] if vip_count else None
    high_floor = paying[high_count - 1] if high_count else None
    result: dict[str, ValueSegment] = {}
    for customer_id, revenue in sorted(revenue_by_customer.items()):
        if revenue <= 0:
            result[customer_id] = ValueSegment.LOW
        elif vip_floor is not None and revenue >= vip_floor:
            result[customer_id] = ValueSegment.VIP
        elif high_floor is not None and revenue >= high_floor:
            result[customer_id] = ValueSegment.HIGH
        else:
            result[customer_id] = ValueSegment.STANDARD
    return result
