import pytest

from invitations import Invitation, InvitationType, RecallStatus
from invitations.rules import recall
from tests.invitations.builders import day, make_customer, make_policy, make_recall, make_vehicle


def evaluate(today: str, *recalls: object) -> list[Invitation]:
    return recall.evaluate(
        make_vehicle(recalls=recalls or [make_recall()]),
        customer=make_customer(),
        today=day(today),
        policy=make_policy(),
    )


def test_open_recall_is_due_immediately() -> None:
    [invitation] = evaluate("2025-03-01")

    assert invitation.type is InvitationType.RECALL
    assert invitation.due_date == invitation.window_opens == day("2025-03-01")
    assert invitation.priority == 100
    assert invitation.dedup_key == "recall:TMBJJ7NE8L0123456:23V123000:1"
    assert invitation.explanation.render() == (
        "Open recall 23V123000 with the remedy available since 1 Mar 2025; reminder 1 of 3"
    )


@pytest.mark.parametrize(
    ("today", "repeat", "opens", "expires"),
    [
        ("2025-03-30", 1, "2025-03-01", "2025-03-30"),
        ("2025-03-31", 2, "2025-03-31", "2025-04-29"),
        ("2025-04-30", 3, "2025-04-30", "2025-05-29"),
        ("2025-06-28", 3, "2025-04-30", "2025-05-29"),  # reported as expired in the lookback
    ],
)
def test_open_recall_repeats_every_thirty_days(
    today: str, repeat: int, opens: str, expires: str
) -> None:
    [invitation] = evaluate(today)
    assert invitation.dedup_key.endswith(f":{repeat}")
    assert (invitation.window_opens, invitation.window_expires) == (day(opens), day(expires))


def test_open_recall_stops_after_three_reminders() -> None:
    assert evaluate("2025-06-29") == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"remedy_available": False},
        {"status": RecallStatus.COMPLETED_HERE},
        {"status": "completed_elsewhere"},
        {"status": "not_applicable"},
        {"start_date": day("2025-04-01")},
    ],
    ids=["no-remedy", "completed-here", "completed-elsewhere", "not-applicable", "not-started"],
)
def test_recall_is_not_due(overrides: dict[str, object]) -> None:
    assert evaluate("2025-03-10", make_recall(**overrides)) == []


def test_a_vin_listed_late_counts_its_reminders_from_the_listing() -> None:
    [invitation] = evaluate("2025-09-10", make_recall(vin_listed_date=day("2025-09-01")))
    assert invitation.dedup_key.endswith(":1")
    assert invitation.explanation.params["since"] == day("2025-09-01")


def test_each_open_campaign_gets_its_own_invitation() -> None:
    found = evaluate("2025-03-10", make_recall("24V001000"), make_recall("23V123000"))
    assert [inv.dedup_key.split(":")[2] for inv in found] == ["23V123000", "24V001000"]
