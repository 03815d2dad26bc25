"""Funnel counts, their rates, combining slices and period-over-period comparison."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.funnel import (
    CountUnit,
    FunnelCounts,
    FunnelPair,
    Revenue,
    combine_funnels,
    compare_funnels,
    funnel_kpis,
    funnel_pair_kpis,
)


def make_funnel(**overrides: Any) -> FunnelCounts:
    """The worked example of the module docstring, with overrides (targeted follows by default)."""
    fields: dict[str, Any] = {
        "due": 1000,
        "suppressed": {"dnc": 30, "vehicle_sold": 50},
        "control": 50,
        "control_arrived": 9,
        "attempted": 800,
        "reached": 480,
        "booked": 240,
        "arrived": 261,
        "arrived_from_booking": 204,
        "revenue": Revenue(
            customer_pay=Decimal("41000.00"),
            warranty=Decimal("9000.00"),
            internal=Decimal("2200.00"),
        ),
    }
    fields.update(overrides)
    if "targeted" not in fields:
        suppressed: Mapping[str, int] = fields["suppressed"]
        fields["targeted"] = fields["due"] - sum(suppressed.values()) - fields["control"]
    return FunnelCounts(**fields)


class TestFunnelKpis:
    def test_worked_example_rates(self) -> None:
        kpis = funnel_kpis(make_funnel())
        assert kpis.counts.targeted == 870
        assert kpis.attempt_rate.rate == pytest.approx(800 / 870)
        assert kpis.reach_rate.rate == pytest.approx(0.60)
        assert kpis.booking_rate.rate == pytest.approx(0.50)
        assert kpis.show_rate.rate == pytest.approx(0.85)
        assert kpis.conversion_rate.rate == pytest.approx(0.30)
        assert kpis.control_arrival_rate.rate == pytest.approx(0.18)
        assert kpis.suppression_rate.rate == pytest.approx(0.08)

    def test_worked_example_revenue_ratios(self) -> None:
        kpis = funnel_kpis(make_funnel())
        assert kpis.revenue_per_targeted == Decimal("60")
        assert kpis.revenue_per_arrived == Decimal("200")

    @pytest.mark.parametrize(
        "rate_name",
        ["attempt_rate", "reach_rate", "booking_rate", "show_rate", "conversion_rate"],
    )
    def test_every_stage_rate_carries_a_wilson_interval_around_it(self, rate_name: str) -> None:
        rate = getattr(funnel_kpis(make_funnel()), rate_name)
        assert rate.rate is not None
        assert rate.interval is not None
        assert rate.interval.lower < rate.rate < rate.interval.upper

    def test_the_confidence_level_reaches_every_rate(self) -> None:
        kpis = funnel_kpis(make_funnel(), confidence=0.9)
        assert kpis.reach_rate.confidence == 0.9
        assert kpis.show_rate.confidence == 0.9

    def test_an_empty_funnel_has_undefined_rates_not_errors(self) -> None:
        kpis = funnel_kpis(FunnelCounts(due=0, targeted=0))
        assert kpis.attempt_rate.rate is None
        assert kpis.attempt_rate.interval is None
        assert kpis.show_rate.rate is None
        assert kpis.revenue_per_targeted is None
        assert kpis.revenue_per_arrived is None

    def test_organic_arrivals_count_in_conversion_but_not_in_show_rate(self) -> None:
        kpis = funnel_kpis(
            make_funnel(attempted=0, reached=0, booked=0, arrived=100, arrived_from_booking=0)
        )
        assert kpis.conversion_rate.successes == 100
        assert kpis.show_rate.trials == 0
        assert kpis.show_rate.rate is None


class TestFunnelCountsValidation:
    def test_targeted_must_equal_due_minus_suppressed_minus_control(self) -> None:
        with pytest.raises(ValueError, match="due − suppressed − control"):
            make_funnel(targeted=871)

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"attempted": 871}, "attempted"),
            ({"reached": 801}, "reached"),
            ({"booked": 481}, "booked"),
            ({"arrived_from_booking": 241, "arrived": 300}, "arrived_from_booking"),
            ({"arrived": 871}, "arrived"),
            ({"arrived": 100, "arrived_from_booking": 101}, "arrived_from_booking"),
            ({"control_arrived": 51}, "control_arrived"),
        ],
    )
    def test_a_stage_cannot_exceed_the_stage_before_it(
        self, overrides: dict[str, int], message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            make_funnel(**overrides)

    @pytest.mark.parametrize(
        "overrides",
        [{"attempted": -1}, {"suppressed": {"dnc": -1}}, {"control": True}, {"due": 1.5}],
    )
    def test_counts_must_be_non_negative_integers(self, overrides: dict[str, Any]) -> None:
        with pytest.raises(ValueError, match="non-negative integer"):
            make_funnel(**overrides)

    def test_suppression_reasons_must_be_named(self) -> None:
        with pytest.raises(ValueError, match="non-empty strings"):
            make_funnel(suppressed={"": 80})

    def test_revenue_must_be_finite(self) -> None:
        with pytest.raises(ValueError, match="finite Decimal"):
            Revenue(customer_pay=Decimal("NaN"))

    def test_suppressed_reasons_are_sorted_and_read_only(self) -> None:
        counts = make_funnel(suppressed={"vehicle_sold": 50, "dnc": 30})
        assert list(counts.suppressed) == ["dnc", "vehicle_sold"]
        assert counts.suppressed_total == 80
        with pytest.raises(TypeError):
            counts.suppressed["dnc"] = 0  # type: ignore[index]

    def test_customer_counts_need_not_satisfy_the_invitation_identity(self) -> None:
        customers = FunnelCounts(
            unit=CountUnit.CUSTOMERS, due=10, suppressed={"dnc": 3}, control=1, targeted=9
        )
        assert customers.targeted == 9

    def test_customer_counts_cannot_exceed_due_customers(self) -> None:
        with pytest.raises(ValueError, match="targeted"):
            FunnelCounts(unit=CountUnit.CUSTOMERS, due=10, targeted=11)


class TestFunnelPair:
    def test_pair_gives_kpis_for_both_units(self) -> None:
        invitations = make_funnel()
        customers = make_funnel(
            unit=CountUnit.CUSTOMERS,
            due=900,
            suppressed={"dnc": 25, "vehicle_sold": 40},
            targeted=800,
            attempted=760,
            reached=450,
            booked=230,
            arrived=250,
            arrived_from_booking=200,
        )
        kpis = funnel_pair_kpis(FunnelPair(invitations=invitations, customers=customers))
        assert kpis.invitations.counts.unit is CountUnit.INVITATIONS
        assert kpis.customers.reach_rate.rate == pytest.approx(450 / 760)

    def test_more_customers_than_invitations_at_a_stage_is_rejected(self) -> None:
        invitations = make_funnel()
        customers = make_funnel(unit=CountUnit.CUSTOMERS, targeted=870, reached=481, attempted=800)
        with pytest.raises(ValueError, match="customers reached"):
            FunnelPair(invitations=invitations, customers=customers)

    def test_units_must_be_in_their_slots(self) -> None:
        with pytest.raises(ValueError, match="must count customers"):
            FunnelPair(invitations=make_funnel(), customers=make_funnel())


class TestCombineFunnels:
    def test_combining_adds_counts_reasons_and_revenue(self) -> None:
        first = make_funnel()
        second = make_funnel(
            due=100,
            suppressed={"no_phone": 10},
            control=5,
            control_arrived=1,
            attempted=80,
            reached=40,
            booked=20,
            arrived=30,
            arrived_from_booking=18,
            revenue=Revenue(customer_pay=Decimal("100.50")),
        )
        combined = combine_funnels([first, second])
        assert combined.due == 1100
        assert dict(combined.suppressed) == {"dnc": 30, "no_phone": 10, "vehicle_sold": 50}
        assert combined.targeted == 870 + 85
        assert combined.arrived_from_booking == 222
        assert combined.revenue.customer_pay == Decimal("41100.50")
        assert combined.revenue.total == Decimal("52300.50")

    def test_combining_nothing_gives_an_empty_funnel(self) -> None:
        empty = combine_funnels([], unit=CountUnit.CUSTOMERS)
        assert empty.unit is CountUnit.CUSTOMERS
        assert empty.due == 0
        assert empty.revenue.total == 0

    def test_combining_different_units_is_rejected(self) -> None:
        customers = FunnelCounts(unit=CountUnit.CUSTOMERS, due=1, targeted=1)
        with pytest.raises(ValueError, match="cannot combine"):
            combine_funnels([make_funnel(), customers])


@st.composite
def funnels(draw: st.DrawFn) -> FunnelCounts:
    suppressed = draw(
        st.dictionaries(
            st.sampled_from(["dnc", "opt_out", "no_phone", "sold"]),
            st.integers(min_value=0, max_value=50),
            max_size=3,
        )
    )
    control = draw(st.integers(min_value=0, max_value=50))
    targeted = draw(st.integers(min_value=0, max_value=500))
    attempted = draw(st.integers(min_value=0, max_value=targeted))
    reached = draw(st.integers(min_value=0, max_value=attempted))
    booked = draw(st.integers(min_value=0, max_value=reached))
    from_booking = draw(st.integers(min_value=0, max_value=booked))
    arrived = draw(st.integers(min_value=from_booking, max_value=targeted))
    cents = st.integers(min_value=0, max_value=10**8).map(lambda c: Decimal(c) / 100)
    return FunnelCounts(
        due=targeted + control + sum(suppressed.values()),
        suppressed=suppressed,
        control=control,
        control_arrived=draw(st.integers(min_value=0, max_value=control)),
        targeted=targeted,
        attempted=attempted,
        reached=reached,
        booked=booked,
        arrived=arrived,
        arrived_from_booking=from_booking,
        revenue=Revenue(customer_pay=draw(cents), warranty=draw(cents), internal=draw(cents)),
    )


@given(st.lists(funnels(), max_size=5), st.lists(funnels(), max_size=5))
def test_combining_is_additive(left: list[FunnelCounts], right: list[FunnelCounts]) -> None:
    whole = combine_funnels(left + right)
    in_two_steps = combine_funnels([combine_funnels(left), combine_funnels(right)])
    assert whole == in_two_steps
    assert whole.targeted == sum(part.targeted for part in left + right)
    assert whole.suppressed_total == sum(part.suppressed_total for part in left + right)
    assert whole.revenue.total == sum((part.revenue.total for part in left + right), Decimal(0))


@given(funnels())
def test_every_funnel_rate_lies_within_its_interval_and_zero_to_one(counts: FunnelCounts) -> None:
    kpis = funnel_kpis(counts)
    for rate in (
        kpis.attempt_rate,
        kpis.reach_rate,
        kpis.booking_rate,
        kpis.show_rate,
        kpis.conversion_rate,
        kpis.control_arrival_rate,
    ):
        if rate.rate is None:
            assert rate.trials == 0
        else:
            assert rate.interval is not None
            assert 0.0 <= rate.interval.lower <= rate.rate <= rate.interval.upper <= 1.0


class TestCompareFunnels:
    def test_counts_change_in_absolute_and_relative_terms(self) -> None:
        change = compare_funnels(make_funnel(), make_funnel(due=800, attempted=600))
        assert change.due.absolute == 200
        assert change.due.relative == pytest.approx(0.25)
        assert change.targeted.absolute == 200
        assert change.suppressed.absolute == 0
        assert change.suppressed.relative == 0.0

    def test_rates_change_in_points_with_a_newcombe_interval(self) -> None:
        current = make_funnel()
        previous = make_funnel(
            due=800, attempted=600, reached=240, booked=120, arrived_from_booking=100
        )
        change = compare_funnels(current, previous)
        assert change.reach_rate.absolute == pytest.approx(0.60 - 0.40)
        assert change.reach_rate.relative == pytest.approx(0.5)
        interval = change.reach_rate.interval
        assert interval is not None
        assert interval.lower < 0.2 < interval.upper
        assert change.reach_rate.significant

    def test_revenue_changes_as_decimals(self) -> None:
        previous = make_funnel(revenue=Revenue(customer_pay=Decimal("26100")))
        change = compare_funnels(make_funnel(), previous)
        assert change.revenue.absolute == Decimal("26100.00")
        assert change.revenue.relative == Decimal(1)
        assert change.revenue_per_arrived.absolute == Decimal(100)

    def test_nothing_last_period_leaves_relative_changes_undefined(self) -> None:
        change = compare_funnels(make_funnel(), FunnelCounts(due=0, targeted=0))
        assert change.due.relative is None
        assert change.attempt_rate.absolute is None
        assert change.attempt_rate.relative is None
        assert change.attempt_rate.interval is None
        assert change.attempt_rate.significant is False
        assert change.revenue_per_targeted.absolute is None
        assert change.revenue.relative is None

    def test_comparing_different_units_is_rejected(self) -> None:
        customers = FunnelCounts(unit=CountUnit.CUSTOMERS, due=1, targeted=1)
        with pytest.raises(ValueError, match="cannot compare"):
            compare_funnels(make_funnel(), customers)
