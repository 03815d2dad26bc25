"""Seasonal campaigns: calling windows per country, as data a dealer can override or extend.

A campaign has a calling window given as month-days (``start`` to ``end``, inclusive); a window
whose end is before its start runs into the next year, and its *season year* is the year it starts
in.
``after_easter`` moves the start to Easter Monday when that is later (Germany's "O bis O": winter
tyres from October to Easter). The defaults (DESIGN §3) start 4–6 weeks before the legal or usual
changeover date:

======  =====================  ================================
 code    window                 basis
======  =====================  ================================
CZ      1 Oct – 15 Nov         winter equipment 1 Nov – 31 Mar
CZ      15 Mar – 30 Apr
FI      15 Oct – 30 Nov        winter tyres 1 Dec – end Feb
FI      1 Apr – 15 May
SE      15 Oct – 30 Nov        winter tyres 1 Dec – 31 Mar
SE      15 Mar – 15 Apr        studs banned from 16 Apr
DE      20 Sep – 31 Oct        "O bis O"
DE      Easter Monday – 31 May
AT      1 Oct – 15 Nov         winter conditions 1 Nov – 15 Apr
``*``   15 Apr – 15 Jun        A/C check, every country
======  =====================  ================================

Example: in 2026 Easter Sunday is 5 April, so ``de_spring_tyres`` calls from 6 April to 31 May 2026.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

from dateutil.easter import easter

__all__ = [
    "ANY_COUNTRY",
    "DEFAULT_SEASONAL_CAMPAIGNS",
    "CampaignKind",
    "SeasonalCampaign",
    "merge_campaigns",
]

ANY_COUNTRY = "*"
"""The ``country`` of a campaign that runs in every country."""


class CampaignKind(StrEnum):
    """What a seasonal campaign offers."""

    AUTUMN_TYRES = "autumn_tyres"
    SPRING_TYRES = "spring_tyres"
    AC_CHECK = "ac_check"
    WINTER_CHECK = "winter_check"


def _month_day(year: int, month: int, day: int) -> date:
    # 29 Feb in a common year becomes 28 Feb.
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True, kw_only=True)
class SeasonalCampaign:
    """One seasonal campaign: a code unique per dealer, its kind, country and calling window."""

    code: str
    kind: CampaignKind
    country: str
    start_month: int
    start_day: int
    end_month: int
    end_day: int
    after_easter: bool = False
    enabled: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code.strip():
            raise ValueError("campaign code must be a non-empty string")
        try:
            object.__setattr__(self, "kind", CampaignKind(self.kind))
        except ValueError:
            raise ValueError(f"campaign {self.code}: unknown kind {self.kind!r}") from None
        if not isinstance(self.country, str) or not self.country.strip():
            raise ValueError(f"campaign {self.code}: country must be ISO alpha-2 or '*'")
        object.__setattr__(self, "country", self.country.strip().upper())
        for prefix in ("start", "end"):
            month, day = getattr(self, f"{prefix}_month"), getattr(self, f"{prefix}_day")
            try:
                date(2024, month, day)  # a leap year accepts 29 Feb
            except (TypeError, ValueError):
                raise ValueError(
                    f"campaign {self.code}: invalid {prefix} month-day {month!r}-{day!r}"
                ) from None
        if not isinstance(self.after_easter, bool) or not isinstance(self.enabled, bool):
            raise ValueError(f"campaign {self.code}: after_easter and enabled must be bools")

    @property
    def crosses_year_end(self) -> bool:
        """True when the window ends in the year after it starts."""
        return (self.end_month, self.end_day) < (self.start_month, self.start_day)

    def applies_to(self, country: str | None) -> bool:
        """True for an enabled campaign of ``country`` or of every country."""
        if not self.enabled:
            return False
        return self.country == ANY_COUNTRY or (
            country is not None and self.country == country.upper()
        )

    def window(self, season_year: int) -> tuple[date, date]:
        """The calling window (first day, last day) of the season starting in ``season_year``."""
        return _window(self, season_year)

    def _compute_window(self, season_year: int) -> tuple[date, date]:
        start = _month_day(season_year, self.start_month, self.start_day)
        if self.after_easter:
            start = max(start, easter(season_year) + timedelta(days=1))
        end_year = season_year + 1 if self.crosses_year_end else season_year
        end = _month_day(end_year, self.end_month, self.end_day)
        return start, max(start, end)

    def current_season(self, today: date, *, lookback_days: int = 0) -> int | None:
        """The season year whose window contains ``today`` (or ended at most ``lookback_days``
        ago); the latest such season, or ``None``."""
        for year in (today.year, today.year - 1):
            start, end = self.window(year)
            if start <= today <= end + timedelta(days=lookback_days):
                return year
        return None


@lru_cache(maxsize=4096)
def _window(campaign: SeasonalCampaign, season_year: int) -> tuple[date, date]:
    # Memoised: every vehicle of a nightly run asks for the same few windows.
    return campaign._compute_window(season_year)


def _campaign(
    code: str, kind: CampaignKind, country: str, start: str, end: str
) -> SeasonalCampaign:
    sm, sd = (int(part) for part in start.split("-"))
    em, ed = (int(part) for part in end.split("-"))
    return SeasonalCampaign(
        code=code,
        kind=kind,
        country=country,
        start_month=sm,
        start_day=sd,
        end_month=em,
        end_day=ed,
        after_easter=False,
    )


_AUTUMN, _SPRING = CampaignKind.AUTUMN_TYRES, CampaignKind.SPRING_TYRES

DEFAULT_SEASONAL_CAMPAIGNS: tuple[SeasonalCampaign, ...] = (
    _campaign("cz_autumn_tyres", _AUTUMN, "CZ", "10-01", "11-15"),
    _campaign("cz_spring_tyres", _SPRING, "CZ", "03-15", "04-30"),
    _campaign("fi_autumn_tyres", _AUTUMN, "FI", "10-15", "11-30"),
    _campaign("fi_spring_tyres", _SPRING, "FI", "04-01", "05-15"),
    _campaign("se_autumn_tyres", _AUTUMN, "SE", "10-15", "11-30"),
    _campaign("se_spring_tyres", _SPRING, "SE", "03-15", "04-15"),
    _campaign("de_autumn_tyres", _AUTUMN, "DE", "09-20", "10-31"),
    SeasonalCampaign(
        code="de_spring_tyres",
        kind=_SPRING,
        country="DE",
        start_month=3,
        start_day=1,
        end_month=5,
        end_day=31,
        after_easter=True,
    ),
    _campaign("at_autumn_tyres", _AUTUMN, "AT", "10-01", "11-15"),
    _campaign("ac_check", CampaignKind.AC_CHECK, ANY_COUNTRY, "04-15", "06-15"),
)
"""The built-in campaigns (DESIGN §3); a dealer overrides them by code or adds its own."""


def merge_campaigns(
    base: Iterable[SeasonalCampaign], overrides: Iterable[SeasonalCampaign]
) -> tuple[SeasonalCampaign, ...]:
    """``base`` with each override replacing the campaign of the same code or added after it.

    Disable a built-in campaign by overriding its code with ``enabled=False``.
    """
    merged = {campaign.code: campaign for campaign in base}
    seen: set[str] = set()
    for campaign in overrides:
        if campaign.code in seen:
            raise ValueError(f"seasonal campaign {campaign.code} is given twice")
        seen.add(campaign.code)
        merged[campaign.code] = campaign
    return tuple(merged.values())
