"""Every API route x every role x two dealers, built from the app's own route table.

A new route is covered without editing this file: its declared access rule decides what each
caller should get. Owners (dealer A, or a platform administrator) must get through; callers of
dealer B must get 404 for dealer A's objects; everybody else 401 or 403. A route whose path has a
parameter this file cannot fill, or that declares no rule, fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import ApiScope
from app.dms.models import DmsIntegration
from app.enums import Role
from app.main import create_app
from app.models import Vehicle
from app.security.access import CSRF_HEADER, SESSION_COOKIE, AccessRule, access_rule_of, api_routes
from tests.app.auth.factories import (
    create_api_key,
    create_customer,
    create_dealer,
    create_user,
    open_session,
)
from tests.app.conftest import app_on

ROUTES = [(path, route) for path, route in api_routes(create_app()) if path.startswith("/api")]


@dataclass(frozen=True, slots=True)
class World:
    dealer_a: Any
    dealer_b: Any
    path_values: dict[str, int]


# Bodies that succeed for dealer A's callers; `True` when the body names dealer A's objects (so
# dealer B's callers must be refused with 404 or a validation error naming nothing of A's).
BODIES: dict[tuple[str, str], Callable[[World], tuple[dict[str, Any], bool]]] = {
    ("POST", "/api/v1/auth/login"): lambda w: (
        {"email": "nobody@example.test", "password": "wrong password"},
        False,
    ),
    ("POST", "/api/v1/import"): lambda w: (
        {
            "source": "matrix",
            "customers": [{"external_id": "C-MATRIX", "dealer": w.dealer_a.code}],
        },
        True,
    ),
    ("PUT", "/api/v1/dms/integrations/{dealer_id}"): lambda w: ({"source": "matrix"}, True),
    ("POST", "/api/v1/api-keys"): lambda w: (
        {"dealer_id": w.dealer_a.id, "name": "matrix", "scopes": ["read"]},
        True,
    ),
}


@dataclass(frozen=True, slots=True)
class Caller:
    name: str
    role: Role | None = None
    scopes: frozenset[ApiScope] = frozenset()
    dealer: str | None = None  # "A", "B", or None for a platform administrator / anonymous
    headers: dict[str, str] | None = None
    cookie: str | None = None


def _callers(session: Session, world: World) -> list[Caller]:
    out = [Caller("anonymous")]
    for label, dealer in (("A", world.dealer_a), ("B", world.dealer_b)):
        for role in Role:
            signed = open_session(session, create_user(session, role=role, dealers=[dealer]))
            out.append(
                Caller(
                    f"{role.value}@{label}",
                    role=role,
                    dealer=label,
                    headers={CSRF_HEADER: signed.csrf},
                    cookie=signed.token,
                )
            )
        for scope in ApiScope:
            secret = create_api_key(session, dealer=dealer, scopes=[scope])
            out.append(
                Caller(
                    f"key[{scope.value}]@{label}",
                    scopes=frozenset({scope}),
                    dealer=label,
                    headers={"X-API-Key": secret},
                )
            )
    signed = open_session(session, create_user(session, role=Role.ADMIN))
    out.append(
        Caller(
            "platform-admin",
            role=Role.ADMIN,
            headers={CSRF_HEADER: signed.csrf},
            cookie=signed.token,
        )
    )
    return out


def _admitted(rule: AccessRule, caller: Caller) -> bool:
    if caller.role is not None:
        return rule.admits_role(caller.role)
    return bool(caller.scopes) and rule.admits_scopes(caller.scopes)


def _expected(
    rule: AccessRule, caller: Caller, *, has_object: bool, known_body: bool
) -> set[int] | str:
    if rule.public:
        return "below 500"
    if caller.role is None and not caller.scopes:
        return {401}
    if not _admitted(rule, caller):
        return {403}
    if caller.dealer == "B" and has_object:
        return {404, 422}
    return "success" if known_body else "through"


@pytest.mark.parametrize(
    ("path", "route"), ROUTES, ids=[f"{sorted(r.methods)[0]} {p}" for p, r in ROUTES]
)
def test_each_route_answers_each_caller_as_its_access_rule_says(
    session: Session, path: str, route: APIRoute
) -> None:
    rule = access_rule_of(route)
    assert rule is not None, f"{path} declares no access rule"
    dealer_a, dealer_b = create_dealer(session), create_dealer(session)
    customer = create_customer(session, dealer=dealer_a)
    key_a = create_api_key(session, dealer=dealer_a, scopes=[ApiScope.READ])
    from app.auth.repository import AuthRepository

    key_row = AuthRepository(session).api_key_by_prefix(key_a[:12])
    session.add(DmsIntegration(dealer_id=int(dealer_a.id or 0), source="matrix"))
    vehicle_a = Vehicle(
        vin="TMBJJ7NE8L0654321", dealer_id=int(dealer_a.id or 0), make="Skoda", model="Fabia"
    )
    session.add(vehicle_a)
    session.flush()
    assert key_row is not None
    world = World(
        dealer_a,
        dealer_b,
        {
            "customer_id": int(customer.id or 0),
            "key_id": int(key_row.id or 0),
            "dealer_id": int(dealer_a.id or 0),
            "vehicle_id": int(vehicle_a.id or 0),
        },
    )
    params = re.findall(r"{(\w+)}", path)
    missing = [p for p in params if p not in world.path_values]
    assert not missing, f"add an object of dealer A for path parameter(s) {missing} of {path}"
    url = path.format(**{p: world.path_values[p] for p in params})
    method = sorted(route.methods)[0]
    body, names_a = BODIES.get((method, path), lambda w: (None, False))(world)
    has_object = bool(params) or names_a
    callers = _callers(session, world)

    failures = []
    with TestClient(app_on(session)) as client:
        for caller in callers:
            client.cookies.clear()
            if caller.cookie:
                client.cookies.set(SESSION_COOKIE, caller.cookie)
            response = client.request(method, url, json=body, headers=caller.headers or {})
            want = _expected(
                rule, caller, has_object=has_object, known_body=body is not None or method == "GET"
            )
            got = response.status_code
            ok = (
                got < 500
                if want == "below 500"
                else got < 400
                if want == "success"
                else (got < 500 and got not in (401, 403, 404))
                if want == "through"
                else got in want
            )
            if not ok:
                failures.append(f"{caller.name}: got {got}, want {want}: {response.text[:200]}")
    assert not failures, f"{method} {path}\n" + "\n".join(failures)


def test_an_api_route_without_an_access_rule_stops_the_app_from_starting() -> None:
    from fastapi import APIRouter

    from app.security.access import check_declarations

    app = create_app()
    router = APIRouter()

    @router.get("/api/v1/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    app.include_router(router)

    with pytest.raises(RuntimeError, match="/api/v1/forgotten"):
        check_declarations(app)
