"""Pages: deny by default (anonymous → sign-in), role and dealer scope, translations, CSP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.enums import Role
from app.main import create_app
from app.security.access import api_routes
from app.web.access import NOT_PAGES, check_page_declarations
from tests.app.auth.factories import (
    create_customer,
    create_dealer,
    create_user,
    sign_in,
    use_session,
)
from tests.app.conftest import app_on

WEB = Path(__file__).parents[3] / "app" / "web"
PAGES = sorted(
    path
    for path, route in api_routes(create_app())
    if not path.startswith("/api") and path not in NOT_PAGES and path != "/login"
)


@pytest.fixture
def dealer(session: Session):  # type: ignore[no-untyped-def]
    return create_dealer(session)


def _client_for(session: Session, user) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app_on(session), follow_redirects=False)
    return use_session(client, sign_in(session, user))


@pytest.fixture
def anonymous(session: Session) -> Iterator[TestClient]:
    with TestClient(app_on(session), follow_redirects=False) as c:
        yield c


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_an_anonymous_visitor_to_sign_in(anonymous: TestClient, path: str) -> None:
    url = path.replace("{customer_id}", "1").replace("{dealer_id}", "1")
    answer = anonymous.get(url)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=" + url


def test_a_page_without_an_access_rule_stops_the_app_from_starting() -> None:
    app = create_app()
    router = APIRouter()

    @router.get("/forgotten-page")
    def forgotten() -> dict[str, str]:
        return {}

    app.include_router(router)
    with pytest.raises(RuntimeError, match="/forgotten-page"):
        check_page_declarations(app)


def test_the_sign_in_page_is_public_and_refuses_foreign_next_addresses(
    anonymous: TestClient,
) -> None:
    answer = anonymous.get("/login", params={"next": "//evil.example/"})
    assert answer.status_code == 200
    assert 'data-next="/"' in answer.text
    assert 'data-next="/customers?q=x"' in anonymous.get("/login?next=/customers%3Fq%3Dx").text


def test_an_expired_or_forged_session_is_sent_to_sign_in(anonymous: TestClient) -> None:
    anonymous.cookies.set("retention_session", "forged")
    answer = anonymous.get("/customers")
    assert (answer.status_code, answer.headers["location"]) == (303, "/login?next=/customers")


def test_an_agent_gets_a_403_page_for_administration(session: Session, dealer) -> None:
    client = _client_for(session, create_user(session, role=Role.AGENT, dealers=[dealer]))
    answer = client.get("/admin/users")
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "Your role does not allow this page." in answer.text


def test_another_dealers_customer_page_is_not_found(session: Session, dealer) -> None:
    client = _client_for(session, create_user(session, role=Role.MANAGER, dealers=[dealer]))
    other = create_customer(session, dealer=create_dealer(session), phone="+420601555790")
    answer = client.get(f"/customers/{other.id}")
    assert answer.status_code == 404
    assert "Nováková" not in answer.text
    own = create_customer(session, dealer=dealer, phone="+420601555791")
    assert client.get(f"/customers/{own.id}").status_code == 200


def test_api_errors_stay_json(anonymous: TestClient) -> None:
    answer = anonymous.get("/api/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/json"


def test_pages_render_in_the_users_language_with_local_formats(session: Session, dealer) -> None:
    user = create_user(session, role=Role.AGENT, dealers=[dealer])
    user.language = "cs"
    session.flush()
    customer = create_customer(session, dealer=dealer, phone="+420601555792")
    client = _client_for(session, user)
    search = client.get("/customers", params={"q": "+420601555792"})
    assert search.headers["content-language"] == "cs"
    assert '<html lang="cs">' in search.text
    assert "Najít zákazníka" in search.text
    assert "Nalezen 1 zákazník" in search.text
    card = client.get(f"/customers/{customer.id}").text
    assert "Návštěva servisu" in card
    assert "2\xa0400,00\xa0Kč" in card  # babel: Czech grouping, decimal comma, koruna sign
    assert "1. 3. 2025" in card  # the RO's date, medium Czech format


def test_the_language_cookie_applies_before_sign_in(anonymous: TestClient) -> None:
    anonymous.cookies.set("retention_lang", "fi")
    assert "Kirjaudu sisään" in anonymous.get("/login").text
    anonymous.cookies.clear()
    assert "Войти" in anonymous.get("/login", headers={"Accept-Language": "ru,en;q=0.5"}).text


def test_pages_carry_the_strict_content_security_policy(anonymous: TestClient) -> None:
    csp = anonymous.get("/login").headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_templates_have_no_inline_scripts_styles_or_handlers() -> None:
    for template in (WEB / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text)
        assert all('type="application/json"' in s for s in scripts), template
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", text), template


def test_static_modules_are_served(anonymous: TestClient) -> None:
    for name in ("api.js", "layout.js", "login.js", "customer.js", "users.js", "dealer.js"):
        answer = anonymous.get(f"/static/js/{name}")
        assert answer.status_code == 200, name
        assert "javascript" in answer.headers["content-type"]
