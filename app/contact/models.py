"""Contact-centre tables and the API's request/response models."""

from __future__ import annotations

from sqlalchemy import UniqueConstraint, text
from sqlmodel import Field

from app.enums import InvitationType
from app.model_base import Timestamped, enum_check


class CampaignControl(Timestamped, table=True):
    """A supervisor's switch for one campaign (an invitation type at a dealer): paused tasks
    stay out of the queue; ``priority_boost`` is added to the priority of its open tasks."""

    __tablename__ = "campaign_control"
    __table_args__ = (
        UniqueConstraint("dealer_id", "invitation_type"),
        enum_check("invitation_type", InvitationType),
    )

    id: int | None = Field(default=None, primary_key=True)
    dealer_id: int = Field(foreign_key="dealer.id")
    invitation_type: str = Field(max_length=24)
    paused: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    priority_boost: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
