"""Orphan share, 12/24-month retention, reactivation and recall completion."""

from datetime import date

import pytest

from reports.funnel import CountUnit
from reports.periods import DateRange
from reports.retention import (
    RecallCampaignCounts,
    RetentionCohort,
    follow_up_window,
    orphan_share,
    reactivation_rate,
    recall_completion,
    recall_completion_by_campaign,
    retention,
)


def test_orphan_share_is_vehicles_without_a_visit_for_12_months_over_active_vehicles() -> None:
    share = orphan_share(active_vehicles=2060, without_visit_12_months=412)
    assert share.rate == pytest.approx(0.2)
    assert share.interval is not None
    assert share.interval.lower < 0.2 < share.interval.upper


def test_orphan_share_of_no_active_vehicles_is_undefined() -> None:
    assert orphan_share(active_vehicles=0, without_visit_12_months=0).rate is None


def test_more_orphans_than_active_vehicles_is_rejected() -> None:
    with pytest.raises(ValueError, match="successes"):
        orphan_share(active_vehicles=10, without_visit_12_months=11)


def test_retention_is_the_share_of_the_cohort_back_within_12_and_24_months() -> None:
    kpis = retention(RetentionCohort(cohort=1000, retained_12_months=640, retained_24_months=760))
    assert kpis.retention_12_months.rate == pytest.approx(0.64)
    assert kpis.retention_24_months.rate == pytest.approx(0.76)


@pytest.mark.parametrize(
    ("cohort", "retained_12", "retained_24"),
    [(100, 60, 50), (100, 60, 101), (-1, 0, 0), (10, -1, 0)],
)
def test_retention_counts_must_nest(cohort: int, retained_12: int, retained_24: int) -> None:
    with pytest.raises(ValueError, match="retained|cohort"):
        RetentionCohort(
            cohort=cohort, retained_12_months=retained_12, retained_24_months=retained_24
        )


def test_retention_counts_customers_or_vehicles_not_invitations() -> None:
    with pytest.raises(ValueError, match="not invitations"):
        RetentionCohort(
            unit=CountUnit.INVITATIONS, cohort=1, retained_12_months=0, retained_24_months=0
        )


@pytest.mark.parametrize(
    ("base_start", "base_end", "months", "window_end"),
    [
        (date(2024, 1, 1), date(2024, 2, 1), 12, date(2025, 2, 1)),
        (date(2024, 1, 1), date(2025, 1, 1), 24, date(2027, 1, 1)),
        (date(2024, 1, 31), date(2024, 2, 29), 12, date(2025, 2, 28)),
    ],
)
def test_the_follow_up_window_starts_where_the_base_period_ends(
    base_start: date, base_end: date, months: int, window_end: date
) -> None:
    window = follow_up_window(DateRange(start=base_start, end=base_end), months)
    assert window.start == base_end
    assert window.end == window_end


def test_the_follow_up_window_needs_a_positive_length() -> None:
    with pytest.raises(ValueError, match="positive"):
        follow_up_window(DateRange(start=date(2024, 1, 1), end=date(2024, 2, 1)), 0)


def test_reactivation_rate_is_lapsed_customers_who_came_back_over_lapsed_customers() -> None:
    rate = reactivation_rate(lapsed=300, reactivated=27)
    assert rate.rate == pytest.approx(0.09)
    assert reactivation_rate(lapsed=0, reactivated=0).interval is None


def test_recall_completion_leaves_not_applicable_vehicles_out_of_the_population() -> None:
    counts = RecallCampaignCounts(
        campaign="23V123000",
        open=120,
        completed_here=300,
        completed_elsewhere=60,
        not_applicable=20,
    )
    result = recall_completion(counts)
    assert counts.population == 480
    assert result.completion_rate.rate == pytest.approx(0.75)
    assert result.completed_here_share.rate == pytest.approx(0.625)


def test_recall_completion_by_campaign_is_ordered_by_code() -> None:
    results = recall_completion_by_campaign(
        [
            RecallCampaignCounts(
                campaign="24V002000", open=1, completed_here=1, completed_elsewhere=0
            ),
            RecallCampaignCounts(
                campaign="23V123000", open=0, completed_here=0, completed_elsewhere=0
            ),
        ]
    )
    assert [r.campaign for r in results] == ["23V123000", "24V002000"]
    assert results[0].completion_rate.rate is None
    assert results[1].completion_rate.rate == pytest.approx(0.5)


def test_a_campaign_listed_twice_is_rejected() -> None:
    counts = RecallCampaignCounts(
        campaign="23V123000", open=1, completed_here=0, completed_elsewhere=0
    )
    with pytest.raises(ValueError, match="more than once"):
        recall_completion_by_campaign([counts, counts])


@pytest.mark.parametrize("overrides", [{"campaign": ""}, {"open": -1}, {"not_applicable": -5}])
def test_recall_counts_are_validated(overrides: dict[str, object]) -> None:
    fields: dict[str, object] = {
        "campaign": "23V123000",
        "open": 1,
        "completed_here": 0,
        "completed_elsewhere": 0,
    }
    fields.update(overrides)
    with pytest.raises(ValueError, match="campaign|non-negative"):
        RecallCampaignCounts(**fields)  # type: ignore[arg-type]
