"""``recall``: a legally required safety notice for an open recall with a remedy.

Rule: every recall of the vehicle whose status is ``open`` and whose remedy is available is due at
once — from the later of the campaign start and the day the VIN was listed. While it stays open, a
new reminder opens every ``recall_repeat_days`` (30), at most ``recall_max_repeats`` (3) times; each
reminder's window lasts until the next one would open. Recalls have the highest priority, ignore a
marketing opt-out and a recent visit (the remedy is still outstanding) and are never held out as
control. Dedup key: ``recall:VIN:campaign:reminder number``.

Example: campaign 23V123000 started 1 Mar 2025. On 10 Mar 2025 reminder 1 (1–30 Mar) is due; on
5 Apr reminder 2 (31 Mar – 29 Apr): "Open recall 23V123000 with the remedy available since
1 Mar 2025; reminder 2 of 3". Reminder 3 (30 Apr – 29 May 2025) is the last.
"""

from __future__ import annotations

from datetime import date, timedelta

from invitations.model import (
    CustomerFacts,
    Invitation,
    InvitationType,
    RecallStatus,
    VehicleFacts,
)
from invitations.policy import DealerPolicy
from invitations.rules._base import build, visible

MESSAGE = (
    "Open recall {campaign} with the remedy available since {since}; reminder {repeat} of {repeats}"
)
"""Explanation msgid."""
MESSAGES = (MESSAGE,)
"""Every explanation msgid of this rule."""


def evaluate(
    vehicle: VehicleFacts, *, customer: CustomerFacts | None, today: date, policy: DealerPolicy
) -> list[Invitation]:
    """The current reminder of every open recall with an available remedy."""
    result: list[Invitation] = []
    for recall in vehicle.recalls:
        if recall.status is not RecallStatus.OPEN or not recall.remedy_available:
            continue
        since = recall.notice_date
        if since > today:
            continue
        repeat = min(
            (today - since).days // policy.recall_repeat_days + 1, policy.recall_max_repeats
        )
        opens = since + timedelta(days=(repeat - 1) * policy.recall_repeat_days)
        expires = opens + timedelta(days=policy.recall_repeat_days - 1)
        if not visible(opens=opens, expires=expires, today=today, policy=policy):
            continue
        result.append(
            build(
                vehicle,
                customer,
                kind=InvitationType.RECALL,
                key=(recall.campaign_code, str(repeat)),
                due=opens,
                opens=opens,
                expires=expires,
                today=today,
                policy=policy,
                message=MESSAGE,
                params={
                    "campaign": recall.campaign_code,
                    "since": since,
                    "repeat": repeat,
                    "repeats": policy.recall_max_repeats,
                },
            )
        )
    return result
