"""The agent workspace and the supervisor board in headless Chromium (Debian's package) against
the app served by uvicorn on loopback with a fresh SQLite database.

The live server runs on the real clock, so each call task is given a time zone where calling is
allowed right now (the claim only hands out tasks inside their customer's calling window).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.audit import SYSTEM
from app.contact import supervisor as supervisor_service
from app.contact.schemas import ReassignIn
from app.db import build_engine
from app.enums import Role
from app.migrations import upgrade_to_head
from app.models import Appointment, CallTask
from app.web.liveserver import serve
from invitations.calling import calling_window_for, is_callable
from tests.app.auth.factories import create_user
from tests.app.contact.factories import create_dealer, create_task
from tests.app.web.test_browser import (  # noqa: F401  (fixtures)
    browser,
    expect,
    page,
    sign_in,
)

pytestmark = pytest.mark.browser
FUNNEL = "/api/v1/reports/funnel?from=2026-11-01&to=2026-12-01"  # the tasks' invitations' due date
# The value of a datetime-local input half an hour from now, in the browser's time zone.
IN_HALF_AN_HOUR = """() => {
  const d = new Date(Date.now() + 30 * 60 * 1000);
  const p = (n) => String(n).padStart(2, "0");
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  return `${day}T${p(d.getHours())}:${p(d.getMinutes())}`;
}"""


def callable_locale(now: datetime) -> tuple[str, str]:
    """A (time zone, country) where calls are allowed now and for the next hour."""
    for country in ("US", "CZ"):
        for offset in range(-12, 15):
            zone = f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"
            window = calling_window_for(country)
            if all(
                is_callable(now + timedelta(minutes=m), zone=zone, country=country, window=window)
                for m in (0, 30, 60)
            ):
                return zone, country
    pytest.skip("no time zone is inside a calling window now")


@dataclass(frozen=True)
class Site:
    url: str
    database_url: str
    dealer_a: str
    dealer_a_id: int
    dealer_b_id: int
    agent: str
    manager_a: str
    supervisor_a: str
    manager_b: str
    agent_c: str
    booked_task: int
    callback_task: int
    lease_task: int


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('workspace')}/ui.sqlite3"
    upgrade_to_head(database_url)
    engine = build_engine(database_url)
    zone, country = callable_locale(datetime.now(UTC))
    with Session(engine) as session:
        dealer_a, dealer_b = create_dealer(session), create_dealer(session)
        users = {
            "agent": create_user(session, role=Role.AGENT, dealers=[dealer_a]),
            "manager_a": create_user(session, role=Role.MANAGER, dealers=[dealer_a]),
            "supervisor_a": create_user(session, role=Role.SUPERVISOR, dealers=[dealer_a]),
            "manager_b": create_user(session, role=Role.MANAGER, dealers=[dealer_b]),
        }
        dealer_c = create_dealer(session)  # the lease test's, apart from the others' queue
        users["agent_c"] = create_user(session, role=Role.AGENT, dealers=[dealer_c])
        # In priority order: "no answer", a callback, a booking; and the lease test's call.
        tasks = [
            create_task(session, dealer=dealer_a, priority=90, phone="+420601777101"),
            create_task(session, dealer=dealer_a, priority=85, phone="+420601777102"),
            create_task(session, dealer=dealer_a, priority=80, phone="+420601777103"),
            create_task(session, dealer=dealer_c, priority=50, phone="+420601777104"),
        ]
        for task in tasks:
            task.time_zone, task.country = zone, country
            session.add(task)
        session.commit()
        found = Site(
            "",
            database_url,
            dealer_a.code,
            int(dealer_a.id or 0),
            int(dealer_b.id or 0),
            users["agent"].email,
            users["manager_a"].email,
            users["supervisor_a"].email,
            users["manager_b"].email,
            users["agent_c"].email,
            int(tasks[2].id or 0),
            int(tasks[1].id or 0),
            int(tasks[3].id or 0),
        )
    engine.dispose()
    with serve(database_url, env={"RETENTION_ENVIRONMENT": "test"}) as url:
        yield replace(found, url=url)


def _appointments_of(site: Site, task_id: int) -> list[Appointment]:
    engine = build_engine(site.database_url)
    try:
        with Session(engine) as session:
            return list(
                session.execute(
                    select(Appointment).where(Appointment.call_task_id == task_id)  # type: ignore[arg-type]
                ).scalars()
            )
    finally:
        engine.dispose()


def _task_status(site: Site, task_id: int) -> str:
    engine = build_engine(site.database_url)
    try:
        with Session(engine) as session:
            task = session.get(CallTask, task_id)
            assert task is not None
            return task.status
    finally:
        engine.dispose()


def _rebuild_reports(site: Site) -> None:
    """The product's way: ``retention report rebuild`` (``make run`` and operators use it)."""
    subprocess.run(
        [sys.executable, "-m", "app.cli", "report", "rebuild", "--dealer", site.dealer_a],
        env={**os.environ, "RETENTION_DATABASE_URL": site.database_url},
        check=True,
        capture_output=True,
        timeout=120,
    )


def _booked(tab: Any, site: Site) -> int:
    answer = tab.request.get(f"{site.url}{FUNNEL}&dealer={site.dealer_a}")
    assert answer.status == 200, answer.text()
    return int(answer.json()["total"]["invitations"]["booked"])


def test_an_agent_takes_calls_records_an_outcome_and_books_a_slot(page: Any, site: Site) -> None:  # noqa: F811
    sign_in(page, site, site.agent, start="/agent")
    expect(page.get_by_role("heading", name="My callbacks")).to_be_visible()

    # The button: the card with phones, the vehicle's reason, explanation and the script.
    page.get_by_role("button", name="Next call").click()
    card = page.locator("#call-card")
    expect(card.get_by_role("heading", name="Jana Nováková")).to_be_visible()
    expect(card.get_by_role("link", name="+420601777101")).to_have_attribute(
        "href", "tel:+420601777101"
    )
    expect(card.locator("#card-vehicles")).to_contain_text("Next service")
    expect(card.locator("#card-vehicles")).to_contain_text("12 months since the last service")
    expect(card.locator("#card-script")).not_to_be_empty()
    expect(card.locator("#card-lease")).to_contain_text("Held for you until")
    expect(page.get_by_role("button", name="Next call")).to_be_disabled()
    card.get_by_role("button", name="No answer").click()
    expect(page.locator("#flash")).to_have_text("Recorded: No answer.")
    expect(card).to_be_hidden()

    # The keyboard: N takes the next call; 5 (call back) without a time shows the field's error,
    # with the time picked it lands in "My callbacks".
    page.locator("body").press("n")
    expect(card.get_by_role("link", name="+420601777102")).to_be_visible()
    page.locator("body").press("5")
    expect(page.locator("#error-callback_at")).to_have_text("Choose when to call back.")
    expect(page.get_by_label("Call back at")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Call back at").fill(page.evaluate(IN_HALF_AN_HOUR))
    page.locator("#card-name").click()
    page.keyboard.press("5")
    expect(page.locator("#flash")).to_have_text("Recorded: Call back.")
    expect(page.locator("#my-callbacks")).to_contain_text("Jana Nováková")
    assert _task_status(site, site.callback_task) == "callback"

    page.locator("body").press("n")
    expect(card.get_by_role("link", name="+420601777103")).to_be_visible()

    # The slot picker lists free slots per day with the free count; book with the Booked key.
    slots = page.get_by_label("Workshop slot")
    expect(slots.locator("optgroup").first).to_have_attribute("label", re.compile(r"\d+ free$"))
    chosen = slots.locator("option[value*='T']").first.get_attribute("value")
    assert chosen is not None
    slots.select_option(chosen)
    page.get_by_label("Note").fill("Wants the morning slot")
    page.locator("#card-name").click()  # leave the field so the key is a shortcut
    booked_key = card.get_by_role("button", name="Booked").get_attribute("aria-keyshortcuts")
    page.keyboard.press(str(booked_key))
    expect(page.locator("#flash")).to_have_text(re.compile(r"^Booked for "))
    expect(card).to_be_hidden()

    appointments = _appointments_of(site, site.booked_task)
    assert len(appointments) == 1
    assert appointments[0].status == "booked"
    assert appointments[0].slot_start.replace(tzinfo=UTC) == datetime.fromisoformat(chosen)
    assert _task_status(site, site.booked_task) == "closed"

    # Nothing more to call now.
    page.get_by_role("button", name="Next call").click()
    expect(page.locator("#queue-status")).to_have_text(
        "Nothing to call now. Try again in a few minutes."
    )

    # Czech.
    page.get_by_label("Language").select_option("cs")
    expect(page.get_by_role("heading", name="Pracoviště operátora")).to_be_visible()
    expect(page.get_by_role("button", name="Další hovor")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "cs")
    page.get_by_label("Jazyk").select_option("en")
    expect(page.get_by_role("heading", name="Agent workspace")).to_be_visible()


def test_the_booking_counts_as_booked_in_the_managers_funnel_after_the_refresh(
    page: Any,  # noqa: F811
    site: Site,
) -> None:
    if not _appointments_of(site, site.booked_task):
        pytest.skip("runs after the booking test")
    sign_in(page, site, site.manager_a, start=f"/supervisor/{site.dealer_a_id}")
    assert _booked(page, site) == 0  # the report reads the aggregates, not yet refreshed
    _rebuild_reports(site)
    assert _booked(page, site) == 1
    # And on the manager's dashboard, for the same range and dealer.
    page.goto(f"{site.url}/dashboard?from=2026-11-01&to=2026-12-01&dealer={site.dealer_a}")
    expect(page.locator("body")).to_have_attribute(
        "data-loaded", re.compile(re.escape(f"dealer={site.dealer_a}"))
    )
    booked = page.locator('[data-kpi="booked"] [data-value]')
    expect(booked).to_have_attribute("data-raw", "1")


def test_the_board_of_another_dealer_is_refused_and_the_own_one_refreshes(
    page: Any,  # noqa: F811
    site: Site,
) -> None:
    sign_in(page, site, site.manager_b, start=f"/supervisor/{site.dealer_b_id}")
    expect(page.get_by_role("heading", name=re.compile("^Supervisor board"))).to_be_visible()
    response = page.goto(f"{site.url}/supervisor/{site.dealer_a_id}")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    page.context.clear_cookies()  # the error page has no sign-out button

    sign_in(page, site, site.supervisor_a, start=f"/supervisor/{site.dealer_a_id}")
    expect(page.locator("#board-updated")).to_contain_text("refreshes every 30 seconds")
    if _task_status(site, site.callback_task) == "callback":  # after the agent's test
        expect(page.locator("#due-rows")).to_contain_text("Test agent")
        agents = page.locator("#agents-rows tr")
        expect(agents).to_have_count(1)
        expect(agents.locator("td")).to_have_text(["Test agent", "3", "2", "1", "0"])
    expect(page.locator("#queue-rows")).to_contain_text("Next service")
    first = page.locator("#board-updated").get_attribute("data-refreshed-at")
    # Pause the recall campaign with a bad boost first: the error is shown next to the field.
    form = page.locator('form[data-type="recall"]')
    form.get_by_label("Priority boost").fill("500")
    form.get_by_role("button", name="Save").click()
    expect(form.locator(".field-error")).to_have_text("Enter a whole number from −100 to 100.")
    form.get_by_label("Priority boost").fill("10")
    form.get_by_label("Paused").check()
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#flash")).to_have_text(re.compile(r"^Saved: \d+ open calls"))
    # Saving refreshes the figures.
    expect(page.locator("#board-updated")).not_to_have_attribute("data-refreshed-at", str(first))
    page.reload()
    expect(page.locator('form[data-type="recall"]').get_by_label("Paused")).to_be_checked()
    expect(page.locator('form[data-type="recall"]').get_by_label("Priority boost")).to_have_value(
        "10"
    )


def test_the_lease_is_renewed_while_the_card_is_open_and_a_lost_lease_stops_the_card(
    page: Any,  # noqa: F811
    site: Site,
) -> None:
    page.clock.install()  # the page's timers run on a clock the test moves
    sign_in(page, site, site.agent_c, start="/agent")
    page.get_by_role("button", name="Next call").click()
    expect(page.locator("#call-card").get_by_role("link", name="+420601777104")).to_be_visible()
    before = _lease_expiry(site, site.lease_task)

    with page.expect_response(lambda r: r.url.endswith("/lease")) as renewal:
        page.clock.run_for("02:05")
    assert renewal.value.status == 200
    assert _lease_expiry(site, site.lease_task) > before

    # A supervisor hands the task back to the queue: the next renewal gets 409 and the card stops.
    _reassign_to_queue(site, site.lease_task)
    with page.expect_response(lambda r: r.url.endswith("/lease")) as refused:
        page.clock.run_for("02:05")
    assert refused.value.status == 409
    expect(page.locator("#card-lease")).to_have_text(
        "This call was taken back (the lease expired). Take the next call."
    )
    expect(page.get_by_role("button", name="No answer")).to_be_disabled()
    # The task is back in the queue, so the next call is the same customer with a fresh lease.
    page.get_by_role("button", name="Next call").click()
    expect(page.locator("#card-lease")).to_contain_text("Held for you until")
    expect(page.get_by_role("button", name="No answer")).to_be_enabled()
    expect(page.locator("#call-card").get_by_role("link", name="+420601777104")).to_be_visible()


def _lease_expiry(site: Site, task_id: int) -> datetime:
    engine = build_engine(site.database_url)
    try:
        with Session(engine) as session:
            task = session.get(CallTask, task_id)
            assert task is not None
            assert task.lease_expires_at is not None
            return task.lease_expires_at
    finally:
        engine.dispose()


def _reassign_to_queue(site: Site, task_id: int) -> None:
    engine = build_engine(site.database_url)
    try:
        with Session(engine) as session:
            supervisor_service.reassign_task(
                session,
                task_id=task_id,
                body=ReassignIn(agent_id=None),
                dealer_ids=None,
                now=datetime.now(UTC),
                actor=SYSTEM,
            )
    finally:
        engine.dispose()


def test_the_workspace_and_the_board_fit_a_tablet(browser: Any, site: Site) -> None:  # noqa: F811
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    tab = context.new_page()
    try:
        sign_in(tab, site, site.supervisor_a, start=f"/supervisor/{site.dealer_a_id}")
        for path in ("/agent", f"/supervisor/{site.dealer_a_id}"):
            tab.goto(site.url + path)
            overflow = tab.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 768px"
    finally:
        context.close()
