"""Administration of the invitation catalogue and the contact centre's dispositions: service
plans, seasonal campaigns and a dealer group's dispositions. The pages list what the services
return; ``static/js/catalogue.js`` writes through the REST API (``/api/v1/service-plans``,
``/api/v1/seasonal-campaigns``, ``/api/v1/dealer-groups/{id}/dispositions``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from app.contact import dispositions as disposition_service
from app.dealer import service as dealer_service
from app.deps import SessionDep
from app.enums import CallTaskOutcome, FuelType, Role
from app.errors import NotFound
from app.invitation import service as invitation_service
from app.invitation.models import ServicePlanPublic
from app.web.access import Viewer, page
from app.web.rendering import render
from invitations.seasons import CampaignKind

router = APIRouter(include_in_schema=False)

AdminViewer = Annotated[Viewer, Depends(page(roles={Role.ADMIN}))]
GroupId = Annotated[int | None, Query(alias="group", ge=1, le=2**31 - 1)]
DISPOSITION_FLAGS = (
    "contact_made",
    "final",
    "booked",
    "dnc",
    "bad_number",
    "callback",
    "ends_ownership",
    "counts_as_attempt",
    "other_part_of_day",
    "is_active",
)


@router.get("/admin/service-plans", response_class=HTMLResponse)
def service_plans_page(request: Request, viewer: AdminViewer, session: SessionDep) -> HTMLResponse:
    plans = [
        ServicePlanPublic.model_validate(p) for p in invitation_service.list_service_plans(session)
    ]
    return render(
        request,
        "admin/service_plans.html",
        viewer=viewer,
        plans=plans,
        fuels=list(FuelType),
        can_edit=viewer.principal.is_global,
    )


@router.get("/admin/campaigns", response_class=HTMLResponse)
def campaigns_page(request: Request, viewer: AdminViewer, session: SessionDep) -> HTMLResponse:
    scope = viewer.principal.dealer_ids
    campaigns = invitation_service.list_seasonal_campaigns(session, dealer_ids=scope)
    dealers = dealer_service.list_dealers(session, dealer_ids=scope, limit=200, offset=0).data
    return render(
        request,
        "admin/campaigns.html",
        viewer=viewer,
        campaigns=campaigns,
        dealers=dealers,
        kinds=list(CampaignKind),
        is_global=viewer.principal.is_global,
    )


@router.get("/admin/dispositions", response_class=HTMLResponse)
def dispositions_page(
    request: Request, viewer: AdminViewer, session: SessionDep, group: GroupId = None
) -> HTMLResponse:
    scope = viewer.principal.dealer_ids
    groups = disposition_service.visible_groups(session, dealer_ids=scope)
    if group is not None and group not in {g[0] for g in groups}:
        raise NotFound("dealer group not found")
    chosen = group if group is not None else (groups[0][0] if groups else None)
    rows = (
        []
        if chosen is None
        else disposition_service.list_dispositions(session, group_id=chosen, dealer_ids=scope)
    )
    return render(
        request,
        "admin/dispositions.html",
        viewer=viewer,
        groups=groups,
        group_id=chosen,
        dispositions=rows,
        flags=DISPOSITION_FLAGS,
        outcomes=list(CallTaskOutcome),
    )
