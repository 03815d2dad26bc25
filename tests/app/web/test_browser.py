"""The UI in headless Chromium (Debian's package, never a downloaded browser) against the app
served by uvicorn on loopback with a fresh SQLite database.

Skipped with a message when /usr/bin/chromium is missing; `.ci/run` installs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.db import build_engine
from app.enums import Role
from app.migrations import upgrade_to_head
from app.models import Customer
from app.web.liveserver import serve
from tests.app.auth.factories import PASSWORD, create_customer, create_dealer, create_user

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.browser
if not CHROMIUM.exists():
    pytest.skip(
        "browser tests skipped: /usr/bin/chromium is missing (apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]'")
expect = sync_api.expect


@dataclass(frozen=True)
class Site:
    url: str
    database_url: str
    agent: str
    admin: str
    own_customer: int
    own_phone: str
    other_customer: int
    other_phone: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('browser')}/ui.sqlite3"
    upgrade_to_head(database_url)
    engine = build_engine(database_url)
    with Session(engine) as session:
        dealer_a, dealer_b = create_dealer(session), create_dealer(session)
        session.commit()
        agent = create_user(session, role=Role.AGENT, dealers=[dealer_a])
        admin = create_user(session, role=Role.ADMIN, dealers=[dealer_a])
        own = create_customer(session, dealer=dealer_a, phone="+420601777001")
        other = create_customer(session, dealer=dealer_b, phone="+420601777002")
        session.commit()
        found = Site("", database_url, agent.email, admin.email, own.id or 0, "", other.id or 0, "")
    engine.dispose()
    with serve(database_url, env={"RETENTION_ENVIRONMENT": "test"}) as url:
        yield Site(
            url,
            found.database_url,
            found.agent,
            found.admin,
            found.own_customer,
            "601 777 001",
            found.other_customer,
            "+420 601 777 002",
        )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    tab = context.new_page()
    violations: list[str] = []
    tab.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield tab
    context.close()
    assert not violations, f"the page broke its Content-Security-Policy: {violations}"


def sign_in(page: Any, site: Site, email: str, *, start: str = "/customers") -> None:
    page.goto(site.url + start)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(site.url + start)


def _consent_of(site: Site, customer_id: int) -> tuple[bool, bool]:
    engine = build_engine(site.database_url)
    try:
        with Session(engine) as session:
            customer = session.get(Customer, customer_id)
            assert customer is not None
            return customer.marketing_calls, customer.do_not_call
    finally:
        engine.dispose()


def test_an_agent_signs_in_finds_a_customer_by_phone_and_changes_consent(
    page: Any, site: Site
) -> None:
    sign_in(page, site, site.agent)
    page.get_by_label("Phone, VIN, registration or name").fill(site.own_phone)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 customer found")).to_be_visible()
    page.get_by_role("link", name="Jana Nováková").click()
    expect(page.get_by_role("heading", name="Jana Nováková")).to_be_visible()
    expect(page.get_by_role("link", name="+420601777001")).to_have_attribute(
        "href", "tel:+420601777001"
    )

    page.get_by_label("Service and offer calls allowed").uncheck()
    page.get_by_role("button", name="Save consent").click()
    error = page.locator("#error-channel")
    expect(error).to_have_text("Choose how the customer told us.")
    expect(page.get_by_label("How did the customer tell us?")).to_have_attribute(
        "aria-invalid", "true"
    )

    page.get_by_label("How did the customer tell us?").select_option("phone")
    page.get_by_role("button", name="Save consent").click()
    expect(page.locator(".event-consent").first).to_contain_text("by phone")
    expect(page.get_by_label("Service and offer calls allowed")).not_to_be_checked()
    assert _consent_of(site, site.own_customer) == (False, False)


def test_switching_to_czech_translates_the_pages(page: Any, site: Site) -> None:
    sign_in(page, site, site.agent)
    page.get_by_label("Language").select_option("cs")
    expect(page.get_by_role("heading", name="Najít zákazníka")).to_be_visible()
    page.goto(f"{site.url}/customers/{site.own_customer}")
    expect(page.get_by_role("heading", name="Historie")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "cs")
    # The choice is stored on the user: a new browser session opens in Czech after sign-in.
    page.get_by_role("button", name="Odhlásit se").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", name="Přihlásit se")).to_be_visible()
    page.get_by_label("Jazyk").select_option("en")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_user_cannot_open_another_dealers_customer(page: Any, site: Site) -> None:
    sign_in(page, site, site.admin)
    page.goto(f"{site.url}/customers/{site.other_customer}")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text("Nováková")).to_have_count(0)
    page.goto(f"{site.url}/customers")
    page.get_by_label("Phone, VIN, registration or name").fill(site.other_phone)
    page.keyboard.press("Enter")
    expect(page.get_by_text("No customer of your dealers matches.")).to_be_visible()


def test_an_admin_creates_an_api_key_shown_once_and_an_agent_is_refused_admin_pages(
    page: Any, site: Site
) -> None:
    sign_in(page, site, site.admin, start="/admin/api-keys")
    page.get_by_label("Name").fill("DMS nightly")
    page.get_by_label("import:write").check()
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("#new-key-secret")).to_have_text(re.compile(r"^rk_.{20,}"))
    page.reload()
    expect(page.get_by_role("cell", name="DMS nightly")).to_be_visible()
    expect(page.locator("#new-key-secret")).to_have_text("")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    sign_in(page, site, site.agent)
    page.goto(f"{site.url}/admin/users")
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()


def test_pages_fit_a_tablet_without_sideways_scrolling(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    tab = context.new_page()
    try:
        sign_in(tab, site, site.admin)
        for path in ("/customers", f"/customers/{site.own_customer}", "/admin/users"):
            tab.goto(site.url + path)
            overflow = tab.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 768px"
    finally:
        context.close()
