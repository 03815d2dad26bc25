"""The manager dashboard: the funnel, KPIs, uplift and agent table of ``/api/v1/reports/*``.

The page renders the filter form and the frame; ``static/js/dashboard.js`` reads the figures from
the REST API (so the page shows exactly what the API answers) and draws the charts as SVG.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from app.dealer import service as dealer_service
from app.deps import SessionDep
from app.enums import InvitationType, Role, ValueSegment
from app.errors import BadRequest, PermissionDenied
from app.model_base import utcnow
from app.web.access import Viewer, page
from app.web.rendering import render
from reports import Grain, Period, period_containing

router = APIRouter(include_in_schema=False)

ReportViewer = Annotated[Viewer, Depends(page(roles={Role.MANAGER, Role.SUPERVISOR, Role.ADMIN}))]
Text = Annotated[str | None, Query(max_length=32)]


def default_range(today: date) -> Period:
    """The quarter in progress (the invitations due in it, whether they came yet or not)."""
    return period_containing(today, Grain.QUARTER)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    viewer: ReportViewer,
    session: SessionDep,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    grain: Grain = Grain.MONTH,
    dealer: Text = None,
    type: InvitationType | None = None,
    segment: ValueSegment | None = None,
) -> HTMLResponse:
    dealers = dealer_service.list_dealers(
        session, dealer_ids=viewer.principal.dealer_ids, limit=200, offset=0
    ).data
    if dealer and dealer not in {d.code for d in dealers}:
        # Another dealer's figures: refused outright, not an empty dashboard.
        raise PermissionDenied(f"dealer {dealer}: not one of your dealers")
    period = default_range(utcnow().date())
    start, end = start or period.start, end or period.end
    if end <= start:
        raise BadRequest("to: must be after from")
    chosen = [d for d in dealers if d.code == dealer] if dealer else dealers
    currencies = {d.currency for d in chosen}
    return render(
        request,
        "dashboard/manager.html",
        viewer=viewer,
        dealers=dealers,
        types=list(InvitationType),
        segments=list(ValueSegment),
        grains=list(Grain),
        filters={
            "from": start.isoformat(),
            "to": end.isoformat(),
            "grain": grain.value,
            "dealer": dealer or "",
            "type": type.value if type else "",
            "segment": segment.value if segment else "",
        },
        currency=currencies.pop() if len(currencies) == 1 else "",
    )
