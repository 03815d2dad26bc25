"""``seasonal``: the dealer country's seasonal campaigns (tyres, A/C check, winter check).

Rule: while a campaign of the dealer's country (or of every country) is in its calling window
(:mod:`invitations.seasons`), invite every vehicle with a repair order in the last
``seasonal_recent_visit_months`` (24) — or whose customer stores tyres at the dealer (tyre hotel).
Due on the window's first day, expires on its last.
Dedup key: ``seasonal:VIN:campaign:season year``.

Example: a CZ dealer, a car last in the workshop on 3 May 2024. On 6 Oct 2025 the
``cz_autumn_tyres`` campaign (1 Oct – 15 Nov) is open: "Seasonal campaign cz_autumn_tyres, calling
1 Oct 2025 to 15 Nov 2025; last visit 3 May 2024". A car last seen in 2022 is not invited.
"""

from __future__ import annotations

from datetime import date

from invitations.dates import add_months
from invitations.model import CustomerFacts, Invitation, InvitationType, VehicleFacts
from invitations.policy import DealerPolicy
from invitations.rules._base import build, visible
from invitations.seasons import SeasonalCampaign

MESSAGE = (
    "Seasonal campaign {campaign}, calling {window_start} to {window_end}; last visit {last_visit}"
)
"""Explanation msgid for a recent workshop customer."""
MESSAGE_TYRE_HOTEL = (
    "Seasonal campaign {campaign}, calling {window_start} to {window_end}; tyres stored with us"
)
"""Explanation msgid for a tyre-hotel customer without a recent visit."""
MESSAGES = (MESSAGE, MESSAGE_TYRE_HOTEL)
"""Every explanation msgid of this rule."""


def _open_campaigns(
    policy: DealerPolicy, today: date
) -> list[tuple[SeasonalCampaign, int, date, date]]:
    """The campaigns reported on ``today`` with their season and window (memoised per policy:
    the same for every vehicle of a run)."""
    key = ("seasonal", today)
    found = policy._memo.get(key)
    if found is None:
        open_now: list[tuple[SeasonalCampaign, int, date, date]] = []
        for campaign in policy.campaigns():
            season = campaign.current_season(today, lookback_days=policy.expired_lookback_days)
            if season is None:
                continue
            start, end = campaign.window(season)
            if visible(opens=start, expires=end, today=today, policy=policy):
                open_now.append((campaign, season, start, end))
        policy._memo[key] = found = open_now
    assert isinstance(found, list)
    return found


def evaluate(
    vehicle: VehicleFacts, *, customer: CustomerFacts | None, today: date, policy: DealerPolicy
) -> list[Invitation]:
    """One invitation per seasonal campaign in its window, for a targeted vehicle."""
    since = add_months(today, -policy.seasonal_recent_visit_months)
    visits = [ro.date for ro in vehicle.repair_orders if since < ro.date <= today]
    tyre_hotel = customer is not None and customer.tyre_hotel
    if not visits and not tyre_hotel:
        return []
    result: list[Invitation] = []
    for campaign, season, start, end in _open_campaigns(policy, today):
        params: dict[str, date | str] = {
            "campaign": campaign.code,
            "window_start": start,
            "window_end": end,
        }
        if visits:
            params["last_visit"] = max(visits)
        result.append(
            build(
                vehicle,
                customer,
                kind=InvitationType.SEASONAL,
                key=(campaign.code, str(season)),
                due=start,
                opens=start,
                expires=end,
                today=today,
                policy=policy,
                message=MESSAGE if visits else MESSAGE_TYRE_HOTEL,
                params=params,
            )
        )
    return result
