"""Every figure of the hand-built dataset (``factories.build_known_dataset``), worked out by hand.

Intervals are 95 % Wilson intervals, z = 1.959964:
centre = (x + z²/2)/(n + z²), half = z·√(x(n−x)/n + z²/4)/(n + z²); at x = 0 the lower bound is 0
and at x = n the upper bound is 1. Values are rounded to 4 decimals here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from app.errors import BadRequest, NotFound
from app.reporting import service as reporting_service
from reports import Grain
from tests.app.reporting.factories import KnownDataset, build_known_dataset

Q1 = {"start": date(2026, 1, 1), "end": date(2026, 4, 1)}


@pytest.fixture
def known(session: Session) -> KnownDataset:
    return build_known_dataset(session)


def scope(known: KnownDataset) -> frozenset[int]:
    assert known.dealer.id is not None
    return frozenset({known.dealer.id})


def rate(figure: dict[str, Any]) -> tuple[int, int, float | None, float | None, float | None]:
    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 4)

    return (
        figure["successes"],
        figure["trials"],
        r(figure["rate"]),
        r(figure["lower"]),
        r(figure["upper"]),
    )


def stages(funnel: dict[str, Any]) -> tuple[int, ...]:
    names = ("due", "suppressed", "control", "control_arrived", "targeted", "attempted")
    names += ("reached", "booked", "arrived_from_booking", "arrived")
    return tuple(funnel[n] for n in names)


class TestFunnel:
    def test_quarter_totals_in_invitations(self, session: Session, known: KnownDataset) -> None:
        report = reporting_service.funnel_report(session, **Q1, dealer_ids=scope(known))
        inv = report.data["total"]["invitations"]
        # due: i1…i11 = 11; suppressed: i6 (do_not_call), i10 (expired, never queued) = 2;
        # control: i5, i9 = 2, of which i5 came in (r5 on 1 March, 19 days after due);
        # targeted = 11 − 2 − 2 = 7 (i1 i2 i3 i4 i7 i8 i11; i11 expired after being queued);
        # attempted: all 7 (t1, t2, t3, t4 each have a counted attempt);
        # reached: i1 i7 (t1 booked), i2 i11 (t2 declined), i8 (t4 booked) = 5;
        # booked: i1 i7 (appointment a1 for v1 from t1), i8 (a4) = 3;
        # arrived from booking: a1 arrived → i1 i7 = 2 (a4 was a no-show);
        # arrived: i1 i7, i2 (r2 36 days after due), i8 (r8 49 days after booking) = 4.
        assert stages(inv) == (11, 2, 2, 1, 7, 7, 5, 3, 2, 4)
        assert inv["suppressed_by_reason"] == {"do_not_call": 1, "expired": 1}
        rates = inv["rates"]
        assert rate(rates["suppression_rate"]) == (2, 11, 0.1818, 0.0514, 0.477)
        assert rate(rates["attempt_rate"]) == (7, 7, 1.0, 0.6457, 1.0)
        assert rate(rates["reach_rate"]) == (5, 7, 0.7143, 0.3589, 0.9178)
        assert rate(rates["booking_rate"]) == (3, 5, 0.6, 0.2307, 0.8824)
        assert rate(rates["show_rate"]) == (2, 3, 0.6667, 0.2077, 0.9385)
        assert rate(rates["conversion_rate"]) == (4, 7, 0.5714, 0.2505, 0.8418)
        assert rate(rates["control_arrival_rate"]) == (1, 2, 0.5, 0.0945, 0.9055)

    def test_revenue_counts_each_repair_order_once(
        self, session: Session, known: KnownDataset
    ) -> None:
        report = reporting_service.funnel_report(session, **Q1, dealer_ids=scope(known))
        # r1 (150 customer pay + 30 warranty) is attributed to i1 and i7 but counted once;
        # r2 200 customer pay (i2); r8 80 internal (i8); r5 belongs to the control group and
        # r3 opened after the window: neither counts. Total 460.
        assert report.data["total"]["invitations"]["revenue"] == {
            "customer_pay": "350.00",
            "warranty": "30.00",
            "internal": "80.00",
            "total": "460.00",
            "per_targeted": "65.71",  # 460 / 7
            "per_arrived": "115.00",  # 460 / 4
        }

    def test_quarter_totals_in_distinct_customers(
        self, session: Session, known: KnownDataset
    ) -> None:
        report = reporting_service.funnel_report(session, **Q1, dealer_ids=scope(known))
        cus = report.data["total"]["customers"]
        # due: c1 (i1 i7), c2 (i2 i11), c3 (i3 i4), c4, c5, c6, c7, c8 = 8; suppressed c5, c8;
        # control c4, c7 (c4 came in); targeted c1 c2 c3 c6; all four attempted; reached c1 c2
        # c6; booked c1 c6; arrived from booking c1; arrived c1 c2 c6.
        assert stages(cus) == (8, 2, 2, 1, 4, 4, 3, 2, 1, 3)
        assert cus["suppressed_by_reason"] == {"do_not_call": 1, "expired": 1}
        assert rate(cus["rates"]["conversion_rate"]) == (3, 4, 0.75, 0.3006, 0.9544)

    def test_months_split_the_cohort_by_due_date(
        self, session: Session, known: KnownDataset
    ) -> None:
        report = reporting_service.funnel_report(
            session, **Q1, grain=Grain.MONTH, dealer_ids=scope(known)
        )
        got = {p["period"]: stages(p["invitations"]) for p in report.data["periods"]}
        assert got == {
            # January: i1 i2 i7, all reached; i1 i7 booked and arrived; i2 organic.
            "2026-01": (3, 0, 0, 0, 3, 3, 3, 2, 2, 3),
            # February: i3 i4 (attempted, not reached), i5 control (arrived).
            "2026-02": (3, 0, 1, 1, 2, 2, 0, 0, 0, 0),
            # March: i6 i10 suppressed, i9 control, i8 booked (no-show, came later), i11.
            "2026-03": (5, 2, 1, 0, 2, 2, 2, 1, 0, 1),
        }
        revenue = {
            p["period"]: p["invitations"]["revenue"]["total"] for p in report.data["periods"]
        }
        assert revenue == {"2026-01": "380.00", "2026-02": "0.00", "2026-03": "80.00"}

    def test_segments_are_a_dimension(self, session: Session, known: KnownDataset) -> None:
        report = reporting_service.funnel_report(
            session, **Q1, grain=Grain.QUARTER, dimension="segment", dealer_ids=scope(known)
        )
        got = {p["segment"]: stages(p["invitations"]) for p in report.data["periods"]}
        assert {p["period"] for p in report.data["periods"]} == {"2026-Q1"}
        assert got == {
            "vip": (2, 0, 0, 0, 2, 2, 2, 2, 2, 2),  # c1: i1 i7
            "high": (2, 0, 0, 0, 2, 2, 2, 0, 0, 1),  # c2: i2 i11
            "low": (2, 0, 0, 0, 2, 2, 0, 0, 0, 0),  # c3: i3 i4
            "standard": (5, 2, 2, 1, 1, 1, 1, 1, 0, 1),  # i5 i6 i8 i9 i10
        }

    def test_uplift_per_type_with_newcombe_intervals(
        self, session: Session, known: KnownDataset
    ) -> None:
        report = reporting_service.funnel_report(session, **Q1, dealer_ids=scope(known))
        uplift = {u["type"]: u for u in report.data["uplift"]}
        # next_service: targeted i1 i2 i3 i4, arrived i1 i2 → 2/4 [0.15, 0.85];
        # control i5 arrived → 1/1 [0.2065, 1]. Uplift 0.5 − 1 = −0.5;
        # lower = −0.5 − √((0.5 − 0.15)² + (1 − 1)²) = −0.85;
        # upper = −0.5 + √((0.85 − 0.5)² + (1 − 0.2065)²) = 0.3672.
        ns = uplift["next_service"]
        assert rate(ns["targeted"]) == (2, 4, 0.5, 0.15, 0.85)
        assert rate(ns["control"]) == (1, 1, 1.0, 0.2065, 1.0)
        assert (round(ns["uplift"], 4), round(ns["lower"], 4), round(ns["upper"], 4)) == (
            -0.5,
            -0.85,
            0.3672,
        )
        assert ns["significant"] is False
        assert ns["incremental_arrivals"] == pytest.approx(-2.0)  # −0.5 × 4
        # warranty_expiry: targeted i7 i8 both arrived → 2/2 [0.3424, 1]; control i9 did not →
        # 0/1 [0, 0.7935]. Uplift 1; lower = 1 − √((1 − 0.3424)² + 0.7935²) = −0.0305; upper 1.
        we = uplift["warranty_expiry"]
        assert (round(we["uplift"], 4), round(we["lower"], 4), round(we["upper"], 4)) == (
            1.0,
            -0.0305,
            1.0,
        )
        # lapsed: i11 targeted, no control group → no uplift.
        assert uplift["lapsed"]["uplift"] is None
        assert uplift["lapsed"]["lower"] is None
        assert uplift["lapsed"]["significant"] is False

    def test_the_previous_quarter_is_compared(self, session: Session, known: KnownDataset) -> None:
        report = reporting_service.funnel_report(session, **Q1, dealer_ids=scope(known))
        previous = report.data["previous"]
        assert (previous["from"], previous["to"]) == ("2025-10-01", "2026-01-01")
        # 2025-Q4: i12 (targeted, never called) and i13 (suppressed: sold).
        assert stages(previous["invitations"]) == (2, 1, 0, 0, 1, 0, 0, 0, 0, 0)
        change = report.data["comparison"]
        assert change["due"] == {"current": 11, "previous": 2, "change": 9, "relative": 4.5}
        # attempt rate 7/7 against 0/1: +1.0; Newcombe lower = 1 − √((1 − 0.6457)² + 0.7935²)
        # = 0.131, upper 1.
        attempt = change["attempt_rate"]
        assert (attempt["current"], attempt["previous"], attempt["change"]) == (1.0, 0.0, 1.0)
        assert (round(attempt["lower"], 4), attempt["upper"], attempt["significant"]) == (
            0.131,
            1.0,
            True,
        )
        assert change["revenue"]["change"] == "460.00"
        assert change["revenue"]["relative"] is None  # nothing the quarter before

    def test_a_calendar_year_is_compared_with_the_calendar_year_before(
        self, session: Session, known: KnownDataset
    ) -> None:
        # 2025 has 365 days and 2024 had 366: the previous period is the whole of 2024, not the
        # 365 days before 2025 (which would start on 2 January 2024).
        year = {"start": date(2025, 1, 1), "end": date(2026, 1, 1)}
        report = reporting_service.funnel_report(session, **year, dealer_ids=scope(known))
        previous = report.data["previous"]
        assert (previous["from"], previous["to"]) == ("2024-01-01", "2025-01-01")
        other = {"start": date(2025, 1, 1), "end": date(2025, 7, 1)}  # no calendar period
        report = reporting_service.funnel_report(session, **other, dealer_ids=scope(known))
        assert report.data["previous"]["from"] == "2024-07-04"  # the same 181 days before

    def test_other_dealers_are_outside_the_callers_scope(
        self, session: Session, known: KnownDataset
    ) -> None:
        mine = reporting_service.funnel_report(session, **Q1, dealer_ids=scope(known))
        assert mine.data["total"]["invitations"]["due"] == 11
        with pytest.raises(NotFound, match="dealer"):
            reporting_service.funnel_report(
                session, **Q1, dealer=known.other_dealer.code, dealer_ids=scope(known)
            )
        both = reporting_service.funnel_report(
            session,
            **Q1,
            grain=Grain.QUARTER,
            dimension="dealer",
            dealer_ids=frozenset({known.dealer.id or 0, known.other_dealer.id or 0}),
        )
        per_dealer = {p["dealer"]: p["invitations"]["due"] for p in both.data["periods"]}
        assert per_dealer == {known.dealer.code: 11, known.other_dealer.code: 1}

    def test_an_empty_or_reversed_range_is_refused(
        self, session: Session, known: KnownDataset
    ) -> None:
        with pytest.raises(BadRequest, match="to"):
            reporting_service.funnel_report(
                session, start=date(2026, 4, 1), end=date(2026, 1, 1), dealer_ids=scope(known)
            )


class TestAgents:
    def test_agent_kpis_per_agent_and_month(self, session: Session, known: KnownDataset) -> None:
        report = reporting_service.agents_report(session, **Q1, dealer_ids=scope(known))
        agents = {a["agent_id"]: a for a in report.data["agents"]}
        a, b = agents[known.agent_a.id], agents[known.agent_b.id]
        # A: 60 s no answer + 300 s booked (t1, arrived) + 240 s booked (t4, no-show).
        assert (a["attempts"], a["contacts"], a["bookings"], a["arrived"]) == (3, 2, 2, 1)
        assert (a["handling_seconds"], a["logged_seconds"]) == (600.0, 600.0)
        assert a["attempts_per_hour"] == pytest.approx(18.0)  # 3 / (600 / 3600)
        assert a["average_handling_seconds"] == pytest.approx(200.0)  # 600 / 3
        assert rate(a["reach_rate"]) == (2, 3, 0.6667, 0.2077, 0.9385)
        assert rate(a["show_rate"]) == (1, 2, 0.5, 0.0945, 0.9055)
        # B: 180 s declined, 60 s no answer at 00:30 Prague on 1 Feb, 120 s declined; the
        # abandoned dial at 01:10 Prague is no attempt but ends that day's span:
        # spans 180 + (00:30:00 → 01:10:30 = 2,430) + 120 = 2,730 s.
        assert (b["attempts"], b["contacts"], b["bookings"], b["arrived"]) == (3, 2, 0, 0)
        assert (b["handling_seconds"], b["logged_seconds"]) == (360.0, 2730.0)
        assert b["attempts_per_hour"] == pytest.approx(3.956, abs=1e-3)  # 3 / (2730 / 3600)
        assert b["show_rate"]["rate"] is None
        team = report.data["team"]
        assert (team["attempts"], team["contacts"], team["bookings"], team["arrived"]) == (
            6,
            4,
            2,
            1,
        )
        assert team["average_handling_seconds"] == pytest.approx(160.0)  # 960 / 6

    def test_attempts_are_bucketed_by_the_dealers_local_date(
        self, session: Session, known: KnownDataset
    ) -> None:
        report = reporting_service.agents_report(session, **Q1, dealer_ids=scope(known))
        b = {
            p["period"]: p["attempts"]
            for p in report.data["periods"]
            if p["agent_id"] == known.agent_b.id
        }
        # 23:30 UTC on 31 January is 00:30 on 1 February in Prague.
        assert b == {"2026-01": 1, "2026-02": 1, "2026-03": 1}


class TestRetention:
    def test_orphans_retention_and_reactivation(
        self, session: Session, known: KnownDataset
    ) -> None:
        report = reporting_service.retention_report(
            session, start=date(2024, 1, 1), end=date(2024, 4, 1), dealer_ids=scope(known)
        )
        (row,) = report.data["dealers"]
        # Active vehicles v1…v8 (v9 sold). With an RO in (2023-03-31, 2024-03-31]: v1, v2, v3,
        # v6, v8; orphans v4, v5, v7 → 3/8.
        assert (row["active_vehicles"], row["orphan_vehicles"]) == (8, 3)
        assert rate(row["orphan_share"]) == (3, 8, 0.375, 0.1368, 0.6943)
        # Served in 2024-Q1: c1, c2, c3, c5. Back by 2025-04-01: c2 (Sept 2024); by
        # 2026-04-01: c2 and c1 (20 Jan 2026).
        assert (row["cohort_customers"], row["retained_12_months"], row["retained_24_months"]) == (
            4,
            1,
            2,
        )
        assert rate(row["retention_12_months"]) == (1, 4, 0.25, 0.0456, 0.6994)
        assert rate(row["retention_24_months"]) == (2, 4, 0.5, 0.15, 0.85)
        # Lapsed on 2024-01-01 (last visit on or before 2023-01-01): c5 (June 2022), c6
        # (Dec 2022); c7 (June 2023) is not. c5 came back in February 2024.
        assert (row["lapsed_customers"], row["reactivated_customers"]) == (2, 1)
        assert rate(row["reactivation_rate"]) == (1, 2, 0.5, 0.0945, 0.9055)


class TestRecalls:
    def test_completion_per_campaign_counts_only_the_dealers_vehicles(
        self, session: Session, known: KnownDataset
    ) -> None:
        report = reporting_service.recalls_report(session, dealer_ids=scope(known))
        (row,) = report.data["campaigns"]
        # open v1, completed here v2, elsewhere v3, not applicable v4: population 3.
        assert (row["open"], row["completed_here"], row["completed_elsewhere"]) == (1, 1, 1)
        assert (row["not_applicable"], row["population"]) == (1, 3)
        assert rate(row["completion_rate"]) == (2, 3, 0.6667, 0.2077, 0.9385)
        assert rate(row["completed_here_share"]) == (1, 3, 0.3333, 0.0615, 0.7923)


class TestAggregates:
    """The daily aggregate tables give exactly the raw-table figures of the hand-worked dataset."""

    @pytest.mark.parametrize(
        "kwargs",
        [
            {**Q1},
            {**Q1, "grain": Grain.DAY},
            {**Q1, "grain": Grain.WEEK, "dimension": "segment"},
            {**Q1, "dimension": "type"},
            {**Q1, "dimension": "dealer"},
            {**Q1, "dimension": "group"},
            {**Q1, "segment": "vip"},
            {"start": date(2025, 10, 1), "end": date(2026, 4, 1), "grain": Grain.QUARTER},
            {"start": date(2026, 2, 1), "end": date(2026, 3, 1), "grain": Grain.DAY},
        ],
    )
    def test_aggregates_equal_the_raw_queries(
        self, session: Session, known: KnownDataset, kwargs: dict[str, Any]
    ) -> None:
        raw = reporting_service.funnel_report(
            session, **kwargs, dealer_ids=scope(known), source="raw"
        )
        aggregated = reporting_service.funnel_report(session, **kwargs, dealer_ids=scope(known))
        assert aggregated.data == raw.data
        assert aggregated.data["total"]["invitations"]["due"] > 0

    def test_a_type_filter_keeps_each_repair_order_with_its_one_owner(
        self, session: Session, known: KnownDataset
    ) -> None:
        # The one difference from the raw queries, by design: r1 is claimed by i1 (next_service)
        # and i7 (warranty_expiry) and belongs to i1, the older. The raw query picks the owner
        # among the filtered cohort, so with type=warranty_expiry it gives r1 to i7; the
        # aggregates keep r1 with i1, so the per-type figures add up to the total.
        kwargs: dict[str, Any] = {**Q1, "type": "warranty_expiry", "dealer_ids": scope(known)}
        raw = reporting_service.funnel_report(session, **kwargs, source="raw").data
        aggregated = reporting_service.funnel_report(session, **kwargs).data
        by_type = reporting_service.funnel_report(
            session, **Q1, grain=Grain.QUARTER, dimension="type", dealer_ids=scope(known)
        ).data
        raw_by_type = reporting_service.funnel_report(
            session,
            **Q1,
            grain=Grain.QUARTER,
            dimension="type",
            dealer_ids=scope(known),
            source="raw",
        ).data
        assert by_type == raw_by_type
        (warranty,) = [p for p in by_type["periods"] if p["type"] == "warranty_expiry"]
        assert aggregated["total"]["invitations"]["revenue"] == warranty["invitations"]["revenue"]
        assert raw["total"]["invitations"]["revenue"] != warranty["invitations"]["revenue"]
        for unit in ("invitations", "customers"):
            a = dict(aggregated["total"][unit])
            r = dict(raw["total"][unit])
            a.pop("revenue", None)
            r.pop("revenue", None)
            assert a == r

    def test_a_refresh_replaces_the_days_it_covers(
        self, session: Session, known: KnownDataset
    ) -> None:
        from app.reporting.aggregates import refresh_aggregates

        before = reporting_service.funnel_report(session, **Q1, dealer_ids=scope(known)).data
        assert known.dealer.id is not None
        # Refreshing part of the range twice (two chunks cutting between i1 and i7, which both
        # claim RO r1) changes nothing: no row is doubled and r1 is still counted once, for i1.
        for since, until in ((date(2026, 1, 15), date(2026, 2, 1)), (date(2026, 1, 1), Q1["end"])):
            refresh_aggregates(session, known.dealer.id, since, until)
            refresh_aggregates(session, known.dealer.id, since, until)
        after = reporting_service.funnel_report(session, **Q1, dealer_ids=scope(known)).data
        assert after == before


class TestAgentAggregates:
    """``report_agent_day`` gives exactly the raw-table agent figures of the hand-worked dataset."""

    @pytest.mark.parametrize(
        "kwargs",
        [
            {**Q1},
            {**Q1, "grain": Grain.DAY},
            {**Q1, "grain": Grain.WEEK},
            {"start": date(2025, 10, 1), "end": date(2026, 4, 1), "grain": Grain.QUARTER},
            {"start": date(2026, 2, 1), "end": date(2026, 3, 1), "grain": Grain.DAY},
        ],
    )
    def test_the_agent_report_from_the_aggregates_equals_the_raw_queries(
        self, session: Session, known: KnownDataset, kwargs: dict[str, Any]
    ) -> None:
        raw = reporting_service.agents_report(
            session, **kwargs, dealer_ids=scope(known), source="raw"
        )
        aggregated = reporting_service.agents_report(session, **kwargs, dealer_ids=scope(known))
        assert aggregated.data == raw.data
        assert aggregated.tables == raw.tables

    def test_one_dealer_and_a_refresh_twice(self, session: Session, known: KnownDataset) -> None:
        from app.reporting.aggregates import refresh_aggregates

        code = known.dealer.code
        raw = reporting_service.agents_report(
            session, **Q1, dealer=code, dealer_ids=scope(known), source="raw"
        ).data
        assert raw["team"]["attempts"] > 0
        assert known.dealer.id is not None
        for since, until in ((date(2026, 1, 15), date(2026, 2, 1)), (date(2026, 1, 1), Q1["end"])):
            refresh_aggregates(session, known.dealer.id, since, until)
            refresh_aggregates(session, known.dealer.id, since, until)
        aggregated = reporting_service.agents_report(
            session, **Q1, dealer=code, dealer_ids=scope(known)
        ).data
        assert aggregated == raw
