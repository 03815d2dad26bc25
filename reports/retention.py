"""Retention figures: orphan share, 12/24-month retention, reactivation, recall completion.

A *visit* is a repair order (RO) of any pay type opened at one of the dealer's (or group's)
workshops; the app decides which ROs count and passes counts here. Every figure is a
:class:`~reports.stats.Proportion` with a Wilson interval.

Definitions
-----------
Orphan share
    Of the active vehicles (status active, with a current owner) at the reference date, the share
    with no visit in the 12 months before it::

        orphan share = active vehicles with no RO in (ref − 12 months, ref] / active vehicles

    Example: 412 of 2,060 active vehicles without a visit for 12 months → 20.0 %.

N-month retention (N = 12 or 24)
    The *base cohort* is every customer (or vehicle) with at least one visit in a base period
    ``[start, end)``, typically a month or a year. A cohort member is *retained* if they had another
    visit in the ``N`` months after the base period, ``[end, end + N months)``::

        N-month retention = cohort members with a visit in [end, end + N months) / cohort members

    A visit within 12 months is also within 24, so 12-month retained ≤ 24-month retained ≤ cohort.
    The figure is *final* only once ``end + N months`` has passed (:func:`follow_up_window`);
    before that it can only grow. Example: 1,000 customers served in January 2024, 640 back by
    31 January 2025 (64.0 % at 12 months), 760 back by 31 January 2026 (76.0 % at 24 months).

Reactivation rate
    The *lapsed* customers at the start of a period are those whose last visit was at least the
    lapsed threshold (DESIGN §3: 12 months, or plan interval + 3 months) before it. Reactivated are
    those of them with a visit during the period::

        reactivation rate = lapsed customers with a visit in the period / lapsed customers

    Example: 300 lapsed on 1 April, 27 came back during Q2 → 9.0 %.

Recall completion (per campaign, NHTSA style)
    Each recalled VIN of the dealer's population has a status: open, completed here, completed
    elsewhere, not applicable (scrapped, exported, stolen, not affected). Not-applicable vehicles
    leave the population::

        completion rate = (completed here + completed elsewhere) / (open + completed here
                                                                     + completed elsewhere)
        completed-here share = completed here / (open + completed here + completed elsewhere)

    Example: 120 open, 300 completed here, 60 elsewhere, 20 not applicable → 360/480 = 75.0 %,
    of which 62.5 % here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reports.funnel import CountUnit
from reports.periods import DateRange, add_months
from reports.stats import DEFAULT_CONFIDENCE, Proportion

__all__ = [
    "RecallCampaignCounts",
    "RecallCompletion",
    "RetentionCohort",
    "RetentionKpis",
    "follow_up_window",
    "orphan_share",
    "reactivation_rate",
    "recall_completion",
    "recall_completion_by_campaign",
    "retention",
]


def _check_non_negative(**counts: int) -> None:
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


def orphan_share(
    *, active_vehicles: int, without_visit_12_months: int, confidence: float = DEFAULT_CONFIDENCE
) -> Proportion:
    """Active vehicles with no RO in the last 12 months ÷ active vehicles.

    >>> orphan_share(active_vehicles=2060, without_visit_12_months=412).rate
    0.2

    Raises:
        ValueError: on negative counts or more orphans than active vehicles.
    """
    return Proportion(
        successes=without_visit_12_months, trials=active_vehicles, confidence=confidence
    )


def follow_up_window(base_period: DateRange, months: int) -> DateRange:
    """The window ``[end, end + months)`` in which a cohort member must return to be retained.

    >>> from datetime import date
    >>> follow_up_window(DateRange(start=date(2024, 1, 1), end=date(2024, 2, 1)), 12)
    DateRange(start=datetime.date(2024, 2, 1), end=datetime.date(2025, 2, 1))

    Raises:
        ValueError: if ``months`` is not positive.
    """
    if months <= 0:
        raise ValueError(f"months must be positive, got {months}")
    return DateRange(start=base_period.end, end=add_months(base_period.end, months))


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionCohort:
    """Counts of one base cohort (customers or vehicles with a visit in the base period).

    Raises:
        ValueError: on negative counts, or unless
            ``retained_12_months ≤ retained_24_months ≤ cohort``.
    """

    unit: CountUnit = CountUnit.CUSTOMERS
    cohort: int
    """Members with at least one visit in the base period."""
    retained_12_months: int
    """Members with a visit in the 12 months after the base period."""
    retained_24_months: int
    """Members with a visit in the 24 months after the base period."""

    def __post_init__(self) -> None:
        _check_non_negative(
            cohort=self.cohort,
            retained_12_months=self.retained_12_months,
            retained_24_months=self.retained_24_months,
        )
        if self.unit is CountUnit.INVITATIONS:
            raise ValueError("retention counts customers or vehicles, not invitations")
        if not self.retained_12_months <= self.retained_24_months <= self.cohort:
            raise ValueError(
                "expected retained_12_months ≤ retained_24_months ≤ cohort, got "
                f"{self.retained_12_months}, {self.retained_24_months}, {self.cohort}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class RetentionKpis:
    """12- and 24-month retention of a :class:`RetentionCohort`."""

    retention_12_months: Proportion
    retention_24_months: Proportion


def retention(cohort: RetentionCohort, *, confidence: float = DEFAULT_CONFIDENCE) -> RetentionKpis:
    """12- and 24-month retention rates of a base cohort.

    >>> kpis = retention(RetentionCohort(cohort=1000, retained_12_months=640,
    ...                                  retained_24_months=760))
    >>> kpis.retention_12_months.rate, kpis.retention_24_months.rate
    (0.64, 0.76)
    """
    return RetentionKpis(
        retention_12_months=Proportion(
            successes=cohort.retained_12_months, trials=cohort.cohort, confidence=confidence
        ),
        retention_24_months=Proportion(
            successes=cohort.retained_24_months, trials=cohort.cohort, confidence=confidence
        ),
    )


def reactivation_rate(
    *, lapsed: int, reactivated: int, confidence: float = DEFAULT_CONFIDENCE
) -> Proportion:
    """Lapsed customers who came back during the period ÷ customers lapsed at its start.

    >>> reactivation_rate(lapsed=300, reactivated=27).rate
    0.09

    Raises:
        ValueError: on negative counts or more reactivated than lapsed.
    """
    return Proportion(successes=reactivated, trials=lapsed, confidence=confidence)


@dataclass(frozen=True, slots=True, kw_only=True)
class RecallCampaignCounts:
    """Recalled vehicles of one campaign by status.

    Raises:
        ValueError: on an empty campaign code or a negative count.
    """

    campaign: str
    """The campaign code, e.g. ``23V123000``."""
    open: int
    completed_here: int
    completed_elsewhere: int
    not_applicable: int = 0

    def __post_init__(self) -> None:
        if not self.campaign:
            raise ValueError("campaign code must not be empty")
        _check_non_negative(
            open=self.open,
            completed_here=self.completed_here,
            completed_elsewhere=self.completed_elsewhere,
            not_applicable=self.not_applicable,
        )

    @property
    def population(self) -> int:
        """Vehicles still concerned: open + completed here + completed elsewhere."""
        return self.open + self.completed_here + self.completed_elsewhere

    @property
    def completed(self) -> int:
        """completed here + completed elsewhere."""
        return self.completed_here + self.completed_elsewhere


@dataclass(frozen=True, slots=True, kw_only=True)
class RecallCompletion:
    """Completion figures of one recall campaign."""

    campaign: str
    completion_rate: Proportion
    """completed / population."""
    completed_here_share: Proportion
    """completed here / population."""


def recall_completion(
    counts: RecallCampaignCounts, *, confidence: float = DEFAULT_CONFIDENCE
) -> RecallCompletion:
    """Completion rate of one campaign.

    >>> done = recall_completion(RecallCampaignCounts(
    ...     campaign="23V123000", open=120, completed_here=300, completed_elsewhere=60,
    ...     not_applicable=20))
    >>> done.completion_rate.rate, done.completed_here_share.rate
    (0.75, 0.625)
    """
    return RecallCompletion(
        campaign=counts.campaign,
        completion_rate=Proportion(
            successes=counts.completed, trials=counts.population, confidence=confidence
        ),
        completed_here_share=Proportion(
            successes=counts.completed_here, trials=counts.population, confidence=confidence
        ),
    )


def recall_completion_by_campaign(
    campaigns: Iterable[RecallCampaignCounts], *, confidence: float = DEFAULT_CONFIDENCE
) -> list[RecallCompletion]:
    """:func:`recall_completion` of each campaign, ordered by campaign code.

    Raises:
        ValueError: if a campaign code appears twice.
    """
    by_code: dict[str, RecallCampaignCounts] = {}
    for counts in campaigns:
        if counts.campaign in by_code:
            raise ValueError(f"campaign {counts.campaign} appears more than once")
        by_code[counts.campaign] = counts
    return [recall_completion(by_code[code], confidence=confidence) for code in sorted(by_code)]
