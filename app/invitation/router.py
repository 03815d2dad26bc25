"""``/api/v1/invitations`` (any signed-in role, scoped to the caller's dealers) and the
catalogue the engine reads: ``/api/v1/service-plans`` and ``/api/v1/seasonal-campaigns``
(administrators; the shared catalogue only for platform administrators)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from app.deps import AdminUser, AnyUser, SessionDep
from app.enums import InvitationStatus, InvitationType
from app.invitation import service as invitation_service
from app.invitation.models import (
    InvitationFilter,
    InvitationsPublic,
    SeasonalCampaignCreate,
    SeasonalCampaignPublic,
    SeasonalCampaignUpdate,
    ServicePlanCreate,
    ServicePlanPublic,
    ServicePlanUpdate,
)

# Ids as the other routers bound them: a number past the database's integer is a 422, not a 500.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]

router = APIRouter(prefix="/invitations", tags=["invitations"])
catalogue_router = APIRouter(tags=["catalogue"])

Text = Annotated[str | None, Query(min_length=1, max_length=64)]


@router.get("", response_model=InvitationsPublic)
def list_invitations(
    caller: AnyUser,
    session: SessionDep,
    dealer: Text = None,
    type: InvitationType | None = None,
    status: InvitationStatus | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    customer: Text = None,
    vin: Annotated[str | None, Query(min_length=1, max_length=17)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> InvitationsPublic:
    """Invitations by due date; filter by dealer code, type, status, due-date range, customer
    (external id) and VIN."""
    return invitation_service.list_invitations(
        session,
        filters=InvitationFilter(
            dealer=dealer,
            type=type,
            status=status,
            due_from=due_from,
            due_to=due_to,
            customer=customer,
            vin=vin,
        ),
        limit=limit,
        offset=offset,
        dealer_ids=caller.dealer_ids,
    )


@catalogue_router.get("/service-plans", response_model=list[ServicePlanPublic])
def list_service_plans(caller: AdminUser, session: SessionDep) -> list[ServicePlanPublic]:
    return [
        ServicePlanPublic.model_validate(p) for p in invitation_service.list_service_plans(session)
    ]


@catalogue_router.post(
    "/service-plans", response_model=ServicePlanPublic, status_code=status.HTTP_201_CREATED
)
def create_service_plan(
    data: ServicePlanCreate, caller: AdminUser, session: SessionDep
) -> ServicePlanPublic:
    plan = invitation_service.create_service_plan(
        session, data=data, actor=caller.actor, dealer_ids=caller.dealer_ids
    )
    return ServicePlanPublic.model_validate(plan)


@catalogue_router.patch("/service-plans/{plan_id}", response_model=ServicePlanPublic)
def update_service_plan(
    plan_id: RowId, data: ServicePlanUpdate, caller: AdminUser, session: SessionDep
) -> ServicePlanPublic:
    plan = invitation_service.update_service_plan(
        session, plan_id=plan_id, data=data, actor=caller.actor, dealer_ids=caller.dealer_ids
    )
    return ServicePlanPublic.model_validate(plan)


@catalogue_router.delete("/service-plans/{plan_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_service_plan(plan_id: RowId, caller: AdminUser, session: SessionDep) -> None:
    invitation_service.delete_service_plan(
        session, plan_id=plan_id, actor=caller.actor, dealer_ids=caller.dealer_ids
    )


@catalogue_router.get("/seasonal-campaigns", response_model=list[SeasonalCampaignPublic])
def list_seasonal_campaigns(caller: AdminUser, session: SessionDep) -> list[SeasonalCampaignPublic]:
    """Stored overrides of the built-in campaigns (catalogue-wide, then per dealer)."""
    return invitation_service.list_seasonal_campaigns(session, dealer_ids=caller.dealer_ids)


@catalogue_router.post(
    "/seasonal-campaigns",
    response_model=SeasonalCampaignPublic,
    status_code=status.HTTP_201_CREATED,
)
def create_seasonal_campaign(
    data: SeasonalCampaignCreate, caller: AdminUser, session: SessionDep
) -> SeasonalCampaignPublic:
    return invitation_service.create_seasonal_campaign(
        session, data=data, actor=caller.actor, dealer_ids=caller.dealer_ids
    )


@catalogue_router.patch("/seasonal-campaigns/{campaign_id}", response_model=SeasonalCampaignPublic)
def update_seasonal_campaign(
    campaign_id: RowId, data: SeasonalCampaignUpdate, caller: AdminUser, session: SessionDep
) -> SeasonalCampaignPublic:
    return invitation_service.update_seasonal_campaign(
        session,
        campaign_id=campaign_id,
        data=data,
        actor=caller.actor,
        dealer_ids=caller.dealer_ids,
    )


@catalogue_router.delete(
    "/seasonal-campaigns/{campaign_id}", status_code=status.HTTP_204_NO_CONTENT
)
def delete_seasonal_campaign(campaign_id: RowId, caller: AdminUser, session: SessionDep) -> None:
    invitation_service.delete_seasonal_campaign(
        session, campaign_id=campaign_id, actor=caller.actor, dealer_ids=caller.dealer_ids
    )
