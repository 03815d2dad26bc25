"""Every table module, imported in dependency order so Alembic and tests see the whole schema."""

import app.db  # noqa: F401 - sets the naming convention before any table is defined
from app.audit.models import AuditEvent
from app.auth.models import ApiKey, User, UserDealer, UserSession
from app.call.models import Appointment, CallAttempt, CallTask, Disposition, Invitation
from app.contact.models import CampaignControl
from app.customer.models import Customer, CustomerPhone
from app.dealer.models import Dealer, DealerGroup
from app.dms.models import (
    AppointmentOutbox,
    DmsIntegration,
    DmsRecordVersion,
    DmsWatermark,
    DmsWebhookEvent,
)
from app.invitation.models import NightlyRun, SeasonalCampaign
from app.reporting.models import (
    ReportAgentDay,
    ReportFunnelCustomerDay,
    ReportFunnelDay,
    ReportFunnelPeriod,
    ReportFunnelSharedCustomer,
)
from app.scheduler.models import JobRun
from app.security.models import RateLimitCounter
from app.vehicle.models import (
    OdometerReading,
    Ownership,
    RecallCampaign,
    RecallVehicle,
    RepairOrder,
    RepairOrderLine,
    ServicePlan,
    Vehicle,
    Warranty,
)

__all__ = [
    "ApiKey",
    "Appointment",
    "AppointmentOutbox",
    "AuditEvent",
    "CallAttempt",
    "CallTask",
    "CampaignControl",
    "Customer",
    "CustomerPhone",
    "Dealer",
    "DealerGroup",
    "Disposition",
    "DmsIntegration",
    "DmsRecordVersion",
    "DmsWatermark",
    "DmsWebhookEvent",
    "Invitation",
    "JobRun",
    "NightlyRun",
    "OdometerReading",
    "RateLimitCounter",
    "ReportAgentDay",
    "ReportFunnelCustomerDay",
    "ReportFunnelDay",
    "ReportFunnelPeriod",
    "ReportFunnelSharedCustomer",
    "Ownership",
    "RecallCampaign",
    "RecallVehicle",
    "RepairOrder",
    "RepairOrderLine",
    "SeasonalCampaign",
    "ServicePlan",
    "User",
    "UserDealer",
    "UserSession",
    "Vehicle",
    "Warranty",
]
