"""The catalogue administration pages: service plans, seasonal campaigns and dispositions.

Page access and rendering through the app (TestClient), then the whole edit cycle in headless
Chromium against the app on loopback: create, a field error next to the field, edit, delete.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.db import build_engine
from app.enums import Role
from app.migrations import upgrade_to_head
from app.web.liveserver import serve
from tests.app.auth.factories import PASSWORD, create_dealer, create_user, sign_in, use_session
from tests.app.conftest import app_on

ADMIN_PAGES = ("/admin/service-plans", "/admin/campaigns", "/admin/dispositions")
CHROMIUM = Path("/usr/bin/chromium")


def _client(session: Session, user: Any) -> TestClient:
    client = TestClient(app_on(session), follow_redirects=False)
    return use_session(client, sign_in(session, user))


# Through the app ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_only_administrators_open_the_catalogue_pages(session: Session, path: str) -> None:
    dealer = create_dealer(session)
    for role in (Role.AGENT, Role.SUPERVISOR, Role.MANAGER):
        with _client(session, create_user(session, role=role, dealers=[dealer])) as client:
            assert client.get(path).status_code == 403, role
    with _client(session, create_user(session, role=Role.ADMIN, dealers=[dealer])) as client:
        answer = client.get(path)
        assert answer.status_code == 200
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert "<script>" not in answer.text
        assert " style=" not in answer.text


def test_a_dealer_administrator_sees_the_shared_service_plans_read_only(session: Session) -> None:
    dealer = create_dealer(session)
    with _client(session, create_user(session, role=Role.ADMIN, dealers=[dealer])) as client:
        text = client.get("/admin/service-plans").text
        assert "only a platform administrator may change it" in text
        assert 'data-action="new"' not in text
    with _client(session, create_user(session, role=Role.ADMIN)) as client:
        assert 'data-action="new"' in client.get("/admin/service-plans").text


def test_the_dispositions_page_lists_the_groups_defaults_and_refuses_another_group(
    session: Session,
) -> None:
    mine, other = create_dealer(session), create_dealer(session)
    with _client(session, create_user(session, role=Role.ADMIN, dealers=[mine])) as client:
        text = client.get("/admin/dispositions").text
        assert 'data-row="no_answer"' in text
        assert 'data-row="booked"' in text
        assert f"/api/v1/dealer-groups/{mine.group_id}/dispositions" in text
        assert client.get(f"/admin/dispositions?group={other.group_id}").status_code == 404
        assert client.get("/admin/dispositions?group=2147483648").status_code == 400


def test_the_dashboard_is_for_managers_supervisors_and_administrators(session: Session) -> None:
    mine, other = create_dealer(session), create_dealer(session)
    with _client(session, create_user(session, role=Role.AGENT, dealers=[mine])) as client:
        assert client.get("/dashboard").status_code == 403
    for role in (Role.MANAGER, Role.SUPERVISOR, Role.ADMIN):
        with _client(session, create_user(session, role=role, dealers=[mine])) as client:
            assert client.get("/dashboard").status_code == 200, role
            assert client.get(f"/dashboard?dealer={mine.code}").status_code == 200
            assert client.get(f"/dashboard?dealer={other.code}").status_code == 403
            assert client.get("/dashboard?from=2026-04-01&to=2026-01-01").status_code == 400


# In the browser ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    url: str
    admin: str
    dealer: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('admin')}/ui.sqlite3"
    upgrade_to_head(database_url)
    engine = build_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        dealer = create_dealer(session)
        admin = create_user(session, role=Role.ADMIN)  # a platform administrator
        session.commit()
        found = (admin.email, dealer.code)
    engine.dispose()
    with serve(database_url, env={"RETENTION_ENVIRONMENT": "test"}) as url:
        yield Site(url, *found)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("browser tests skipped: /usr/bin/chromium is missing")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-GB", base_url=site.url
    )
    tab = context.new_page()
    violations: list[str] = []
    tab.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    tab.on("dialog", lambda dialog: dialog.accept())  # the delete confirmation
    yield tab
    context.close()
    assert not violations, f"the page broke its Content-Security-Policy: {violations}"


def expect() -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def browser_sign_in(page: Any, site: Site, start: str) -> None:
    page.goto(start)
    expect()(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("E-mail").fill(site.admin)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect()(page).to_have_url(site.url + start)


def save(page: Any) -> None:
    page.locator("dialog[open]").get_by_role("button", name="Save").click()


@pytest.mark.browser
def test_an_admin_creates_edits_and_deletes_a_service_plan(page: Any, site: Site) -> None:
    check = expect()
    browser_sign_in(page, site, "/admin/service-plans")
    page.get_by_role("button", name="New service plan").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Make").fill("Testmake")
    dialog.get_by_label("Interval (months)").fill("0")
    dialog.get_by_label("Interval (km)").fill("15000")
    save(page)
    check(page.locator("#error-interval_months")).to_contain_text("greater than 0")
    check(dialog.get_by_label("Interval (months)")).to_have_attribute("aria-invalid", "true")
    dialog.get_by_label("Interval (months)").fill("12")
    save(page)
    row = page.locator("tr", has_text="Testmake")
    check(row).to_contain_text("15,000")

    page.get_by_role("button", name="New service plan").click()  # the same plan again: a 409
    dialog.get_by_label("Make").fill("Testmake")
    dialog.get_by_label("Interval (months)").fill("12")
    dialog.get_by_label("Interval (km)").fill("15000")
    save(page)
    check(page.locator("#error-make")).to_contain_text("exists already")
    dialog.get_by_role("button", name="Cancel").click()

    page.get_by_role("button", name="Edit Testmake * *").click()
    check(dialog.get_by_label("Make")).to_be_disabled()
    dialog.get_by_label("Interval (km)").fill("20000")
    save(page)
    check(row).to_contain_text("20,000")

    page.get_by_role("button", name="Delete Testmake * *").click()
    check(page.locator("tr", has_text="Testmake")).to_have_count(0)


@pytest.mark.browser
def test_an_admin_creates_edits_and_deletes_a_seasonal_campaign(page: Any, site: Site) -> None:
    check = expect()
    browser_sign_in(page, site, "/admin/campaigns")
    page.get_by_role("button", name="New seasonal campaign").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Code").fill("spring_promo")
    dialog.get_by_label("Dealer").select_option(site.dealer)
    dialog.get_by_label("Kind").select_option("spring_tyres")
    dialog.get_by_label("Starts: month").fill("2")
    dialog.get_by_label("Starts: day").fill("31")
    dialog.get_by_label("Ends: month").fill("4")
    dialog.get_by_label("Ends: day").fill("30")
    save(page)
    check(page.locator("#error-start_day")).to_contain_text("day 31 does not exist in month 2")
    dialog.get_by_label("Starts: month").fill("3")
    save(page)
    row = page.locator("tr", has_text="spring_promo")
    check(row).to_contain_text(site.dealer)
    check(row).to_contain_text("Spring tyre change")

    page.get_by_role("button", name="Edit spring_promo").click()
    dialog.get_by_label("Active").uncheck()
    save(page)
    check(row.locator("td").nth(5)).to_have_text("no")

    page.get_by_role("button", name="Delete spring_promo").click()
    check(page.locator("tr", has_text="spring_promo")).to_have_count(0)


@pytest.mark.browser
def test_an_admin_creates_edits_and_deletes_a_disposition(page: Any, site: Site) -> None:
    check = expect()
    browser_sign_in(page, site, "/admin/dispositions")
    check(page.locator('tr[data-row="no_answer"]')).to_be_visible()
    page.get_by_role("button", name="New disposition").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Code").fill("left_message")
    dialog.get_by_label("Label").fill("Left a message")
    dialog.get_by_label("Final (closes the task)").check()
    save(page)
    check(page.locator("#error-closes_as")).to_contain_text("needs the outcome")
    dialog.get_by_label("Final (closes the task)").uncheck()
    dialog.get_by_label("Retry after (minutes)").fill("90")
    save(page)
    row = page.locator('tr[data-row="left_message"]')
    check(row).to_contain_text("Left a message")
    check(row).to_contain_text("90")

    page.get_by_role("button", name="Edit left_message").click()
    check(dialog.get_by_label("Code")).to_be_disabled()
    dialog.get_by_label("Label").fill("Message left")
    dialog.get_by_label("Contact made").check()
    save(page)
    check(row).to_contain_text("Message left")
    check(row).to_contain_text("Contact made")

    page.get_by_role("button", name="Delete left_message").click()
    check(page.locator('tr[data-row="left_message"]')).to_have_count(0)


@pytest.mark.browser
def test_the_admin_pages_fit_a_tablet(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport={"width": 768, "height": 1024}, base_url=site.url)
    tab = context.new_page()
    try:
        browser_sign_in(tab, site, ADMIN_PAGES[0])
        for path in ADMIN_PAGES:
            tab.goto(path)
            overflow = tab.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 768px"
    finally:
        context.close()
