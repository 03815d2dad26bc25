"""Service-funnel and retention KPI maths for the dealer reports.

Pure Python: counts in, figures out. The app runs set-based SQL to count invitations, calls,
appointments and repair orders, converts timestamps to the dealer's local dates, and passes the
counts here. Nothing in this package reads a database, a clock, settings or logs.

Modules:

- :mod:`reports.stats`: :class:`Proportion`, Wilson and Newcombe confidence intervals.
- :mod:`reports.funnel`: the funnel counts, their rates and revenue ratios, combining slices and
  comparing periods.
- :mod:`reports.uplift`: targeted vs control arrival rates.
- :mod:`reports.retention`: orphan share, 12/24-month retention, reactivation, recall completion.
- :mod:`reports.agents`: agent productivity.
- :mod:`reports.periods`: day / ISO week / month / quarter buckets and previous periods.

Definitions in plain words are in ``docs/reports.md``.
"""

from reports.agents import AgentActivity, AgentKpis, agent_kpis, combine_agent_activity
from reports.funnel import (
    CountChange,
    CountUnit,
    FunnelComparison,
    FunnelCounts,
    FunnelKpis,
    FunnelPair,
    FunnelPairKpis,
    MoneyChange,
    RateChange,
    Revenue,
    combine_funnels,
    compare_funnels,
    funnel_kpis,
    funnel_pair_kpis,
)
from reports.periods import (
    DateRange,
    Grain,
    Period,
    add_months,
    period_containing,
    periods_covering,
    previous_period,
    previous_range,
)
from reports.retention import (
    RecallCampaignCounts,
    RecallCompletion,
    RetentionCohort,
    RetentionKpis,
    follow_up_window,
    orphan_share,
    reactivation_rate,
    recall_completion,
    recall_completion_by_campaign,
    retention,
)
from reports.stats import (
    DEFAULT_CONFIDENCE,
    Interval,
    Proportion,
    ProportionDifference,
    newcombe_interval,
    wilson_interval,
    z_for_confidence,
)
from reports.uplift import Uplift, uplift, uplift_by_type, uplift_for_funnel

__all__ = [
    "DEFAULT_CONFIDENCE",
    "AgentActivity",
    "AgentKpis",
    "CountChange",
    "CountUnit",
    "DateRange",
    "FunnelComparison",
    "FunnelCounts",
    "FunnelKpis",
    "FunnelPair",
    "FunnelPairKpis",
    "Grain",
    "Interval",
    "MoneyChange",
    "Period",
    "Proportion",
    "ProportionDifference",
    "RateChange",
    "RecallCampaignCounts",
    "RecallCompletion",
    "RetentionCohort",
    "RetentionKpis",
    "Revenue",
    "Uplift",
    "add_months",
    "agent_kpis",
    "combine_agent_activity",
    "combine_funnels",
    "compare_funnels",
    "follow_up_window",
    "funnel_kpis",
    "funnel_pair_kpis",
    "newcombe_interval",
    "orphan_share",
    "period_containing",
    "periods_covering",
    "previous_period",
    "previous_range",
    "reactivation_rate",
    "recall_completion",
    "recall_completion_by_campaign",
    "retention",
    "uplift",
    "uplift_by_type",
    "uplift_for_funnel",
    "wilson_interval",
    "z_for_confidence",
]
