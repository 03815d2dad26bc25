"""Every API route x every role x two dealers, built from the app's own route table.

A new route is covered without editing this file: its declared access rule decides what each
caller should get. Owners (dealer A, or a platform administrator) must get through; callers of
dealer B must get 404 for dealer A's objects; everybody else 401 or 403. A route whose path has a
parameter this file cannot fill, or that declares no rule, fails the test.
"""

from __future__ import annotations

import re
import uuid
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
from app.invitation.models import SeasonalCampaign
from app.main import create_app
from app.models import ServicePlan, Vehicle
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
    path_values: dict[str, Any]


# Writes to the shared catalogue, and the platform's job runs (no dealer): a dealer-scoped caller
# whose role the rule admits gets 403, only a platform administrator gets through.
SHARED = {
    ("POST", "/api/v1/service-plans"),
    ("PATCH", "/api/v1/service-plans/{plan_id}"),
    ("DELETE", "/api/v1/service-plans/{plan_id}"),
    ("GET", "/api/v1/job-runs"),  # the scheduler serves every dealer
}


def _new_service_plan(session: Session) -> int:
    plan = ServicePlan(make=f"Make{uuid.uuid4().hex[:8]}", model="*", fuel="*",
                       interval_months=12, interval_km=15_000)  # fmt: skip
    session.add(plan)
    session.flush()
    return int(plan.id or 0)


def _new_campaign(session: Session, dealer: Any) -> int:
    campaign = SeasonalCampaign(code=f"M{uuid.uuid4().hex[:8]}", dealer_id=dealer.id,
                                kind="ac_check", country="*", start_month=4, start_day=15,
                                end_month=6, end_day=15)  # fmt: skip
    session.add(campaign)
    session.flush()
    return int(campaign.id or 0)


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
    ("PATCH", "/api/v1/dealers/{code}/campaigns/{invitation_type}"): lambda w: (
        {"paused": True},
        False,
    ),
    ("POST", "/api/v1/call-tasks/{task_id}/reassign"): lambda w: ({"agent_id": None}, False),
    ("POST", "/api/v1/service-plans"): lambda w: (
        {
            "make": f"Make{uuid.uuid4().hex[:8]}",
            "model": "*",
            "interval_months": 12,
            "interval_km": 15_000,
        },
        False,
    ),  # fmt: skip
    ("PATCH", "/api/v1/service-plans/{plan_id}"): lambda w: ({"interval_months": 24}, False),
    ("POST", "/api/v1/seasonal-campaigns"): lambda w: (
        {
            "code": f"M{uuid.uuid4().hex[:8]}",
            "dealer": w.dealer_a.code,
            "kind": "ac_check",
            "country": "*",
            "start_month": 4,
            "start_day": 15,
            "end_month": 6,
            "end_day": 15,
        },
        True,
    ),  # fmt: skip
    ("PATCH", "/api/v1/seasonal-campaigns/{campaign_id}"): lambda w: ({"enabled": False}, False),
    ("POST", "/api/v1/dealer-groups/{group_id}/dispositions"): lambda w: (
        {"code": f"m{uuid.uuid4().hex[:8]}", "label": "Matrix", "retry_after_minutes": 60},
        False,
    ),
    ("PATCH", "/api/v1/dealer-groups/{group_id}/dispositions/{disposition_code}"): lambda w: (
        {"label": "Matrix"},
        False,
    ),
    ("PATCH", "/api/v1/auth/me"): lambda w: ({"language": "cs"}, False),
    ("POST", "/api/v1/users"): lambda w: (
        {
            "email": f"matrix-{uuid.uuid4().hex[:8]}@example.test",
            "display_name": "Matrix",
            "role": "agent",
            "password": "a long enough password",
            "dealer_ids": [w.dealer_a.id],
        },
        True,
    ),
    ("PATCH", "/api/v1/users/{user_id}"): lambda w: ({"display_name": "Matrix"}, False),
    ("PATCH", "/api/v1/customers/{customer_id}/consent"): lambda w: (
        {"marketing_calls": False, "channel": "phone"},
        False,
    ),
    ("PATCH", "/api/v1/dealers/{dealer_id}/settings"): lambda w: (
        {"workshop_capacity_per_day": 5},
        False,
    ),
}


# Query strings that succeed for every admitted caller (required parameters).
QUERIES: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/reports/funnel"): "?from=2026-01-01&to=2026-04-01&dimension=dealer",
    ("GET", "/api/v1/reports/agents"): "?from=2026-01-01&to=2026-04-01",
    ("GET", "/api/v1/reports/retention"): "?from=2025-01-01&to=2026-01-01",
    ("GET", "/api/v1/reports/recalls"): "",
    ("GET", "/api/v1/reports/funnel/export"): "?from=2026-01-01&to=2026-04-01&format=csv",
    ("GET", "/api/v1/reports/agents/export"): "?from=2026-01-01&to=2026-04-01&format=xlsx",
    ("GET", "/api/v1/reports/retention/export"): "?from=2025-01-01&to=2026-01-01&format=csv",
    ("GET", "/api/v1/reports/recalls/export"): "?format=xlsx",
}


def _new_disposition(session: Session, dealer: Any) -> str:
    from app.call.models import Disposition

    code = f"m{uuid.uuid4().hex[:8]}"
    session.add(Disposition(group_id=dealer.group_id, code=code, label="Matrix"))
    session.flush()
    return code


def _task_of(session: Session, customer_id: int) -> int:
    from sqlalchemy import select

    from app.models import CallTask

    return int(
        session.execute(
            select(CallTask.id).where(CallTask.customer_id == customer_id)  # type: ignore[arg-type]
        ).scalar_one()
    )


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
    rule: AccessRule, caller: Caller, *, has_object: bool, known_body: bool, shared: bool = False
) -> set[int] | str:
    if rule.public:
        return "below 500"
    if caller.role is None and not caller.scopes:
        return {401}
    if not _admitted(rule, caller):
        return {403}
    if shared and caller.dealer is not None:
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
    user_a = create_user(session, role=Role.AGENT, dealers=[dealer_a])
    world = World(
        dealer_a,
        dealer_b,
        {
            "customer_id": int(customer.id or 0),
            "key_id": int(key_row.id or 0),
            "task_id": _task_of(session, int(customer.id or 0)),
            "code": dealer_a.code,
            "invitation_type": "recall",
            "plan_id": lambda: _new_service_plan(session),
            "campaign_id": lambda: _new_campaign(session, dealer_a),
            "user_id": int(user_a.id or 0),
            "dealer_id": int(dealer_a.id or 0),
            "vehicle_id": int(vehicle_a.id or 0),
            "group_id": int(dealer_a.group_id),
            "disposition_code": lambda: _new_disposition(session, dealer_a),
        },
    )
    params = re.findall(r"{(\w+)}", path)
    missing = [p for p in params if p not in world.path_values]
    assert not missing, f"add an object of dealer A for path parameter(s) {missing} of {path}"
    method = sorted(route.methods)[0]
    callers = _callers(session, world)

    failures = []
    with TestClient(app_on(session)) as client:
        for caller in callers:
            values = {p: world.path_values[p] for p in params}
            url = path.format(**{p: v() if callable(v) else v for p, v in values.items()})
            url += QUERIES.get((method, path), "")
            body, names_a = BODIES.get((method, path), lambda w: (None, False))(world)
            has_object = bool(params) or names_a
            client.cookies.clear()
            if body is not None:  # a fresh body per caller (unique e-mails of new users)
                body = BODIES[(method, path)](world)[0]
            if caller.cookie:
                client.cookies.set(SESSION_COOKIE, caller.cookie)
            response = client.request(method, url, json=body, headers=caller.headers or {})
            want = _expected(
                rule,
                caller,
                has_object=has_object,
                known_body=body is not None or method == "GET",
                shared=(method, path) in SHARED,
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
