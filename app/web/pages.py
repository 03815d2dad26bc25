"""The HTML pages. Each declares who may open it (``page``/``public_page``, deny by default)
and calls the same services as the REST API; writes go through the API from the page's script."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.auth import service as auth_service
from app.auth.models import ApiScope
from app.customer import service as customer_service
from app.customer.models import ConsentChannel
from app.dealer import service as dealer_service
from app.dealer.models import WEEKDAYS
from app.deps import SessionDep
from app.enums import Role
from app.security.access import ALL_ROLES
from app.web.access import Viewer, page, public_page
from app.web.rendering import render

router = APIRouter(include_in_schema=False)

AnyViewer = Annotated[Viewer, Depends(page(roles=ALL_ROLES))]
AdminViewer = Annotated[Viewer, Depends(page(roles={Role.ADMIN}))]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
PER_PAGE = 25


def _pages(count: int, per_page: int = PER_PAGE) -> int:
    return max(1, -(-count // per_page))


def _safe_next(value: str | None) -> str:
    # Only a path on this site: "//evil.example" or "https://..." would be an open redirect.
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(public_page())])
def login_page(
    request: Request, next_path: Annotated[str | None, Query(alias="next", max_length=500)] = None
) -> HTMLResponse:
    return render(request, "login.html", viewer=None, next_path=_safe_next(next_path))


@router.get("/", response_class=HTMLResponse)
def home_page(viewer: AnyViewer) -> RedirectResponse:
    return RedirectResponse("/customers", status_code=303)


@router.get("/customers", response_class=HTMLResponse)
def customer_search_page(
    request: Request,
    viewer: AnyViewer,
    session: SessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    page_no: Annotated[PageNo, Query(alias="page")] = 1,
) -> HTMLResponse:
    results = None
    if len(q.strip()) >= 2:
        results = customer_service.search_customers(
            session,
            query=q,
            dealer_ids=viewer.principal.dealer_ids,
            limit=PER_PAGE,
            offset=(page_no - 1) * PER_PAGE,
        )
    return render(
        request,
        "customers/search.html",
        viewer=viewer,
        q=q,
        too_short=0 < len(q.strip()) < 2,
        results=results,
        page_no=page_no,
        pages=_pages(results.count) if results else 1,
    )


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    request: Request,
    customer_id: Id,
    viewer: AnyViewer,
    session: SessionDep,
    page_no: Annotated[PageNo, Query(alias="page")] = 1,
) -> HTMLResponse:
    scope = viewer.principal.dealer_ids
    customer = customer_service.read_customer(session, customer_id=customer_id, dealer_ids=scope)
    timeline = customer_service.read_timeline(
        session,
        customer_id=customer_id,
        dealer_ids=scope,
        limit=PER_PAGE,
        offset=(page_no - 1) * PER_PAGE,
    )
    return render(
        request,
        "customers/detail.html",
        viewer=viewer,
        customer=customer,
        timeline=timeline,
        page_no=page_no,
        pages=_pages(timeline.count),
        channels=list(ConsentChannel),
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    viewer: AdminViewer,
    session: SessionDep,
    page_no: Annotated[PageNo, Query(alias="page")] = 1,
) -> HTMLResponse:
    scope = viewer.principal.dealer_ids
    users = auth_service.list_users(
        session, dealer_ids=scope, limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE
    )
    dealers = dealer_service.list_dealers(session, dealer_ids=scope, limit=200, offset=0)
    return render(
        request,
        "admin/users.html",
        viewer=viewer,
        users=users,
        dealers=dealers.data,
        dealer_codes={d.id: d.code for d in dealers.data},
        roles=list(Role),
        page_no=page_no,
        pages=_pages(users.count),
    )


@router.get("/admin/api-keys", response_class=HTMLResponse)
def api_keys_page(
    request: Request,
    viewer: AdminViewer,
    session: SessionDep,
    page_no: Annotated[PageNo, Query(alias="page")] = 1,
) -> HTMLResponse:
    scope = viewer.principal.dealer_ids
    keys, total = auth_service.list_api_keys(
        session, dealer_ids=scope, dealer_id=None, limit=PER_PAGE, offset=(page_no - 1) * PER_PAGE
    )
    dealers = dealer_service.list_dealers(session, dealer_ids=scope, limit=200, offset=0)
    return render(
        request,
        "admin/api_keys.html",
        viewer=viewer,
        keys=keys,
        dealers=dealers.data,
        dealer_codes={d.id: d.code for d in dealers.data},
        scopes=list(ApiScope),
        page_no=page_no,
        pages=_pages(total),
    )


@router.get("/admin/dealers", response_class=HTMLResponse)
def dealers_page(
    request: Request,
    viewer: AdminViewer,
    session: SessionDep,
    page_no: Annotated[PageNo, Query(alias="page")] = 1,
) -> HTMLResponse:
    dealers = dealer_service.list_dealers(
        session,
        dealer_ids=viewer.principal.dealer_ids,
        limit=PER_PAGE,
        offset=(page_no - 1) * PER_PAGE,
    )
    return render(
        request,
        "admin/dealers.html",
        viewer=viewer,
        dealers=dealers,
        page_no=page_no,
        pages=_pages(dealers.count),
    )


@router.get("/admin/dealers/{dealer_id}", response_class=HTMLResponse)
def dealer_settings_page(
    request: Request, dealer_id: Id, viewer: AdminViewer, session: SessionDep
) -> HTMLResponse:
    dealer = dealer_service.read_dealer_settings(
        session, dealer_id=dealer_id, dealer_ids=viewer.principal.dealer_ids
    )
    return render(
        request,
        "admin/dealer.html",
        viewer=viewer,
        dealer=dealer,
        weekdays=WEEKDAYS,
    )
