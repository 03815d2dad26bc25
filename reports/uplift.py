"""Campaign uplift: how many more vehicles came in because we called.

A deterministic 5 % of invitations per type and month (never recalls) is held out as the control
group: never called, but measured exactly like the targeted invitations. Both groups get the same
attribution rule for "arrived" (an RO within the window after the due date counts), so the
difference between their arrival rates is what the calls added.

Definitions
-----------
- targeted arrival rate ``p_t = arrived / targeted``
- control arrival rate ``p_c = control_arrived / control``
- **uplift** ``= p_t − p_c``, with Newcombe's hybrid score interval (see :mod:`reports.stats`)
- **significant** when the interval lies entirely above or entirely below 0
- **incremental arrivals** ``= uplift × targeted``: the visits the calls are estimated to have added

With no control group (recalls, or a slice too new to have one) the uplift, its interval and the
incremental arrivals are ``None`` and the uplift is not significant.

Worked examples:

- One dealer-month: 870 targeted, 261 arrived (30.0 %); 50 in control, 9 arrived (18.0 %). Uplift
  is 12.0 points, but the 95 % interval is −1.1 to +20.8 points: with only 50 in control this could
  be chance, so it is *not* significant.
- The same rates over a dealer group's year: 17,400 targeted, 5,220 arrived; 1,000 in control, 180
  arrived. Uplift 12.0 points, 95 % interval 9.4 to 14.4 points: significant; about 2,088
  incremental arrivals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reports.funnel import CountUnit, FunnelCounts
from reports.stats import DEFAULT_CONFIDENCE, Interval, Proportion, ProportionDifference

__all__ = ["Uplift", "uplift", "uplift_by_type", "uplift_for_funnel"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Uplift:
    """Arrival rate of the targeted group minus that of the control group."""

    targeted: Proportion
    """arrived / targeted."""
    control: Proportion
    """control_arrived / control."""

    @property
    def _difference(self) -> ProportionDifference:
        return ProportionDifference(first=self.targeted, second=self.control)

    @property
    def confidence(self) -> float:
        """The confidence level of :attr:`interval`."""
        return self.targeted.confidence

    @property
    def estimate(self) -> float | None:
        """``targeted.rate − control.rate``; ``None`` if either group is empty."""
        return self._difference.estimate

    @property
    def interval(self) -> Interval | None:
        """Newcombe's interval for :attr:`estimate`; ``None`` if either group is empty."""
        return self._difference.interval

    @property
    def significant(self) -> bool:
        """Whether the interval exists and excludes 0."""
        return self._difference.significant

    @property
    def incremental_arrivals(self) -> float | None:
        """``estimate × targeted.trials``: arrivals the calls are estimated to have added."""
        estimate = self.estimate
        return None if estimate is None else estimate * self.targeted.trials


def uplift(
    *,
    targeted: int,
    targeted_arrived: int,
    control: int,
    control_arrived: int,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Uplift:
    """Uplift from plain counts.

    >>> result = uplift(targeted=17400, targeted_arrived=5220, control=1000, control_arrived=180)
    >>> round(result.estimate, 3), result.significant, round(result.incremental_arrivals)
    (0.12, True, 2088)
    >>> uplift(targeted=40, targeted_arrived=31, control=0, control_arrived=0).estimate is None
    True

    Raises:
        ValueError: on negative counts, arrivals above their group size, or an invalid confidence.
    """
    return Uplift(
        targeted=Proportion(successes=targeted_arrived, trials=targeted, confidence=confidence),
        control=Proportion(successes=control_arrived, trials=control, confidence=confidence),
    )


def uplift_for_funnel(counts: FunnelCounts, *, confidence: float = DEFAULT_CONFIDENCE) -> Uplift:
    """Uplift of one funnel slice (``arrived/targeted − control_arrived/control``).

    Raises:
        ValueError: if ``counts`` counts customers: the control group is drawn per invitation, so
            uplift is measured on invitations.
    """
    if counts.unit is not CountUnit.INVITATIONS:
        raise ValueError("uplift is measured on invitation counts, not customer counts")
    return uplift(
        targeted=counts.targeted,
        targeted_arrived=counts.arrived,
        control=counts.control,
        control_arrived=counts.control_arrived,
        confidence=confidence,
    )


def uplift_by_type(
    funnels: Mapping[str, FunnelCounts], *, confidence: float = DEFAULT_CONFIDENCE
) -> dict[str, Uplift]:
    """Uplift per invitation type, keyed and ordered by type name.

    Pool the slices of one type first (:func:`reports.funnel.combine_funnels`): the holdout is
    per type, so an uplift across types would mix different baselines.
    """
    return {
        name: uplift_for_funnel(funnels[name], confidence=confidence) for name in sorted(funnels)
    }
