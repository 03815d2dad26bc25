import pytest

from invitations import Invitation
from invitations.rules import no_show
from tests.invitations.builders import (
    day,
    make_appointment,
    make_customer,
    make_policy,
    make_vehicle,
)


def evaluate(today: str, *appointments: object, country: str = "CZ") -> list[Invitation]:
    return no_show.evaluate(
        make_vehicle(appointments=appointments),
        customer=make_customer(),
        today=day(today),
        policy=make_policy(country=country),
    )


@pytest.mark.parametrize(
    ("missed", "country", "due"),
    [
        ("2025-12-03", "CZ", "2025-12-04"),  # Wednesday → Thursday
        ("2025-12-05", "CZ", "2025-12-08"),  # Friday → Monday
        ("2025-12-24", "CZ", "2025-12-29"),  # 25/26 Dec holidays, then a weekend
        ("2025-10-02", "DE", "2025-10-06"),  # 3 Oct: German Unity Day, then a weekend
        ("2025-10-02", "CZ", "2025-10-03"),
        ("2025-11-26", "US", "2025-11-28"),  # Thanksgiving
    ],
)
def test_no_show_is_rebooked_the_next_working_day(missed: str, country: str, due: str) -> None:
    [invitation] = evaluate(
        "2026-01-05" if due > "2025-12-20" else due,
        make_appointment(missed, status="no_show"),
        country=country,
    )
    assert invitation.due_date == invitation.window_opens == day(due)


def test_no_show_explains_the_missed_appointment() -> None:
    [invitation] = evaluate(
        "2025-12-29", make_appointment("2025-12-24", status="no_show", id="A-7")
    )
    assert invitation.dedup_key == "no_show:TMBJJ7NE8L0123456:A-7"
    assert invitation.window_expires == day("2026-01-12")
    assert invitation.priority == 65
    assert invitation.explanation.render() == (
        "Missed the appointment on 24 Dec 2025; rebook from 29 Dec 2025"
    )


@pytest.mark.parametrize("status", ["booked", "confirmed", "arrived", "cancelled"])
def test_only_no_shows_are_rebooked(status: str) -> None:
    assert evaluate("2025-12-10", make_appointment("2025-12-03", status=status)) == []


def test_no_show_is_not_due_before_the_next_working_day() -> None:
    assert evaluate("2025-12-05", make_appointment("2025-12-05", status="no_show")) == []
