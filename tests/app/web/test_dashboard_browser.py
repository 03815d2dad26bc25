"""The manager dashboard in headless Chromium (Debian's package) against the app on loopback:
the figures equal the API's for the same filters, a filter changes them, the CSV and XLSX
downloads parse, another dealer's data is refused and the dashboard speaks Czech."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from app.db import build_engine
from app.enums import Role
from app.migrations import upgrade_to_head
from app.web.liveserver import serve
from tests.app.auth.factories import PASSWORD, create_user
from tests.app.reporting.factories import build_known_dataset

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.browser
if not CHROMIUM.exists():
    pytest.skip(
        "browser tests skipped: /usr/bin/chromium is missing (apt-get install chromium)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]'")
expect = sync_api.expect

Q1 = "from=2026-01-01&to=2026-04-01"
STAGES = ("due", "targeted", "reached", "booked", "arrived")


@dataclass(frozen=True)
class Site:
    url: str
    manager: str
    dealer: str
    other_dealer: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('dashboard')}/ui.sqlite3"
    upgrade_to_head(database_url)
    engine = build_engine(database_url)
    with Session(engine, expire_on_commit=False) as session:
        known = build_known_dataset(session)
        manager = create_user(session, role=Role.MANAGER, dealers=[known.dealer])
        session.commit()
        found = (manager.email, known.dealer.code, known.other_dealer.code)
    engine.dispose()
    with serve(database_url, env={"RETENTION_ENVIRONMENT": "test"}) as url:
        yield Site(url, *found)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        locale="en-GB",
        accept_downloads=True,
        base_url=site.url,
    )
    tab = context.new_page()
    violations: list[str] = []
    tab.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield tab
    context.close()
    assert not violations, f"the page broke its Content-Security-Policy: {violations}"


def sign_in(page: Any, site: Site, start: str) -> None:
    page.goto(site.url + start)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("E-mail").fill(site.manager)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(site.url + start)))


def wait_loaded(page: Any, *parts: str) -> None:
    """Until the dashboard has drawn the figures of filters containing every ``part``."""
    for part in parts:
        expect(page.locator("body")).to_have_attribute("data-loaded", re.compile(re.escape(part)))


def shown(page: Any) -> dict[str, int]:
    figures = {}
    for stage in STAGES:
        value = page.locator(f'[data-kpi="{stage}"] [data-value]')
        figures[stage] = int(value.get_attribute("data-raw"))
        assert value.inner_text() == f"{figures[stage]:,}"
    return figures


def api_figures(page: Any, query: str) -> dict[str, Any]:
    response = page.request.get(f"/api/v1/reports/funnel?{query}")
    assert response.status == 200, response.text()
    return response.json()  # type: ignore[no-any-return]


def test_a_manager_sees_the_apis_funnel_changes_a_filter_and_downloads_csv_and_xlsx(
    page: Any, site: Site
) -> None:
    sign_in(page, site, f"/dashboard?{Q1}")
    wait_loaded(page, "from=2026-01-01")
    body = api_figures(page, Q1)
    total = body["total"]["invitations"]
    assert shown(page) == {s: total[s] for s in STAGES}
    assert total["due"] == 11  # the hand-worked dataset's figure
    for stage in ("targeted", "booked", "arrived"):
        bar = page.locator(f'#funnel-chart [data-stage="{stage}"] .bar-value')
        expect(bar).to_have_attribute("data-value", str(total[stage]))
    expect(page.locator("#trend-chart polyline")).to_have_count(3)
    uplift_rows = page.locator("#uplift-table tbody tr[data-type]")
    expect(uplift_rows).to_have_count(len(body["uplift"]))
    expect(page.locator("#agents-table tbody tr[data-agent]")).to_have_count(2)
    expect(page.locator("#retention-table tbody tr[data-dealer]")).to_have_text(
        re.compile("^" + re.escape(site.dealer))
    )
    recalls = page.request.get("/api/v1/reports/recalls").json()["campaigns"]
    expect(page.locator("#recalls-table tbody tr")).to_have_count(min(15, len(recalls)))
    expect(page.locator("#recalls-table tbody tr").first).to_contain_text(recalls[0]["campaign"])

    page.get_by_label("Invitation type").select_option("warranty_expiry")
    wait_loaded(page, "type=warranty_expiry")
    narrowed = api_figures(page, Q1 + "&type=warranty_expiry")["total"]["invitations"]
    assert shown(page) == {s: narrowed[s] for s in STAGES}
    assert narrowed["due"] == 3 != total["due"]
    assert "type=warranty_expiry" in page.url  # the filters survive a reload

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download CSV").first.click()
    rows = list(csv.DictReader(io.StringIO(Path(csv_download.value.path()).read_text())))
    assert sum(int(r["due"]) for r in rows) == narrowed["due"]
    assert csv_download.value.suggested_filename == "funnel-2026-01-01-2026-04-01.csv"
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Download XLSX").first.click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()))
    funnel = list(book["Funnel"].iter_rows(values_only=True))
    due = funnel[0].index("due")
    assert sum(r[due] for r in funnel[1:]) == narrowed["due"]
    assert "Uplift" in book.sheetnames


def test_a_bad_range_is_shown_next_to_the_field(page: Any, site: Site) -> None:
    sign_in(page, site, f"/dashboard?{Q1}")
    wait_loaded(page, "from=2026-01-01")
    page.get_by_label("To (excluded)").fill("2025-12-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#error-to")).to_contain_text("must be after from")
    expect(page.get_by_label("To (excluded)")).to_have_attribute("aria-invalid", "true")


def test_a_manager_cannot_open_another_dealers_dashboard_data(page: Any, site: Site) -> None:
    sign_in(page, site, f"/dashboard?{Q1}")
    response = page.goto(f"{site.url}/dashboard?{Q1}&dealer={site.other_dealer}")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    api = page.request.get(f"/api/v1/reports/funnel?{Q1}&dealer={site.other_dealer}")
    assert api.status == 404  # the API does not even confirm the dealer exists
    export = page.request.get(
        f"/api/v1/reports/funnel/export?{Q1}&dealer={site.other_dealer}&format=csv"
    )
    assert export.status == 404


def test_the_dashboard_is_translated_in_czech(page: Any, site: Site) -> None:
    sign_in(page, site, f"/dashboard?{Q1}")
    page.get_by_label("Language").select_option("cs")
    expect(page.locator("html")).to_have_attribute("lang", "cs")
    expect(page.get_by_role("heading", name="Přehled", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Nárůst oproti kontrolní skupině")).to_be_visible()
    expect(page.get_by_label("Typ pozvánky")).to_be_visible()
    wait_loaded(page, "from=2026-01-01")
    expect(page.locator('[data-kpi="due"] .kpi-label')).to_have_text("Splatné")
    expect(page.locator("#funnel-chart text").first).to_have_text("Osloveno")
    page.get_by_label("Jazyk").select_option("en")
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()


def test_the_dashboard_fits_a_tablet(browser: Any, site: Site) -> None:
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    tab = context.new_page()
    try:
        sign_in(tab, site, f"/dashboard?{Q1}")
        wait_loaded(tab, "from=2026-01-01")
        overflow = tab.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the dashboard scrolls sideways by {overflow}px at 768px"
    finally:
        context.close()
