"""Serve the demo and save a PNG of each page into docs/screenshots/ (``make screenshots``).

A fresh SQLite database in a temporary folder gets the demo data and one user per role; the app
is served by uvicorn on a free loopback port and Debian's Chromium (``/usr/bin/chromium``,
``apt-get install chromium``; Playwright never downloads a browser) visits each page at 1280×800.
"""

from __future__ import annotations

import re
import secrets
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import func, select, update
from sqlmodel import Session, col

from app.audit import Actor, ActorType
from app.auth import service as auth_service
from app.db import build_engine
from app.demo.generator import load_demo
from app.enums import CallTaskStatus, Role
from app.invitation import service as invitation_service
from app.migrations import upgrade_to_head
from app.models import CallTask, Customer, Dealer, RepairOrder
from app.reporting import service as reporting_service
from app.web.liveserver import serve
from invitations.calling import calling_window_for, is_callable

OUT = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
HISTORY_WEEKS = 12


def _seed(database_url: str, password: str) -> tuple[int, str, int]:
    """Demo data and users; returns a customer with a long history, its name, a dealer id."""
    upgrade_to_head(database_url)
    engine = build_engine(database_url)
    today = date.today()
    load_demo(engine, vehicles=800, seed=42, as_of=today)
    # A nightly run each week of the last quarter (today's last, as `make run` does), so the
    # dashboard has invitations that came (or not) to the workshop and a control group to measure
    # the uplift against, and the workspace has today's call tasks.
    with Session(engine) as session:
        for weeks in range(HISTORY_WEEKS, -1, -1):
            invitation_service.run_nightly(session, as_of=today - timedelta(weeks=weeks), workers=1)
    _make_callable_now(engine)
    reporting_service.rebuild_aggregates(
        engine, dealer=None, since=None, until=None, actor=Actor(type=ActorType.SYSTEM)
    )
    with Session(engine) as session:
        group = auth_service.first_group_name(session)
        for role in Role:
            auth_service.create_user(
                session,
                email=f"{role.value}@demo.test",
                display_name=f"Demo {role.value}",
                role=role,
                password=password,
                group=None if role == Role.ADMIN else group,
            )
        busiest = session.execute(
            select(col(RepairOrder.customer_id), func.count())
            .where(col(RepairOrder.customer_id).is_not(None))
            .group_by(col(RepairOrder.customer_id))
            .order_by(func.count().desc(), col(RepairOrder.customer_id))
            .limit(1)
        ).first()
        assert busiest is not None
        customer = session.get(Customer, busiest[0])
        assert customer is not None
        dealer_id = session.execute(select(func.min(col(Dealer.id)))).scalar_one()
        result = (int(customer.id or 0), customer.last_name or "", int(dealer_id))
    engine.dispose()
    return result


def _make_callable_now(engine: object) -> None:
    """The workspace needs a call callable now: when the demo's customers are outside their
    calling window (night, Sunday), move the open tasks to a time zone where calling is allowed."""
    now = datetime.now(UTC)
    for country in ("CZ", "US"):
        window = calling_window_for(country)
        for offset in range(-12, 15):
            zone = f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"
            if all(
                is_callable(now + timedelta(minutes=m), zone=zone, country=country, window=window)
                for m in (0, 10)
            ):
                with Session(engine) as session:  # type: ignore[arg-type]
                    session.execute(
                        update(CallTask)
                        .where(col(CallTask.status) == CallTaskStatus.READY.value)
                        .values(time_zone=zone, country=country, next_attempt_at=None)
                    )
                    session.commit()
                return


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
    sys.stderr.write(f"saved docs/screenshots/{name}.png\n")


def _sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base + "/customers")


def main() -> None:
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{folder}/demo.sqlite3"
        customer_id, last_name, dealer_id = _seed(database_url, password)
        with (
            serve(database_url, env={"RETENTION_ENVIRONMENT": "development"}) as base,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            page = browser.new_context(viewport=VIEWPORT, locale="en-GB").new_page()
            page.goto(base + "/login")
            _shot(page, "login")
            _sign_in(page, base, "admin@demo.test", password)
            page.goto(f"{base}/customers?q={last_name}")
            _shot(page, "customer-search")
            page.goto(f"{base}/customers/{customer_id}")
            _shot(page, "customer")
            for path, name in (
                ("/admin/users", "admin-users"),
                ("/admin/api-keys", "admin-api-keys"),
                ("/admin/dealers", "admin-dealers"),
                (f"/admin/dealers/{dealer_id}", "admin-dealer-settings"),
            ):
                page.goto(base + path)
                _shot(page, name)
            page.goto(f"{base}/supervisor/{dealer_id}")
            expect(page.locator("#board-updated")).not_to_be_empty()
            _shot(page, "supervisor-board")
            page.goto(f"{base}/agent")
            page.get_by_role("button", name="Next call").click()
            expect(page.locator("#call-card")).to_be_visible()
            expect(page.locator("#slot optgroup").first).to_be_attached()
            _shot(page, "agent-workspace")
            for path, name in (
                ("/admin/service-plans", "admin-service-plans"),
                ("/admin/campaigns", "admin-campaigns"),
                ("/admin/dispositions", "admin-dispositions"),
            ):
                page.goto(base + path)
                _shot(page, name)
            start = date.today() - timedelta(weeks=HISTORY_WEEKS)
            page.goto(f"{base}/dashboard?from={start.replace(day=1)}&to={date.today()}&grain=week")
            expect(page.locator("body")).to_have_attribute("data-loaded", re.compile("from="))
            _shot(page, "manager-dashboard")
            page.get_by_label("Language").select_option("cs")
            expect(page.locator("html")).to_have_attribute("lang", "cs")
            page.goto(f"{base}/customers/{customer_id}")
            _shot(page, "customer-cs")
            browser.close()


if __name__ == "__main__":
    main()
