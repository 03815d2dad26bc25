"""Properties of the whole engine, checked on generated vehicles and customers."""

from __future__ import annotations

import calendar
import random
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from invitations import (
    CustomerFacts,
    InvitationStatus,
    InvitationType,
    VehicleFacts,
    add_months,
    due_invitations,
    in_control_group,
    plan_call_tasks,
)
from invitations.rules import warranty_expiry
from tests.invitations.builders import (
    make_appointment,
    make_customer,
    make_policy,
    make_reading,
    make_recall,
    make_ro,
    make_vehicle,
    make_warranty,
)

FAST = settings(max_examples=60, deadline=None)
START = date(2018, 1, 1)
days = st.integers(min_value=0, max_value=365 * 9)
any_date = days.map(lambda n: START + timedelta(days=n))
TODAY = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@st.composite
def vehicles(draw: st.DrawFn, vin: str = "VIN-1", customer_id: str = "C-1") -> VehicleFacts:
    delivered = draw(st.one_of(st.none(), any_date))
    visits = sorted(draw(st.lists(any_date, max_size=6, unique=True)))
    km = 0
    ros = []
    for when in visits:
        km += draw(st.integers(min_value=0, max_value=40_000))
        ros.append(
            make_ro(
                when.isoformat(),
                km=draw(st.one_of(st.none(), st.just(km))),
                kind=draw(
                    st.sampled_from(["maintenance", "repair", "inspection", "tyres", "other"])
                ),
            )
        )
    readings = [
        make_reading(when.isoformat(), value)
        for when, value in draw(
            st.lists(
                st.tuples(any_date, st.integers(0, 400_000)), max_size=4, unique_by=lambda t: t[0]
            )
        )
    ]
    recalls = [
        make_recall(f"RC{n}", start=when.isoformat(), remedy_available=draw(st.booleans()))
        for n, when in enumerate(draw(st.lists(any_date, max_size=2)))
    ]
    warranties = [
        make_warranty(kind, start=when.isoformat(), months=months, km_limit=limit)
        for kind, when, months, limit in draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["basic", "powertrain", "extended"]),
                    any_date,
                    st.integers(12, 84),
                    st.one_of(st.none(), st.integers(20_000, 200_000)),
                ),
                max_size=2,
                unique_by=lambda t: t[0],
            )
        )
    ]
    appointments = [
        make_appointment(when.isoformat(), status=status, id=f"A{n}")
        for n, (when, status) in enumerate(
            draw(
                st.lists(
                    st.tuples(any_date, st.sampled_from(["booked", "no_show", "arrived"])),
                    max_size=2,
                )
            )
        )
    ]
    return make_vehicle(
        vin=vin,
        customer_id=customer_id,
        delivery_date=delivered,
        sold_by_dealer=draw(st.booleans()),
        repair_orders=ros,
        odometer_readings=readings,
        recalls=recalls,
        warranties=warranties,
        appointments=appointments,
    )


customers = st.builds(
    make_customer,
    id=st.just("C-1"),
    marketing_calls=st.booleans(),
    do_not_call=st.booleans(),
    has_valid_phone=st.booleans(),
    segment=st.sampled_from(["vip", "high", "standard", "low"]),
    tyre_hotel=st.booleans(),
)


@FAST
@given(
    vehicle=vehicles(),
    customer=customers,
    today=TODAY,
    country=st.sampled_from(["CZ", "DE", "US", "FI"]),
)
def test_the_engine_is_deterministic(
    vehicle: VehicleFacts, customer: CustomerFacts, today: date, country: str
) -> None:
    policy = make_policy(country=country, holdout_pct=5)
    first = due_invitations([vehicle], customers={"C-1": customer}, today=today, policy=policy)
    again = due_invitations([vehicle], customers={"C-1": customer}, today=today, policy=policy)
    assert first == again
    # Rebuilt facts with the collections in another order give the same answer.
    shuffled = VehicleFacts(
        **{
            name: (list(reversed(value)) if isinstance(value, tuple) else value)
            for name, value in ((f, getattr(vehicle, f)) for f in VehicleFacts.__dataclass_fields__)
        }
    )
    assert (
        due_invitations([shuffled], customers={"C-1": customer}, today=today, policy=policy)
        == first
    )
    assert len({inv.dedup_key for inv in first}) == len(first)
    for inv in first:
        assert inv.window_opens <= today
        assert inv.explanation.render()


def recorded_dates(vehicle: VehicleFacts) -> set[date]:
    return {r.date for r in vehicle.odometer_readings} | {
        ro.date for ro in vehicle.repair_orders if ro.odometer_in is not None
    }


@FAST
@given(vehicle=vehicles(), today=TODAY)
def test_a_projection_never_makes_anything_overdue(vehicle: VehicleFacts, today: date) -> None:
    found = due_invitations(
        [vehicle], customers={"C-1": make_customer()}, today=today, policy=make_policy()
    )
    for inv in found:
        if inv.type is InvitationType.NEXT_SERVICE and inv.due_date < today:
            by = inv.explanation.params.get("by", "time")
            # Overdue only by the calendar (time) or on a recorded odometer reading's date.
            assert by == "time" or inv.due_date in recorded_dates(vehicle)
            # A projection never shortens the window below the recorded due date + grace.
            assert inv.window_expires >= inv.due_date + timedelta(days=90)
        if inv.type is InvitationType.WARRANTY_EXPIRY and inv.due_date < today:
            assert inv.explanation.message != warranty_expiry.MESSAGE_BY_KM


@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
    months=st.integers(-240, 240),
)
def test_month_arithmetic_clamps_to_the_month_end(start: date, months: int) -> None:
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    last_day = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(start.day, last_day)
    if (
        start.month == 2
        and start.day == 29
        and months % 12 == 0
        and not calendar.isleap(result.year)
    ):
        assert (result.month, result.day) == (2, 28)


@FAST
@given(count=st.integers(2, 5), today=TODAY, data=st.data())
def test_a_customer_with_several_due_vehicles_gets_exactly_one_call_task(
    count: int, today: date, data: st.DataObject
) -> None:
    fleet = [data.draw(vehicles(vin=f"VIN-{n}")) for n in range(count)]
    # Make sure every vehicle has something due: an open recall that started today.
    fleet = [
        make_vehicle(
            **{
                f: getattr(v, f)
                for f in VehicleFacts.__dataclass_fields__
                if f not in ("recalls", "appointments", "repair_orders")
            },
            recalls=[make_recall("DUE", start=today.isoformat())],
        )
        for v in fleet
    ]
    customer = make_customer(id="C-1")
    policy = make_policy()
    found = due_invitations(fleet, customers={"C-1": customer}, today=today, policy=policy)
    tasks = plan_call_tasks(found, customers={"C-1": customer}, today=today, policy=policy)
    assert len(tasks) == 1
    assert set(tasks[0].vins) == {v.vin for v in fleet}


@FAST
@given(fleet=st.lists(vehicles(), min_size=1, max_size=1), customer=customers, today=TODAY)
def test_opted_out_customers_are_only_queued_for_recalls(
    fleet: list[VehicleFacts], customer: CustomerFacts, today: date
) -> None:
    opted_out = make_customer(
        id="C-1",
        marketing_calls=False,
        do_not_call=False,
        has_valid_phone=True,
        tyre_hotel=customer.tyre_hotel,
        segment=customer.segment,
    )
    policy = make_policy()
    found = due_invitations(fleet, customers={"C-1": opted_out}, today=today, policy=policy)
    for inv in found:
        if inv.type is not InvitationType.RECALL:
            assert inv.status is not InvitationStatus.DUE
    for task in plan_call_tasks(found, customers={"C-1": opted_out}, today=today, policy=policy):
        assert task.recall_only
        assert {inv.type for inv in task.invitations} == {InvitationType.RECALL}


@FAST
@given(vehicle=vehicles(), customer=customers, today=TODAY)
def test_do_not_call_customers_are_never_queued(
    vehicle: VehicleFacts, customer: CustomerFacts, today: date
) -> None:
    dnc = make_customer(id="C-1", do_not_call=True, marketing_calls=customer.marketing_calls)
    policy = make_policy()
    found = due_invitations([vehicle], customers={"C-1": dnc}, today=today, policy=policy)
    assert all(inv.status is not InvitationStatus.DUE for inv in found)
    # Even invitations computed before the flag was set are not queued.
    consenting = make_customer(id="C-1")
    earlier = due_invitations([vehicle], customers={"C-1": consenting}, today=today, policy=policy)
    assert plan_call_tasks(earlier, customers={"C-1": dnc}, today=today, policy=policy) == []


@given(
    customer_id=st.text(min_size=1, max_size=20),
    kind=st.sampled_from(list(InvitationType)),
    month=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 1)).map(
        lambda d: d.replace(day=1)
    ),
    offset=st.integers(0, 27),
)
def test_control_group_is_stable_within_a_month(
    customer_id: str, kind: InvitationType, month: date, offset: int
) -> None:
    first = in_control_group(customer_id, kind, month, holdout_pct=5)
    assert first == in_control_group(
        customer_id, kind, month + timedelta(days=offset), holdout_pct=5
    )
    if kind is InvitationType.RECALL:
        assert not first


def test_control_group_share_is_close_to_the_setting_on_a_large_sample() -> None:
    rng = random.Random(20260105)
    kinds = [k for k in InvitationType if k is not InvitationType.RECALL]
    held = 0
    for _ in range(20_000):
        customer = f"{rng.randrange(10**9)}"
        month = date(rng.randrange(2020, 2030), rng.randrange(1, 13), 1)
        held += in_control_group(customer, rng.choice(kinds), month, holdout_pct=5)
    assert abs(held / 20_000 - 0.05) <= 0.015
