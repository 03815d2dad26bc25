"""Confidence intervals for rates and for differences between two rates.

Every rate in the reports is a *proportion*: ``successes`` out of ``trials`` (invitations that
arrived out of invitations targeted, calls that reached someone out of calls made, ...). A rate on
its own says nothing about how much it could move by chance, so each one carries an interval.

Definitions
-----------
Rate
    ``p = x / n``; undefined (``None``) when ``n = 0``.

Wilson score interval (Wilson 1927; method 3 of Newcombe 1998a)
    With ``z`` the two-sided normal quantile for the confidence level (1.959964 for 95 %)::

        centre    = (x + z²/2) / (n + z²)
        half      = z · √(x(n − x)/n + z²/4) / (n + z²)
        interval  = [centre − half, centre + half]

    It always lies in [0, 1], contains ``p``, and behaves well at 0 and ``n`` successes, where the
    textbook ``p ± z·√(p(1−p)/n)`` collapses to a zero-width interval.

Newcombe hybrid score interval for ``p1 − p2`` (method 10 of Newcombe 1998b)
    With ``[l1, u1]`` and ``[l2, u2]`` the Wilson intervals of the two independent rates and
    ``d = p1 − p2``::

        lower = d − √((p1 − l1)² + (u2 − p2)²)
        upper = d + √((u1 − p1)² + (p2 − l2)²)

    It lies in [−1, 1] and contains ``d``.

Worked examples (both from Newcombe's papers, reproduced by the tests)
----------------------------------------------------------------------
>>> ci = wilson_interval(81, 263)
>>> round(ci.lower, 4), round(ci.upper, 4)
(0.2553, 0.3662)

i.e. 81 of 263 is 30.8 %, 95 % interval 25.5 % to 36.6 %.

>>> ci = newcombe_interval(56, 70, 48, 80)
>>> round(ci.lower, 4), round(ci.upper, 4)
(0.0524, 0.3339)

i.e. 80.0 % − 60.0 % = 20.0 points, 95 % interval 5.2 to 33.4 points.

References
----------
- E. B. Wilson (1927), Probable inference, the law of succession, and statistical inference.
  JASA 22:209–212.
- R. G. Newcombe (1998a), Two-sided confidence intervals for the single proportion: comparison of
  seven methods. Statistics in Medicine 17:857–872 (Table I).
- R. G. Newcombe (1998b), Interval estimation for the difference between independent proportions:
  comparison of eleven methods. Statistics in Medicine 17:873–890 (Table II).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

__all__ = [
    "DEFAULT_CONFIDENCE",
    "Interval",
    "Proportion",
    "ProportionDifference",
    "newcombe_interval",
    "wilson_interval",
    "z_for_confidence",
]

DEFAULT_CONFIDENCE = 0.95
"""The confidence level used when none is given: 95 %."""

_STANDARD_NORMAL = NormalDist()


def _check_confidence(confidence: float) -> None:
    if not (isinstance(confidence, float | int) and 0.0 < confidence < 1.0):
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}")


def _check_counts(successes: int, trials: int) -> None:
    if isinstance(successes, bool) or isinstance(trials, bool):
        raise ValueError("counts must be integers, not booleans")
    if trials < 0:
        raise ValueError(f"trials must be non-negative, got {trials}")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials ({trials}), got {successes}")


def z_for_confidence(confidence: float = DEFAULT_CONFIDENCE) -> float:
    """Return the two-sided standard normal quantile for a confidence level.

    ``z_for_confidence(0.95)`` is 1.959964…, ``z_for_confidence(0.90)`` is 1.644853….

    Raises:
        ValueError: if ``confidence`` is not strictly between 0 and 1.
    """
    _check_confidence(confidence)
    return _STANDARD_NORMAL.inv_cdf((1.0 + confidence) / 2.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Interval:
    """A closed interval ``[lower, upper]`` of real numbers (a confidence interval).

    Raises:
        ValueError: if a bound is not finite or ``lower > upper``.
    """

    lower: float
    upper: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lower) and math.isfinite(self.upper)):
            raise ValueError(f"interval bounds must be finite, got [{self.lower}, {self.upper}]")
        if self.lower > self.upper:
            raise ValueError(f"interval lower bound {self.lower} exceeds upper bound {self.upper}")

    @property
    def width(self) -> float:
        """``upper − lower``."""
        return self.upper - self.lower

    def contains(self, value: float) -> bool:
        """Whether ``lower ≤ value ≤ upper``."""
        return self.lower <= value <= self.upper

    def excludes_zero(self) -> bool:
        """Whether the whole interval lies on one side of 0 (a statistically significant change)."""
        return not self.contains(0.0)


def wilson_interval(
    successes: int, trials: int, *, confidence: float = DEFAULT_CONFIDENCE
) -> Interval | None:
    """Wilson score interval for ``successes / trials``; ``None`` when ``trials`` is 0.

    >>> ci = wilson_interval(0, 20)
    >>> ci.lower, round(ci.upper, 4)
    (0.0, 0.1611)

    Raises:
        ValueError: on negative counts, ``successes > trials`` or a confidence outside (0, 1).
    """
    _check_counts(successes, trials)
    z = z_for_confidence(confidence)
    if trials == 0:
        return None
    n = float(trials)
    x = float(successes)
    z2 = z * z
    centre = (x + z2 / 2.0) / (n + z2)
    half = z * math.sqrt(x * (n - x) / n + z2 / 4.0) / (n + z2)
    p = x / n
    # At 0 and n successes the exact bound is 0 or 1; floating point can miss it by an ulp.
    lower = 0.0 if successes == 0 else min(max(centre - half, 0.0), p)
    upper = 1.0 if successes == trials else max(min(centre + half, 1.0), p)
    return Interval(lower=lower, upper=upper)


def newcombe_interval(
    successes_1: int,
    trials_1: int,
    successes_2: int,
    trials_2: int,
    *,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Interval | None:
    """Newcombe hybrid score interval for ``successes_1/trials_1 − successes_2/trials_2``.

    The two rates must come from independent groups (e.g. targeted vs control invitations, or this
    month's cohort vs last month's). Returns ``None`` when either group is empty.

    >>> ci = newcombe_interval(9, 10, 3, 10)
    >>> round(ci.lower, 4), round(ci.upper, 4)
    (0.1705, 0.809)

    Raises:
        ValueError: on invalid counts or confidence (see :func:`wilson_interval`).
    """
    first = wilson_interval(successes_1, trials_1, confidence=confidence)
    second = wilson_interval(successes_2, trials_2, confidence=confidence)
    if first is None or second is None:
        return None
    p1 = successes_1 / trials_1
    p2 = successes_2 / trials_2
    d = p1 - p2
    lower = d - math.hypot(p1 - first.lower, second.upper - p2)
    upper = d + math.hypot(first.upper - p1, p2 - second.lower)
    return Interval(lower=min(max(lower, -1.0), d), upper=max(min(upper, 1.0), d))


@dataclass(frozen=True, slots=True, kw_only=True)
class Proportion:
    """``successes`` out of ``trials``, with its rate and Wilson interval.

    >>> share = Proportion(successes=81, trials=263)
    >>> round(share.rate, 4), round(share.interval.lower, 4), round(share.interval.upper, 4)
    (0.308, 0.2553, 0.3662)

    Raises:
        ValueError: on negative counts, ``successes > trials`` or a confidence outside (0, 1).
    """

    successes: int
    trials: int
    confidence: float = DEFAULT_CONFIDENCE

    def __post_init__(self) -> None:
        _check_counts(self.successes, self.trials)
        _check_confidence(self.confidence)

    @property
    def rate(self) -> float | None:
        """``successes / trials``, or ``None`` when there were no trials."""
        return self.successes / self.trials if self.trials else None

    @property
    def interval(self) -> Interval | None:
        """The Wilson score interval at :attr:`confidence`; ``None`` when there were no trials."""
        return wilson_interval(self.successes, self.trials, confidence=self.confidence)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProportionDifference:
    """The difference ``first.rate − second.rate`` of two independent proportions.

    The interval is Newcombe's hybrid score interval at the confidence level of ``first`` (both
    proportions must use the same level).

    >>> diff = ProportionDifference(
    ...     first=Proportion(successes=56, trials=70), second=Proportion(successes=48, trials=80)
    ... )
    >>> round(diff.estimate, 4), diff.significant
    (0.2, True)

    Raises:
        ValueError: if the two proportions use different confidence levels.
    """

    first: Proportion
    second: Proportion

    def __post_init__(self) -> None:
        if self.first.confidence != self.second.confidence:
            raise ValueError(
                "both proportions must use the same confidence level, got "
                f"{self.first.confidence} and {self.second.confidence}"
            )

    @property
    def confidence(self) -> float:
        """The confidence level of the interval."""
        return self.first.confidence

    @property
    def estimate(self) -> float | None:
        """``first.rate − second.rate``, or ``None`` if either side has no trials."""
        r1, r2 = self.first.rate, self.second.rate
        return None if r1 is None or r2 is None else r1 - r2

    @property
    def interval(self) -> Interval | None:
        """Newcombe's hybrid score interval, or ``None`` if either side has no trials."""
        return newcombe_interval(
            self.first.successes,
            self.first.trials,
            self.second.successes,
            self.second.trials,
            confidence=self.confidence,
        )

    @property
    def significant(self) -> bool:
        """Whether the interval exists and excludes 0 (the difference is unlikely to be chance)."""
        interval = self.interval
        return interval is not None and interval.excludes_zero()
