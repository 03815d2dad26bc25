"""Pure, deterministic invitation engine for dealer service retention.

Frozen dataclasses in (vehicle facts, customer facts, dealer policy, ``today``), decisions out: no
database, web framework, settings, logging or clock. The app maps its rows to
:class:`VehicleFacts` and :class:`CustomerFacts`, builds a :class:`DealerPolicy` with
:meth:`DealerPolicy.from_settings`, and calls:

* :func:`due_invitations` — every invitation due on a date, with status and reason;
* :func:`plan_call_tasks` — those merged into one call task per customer.

The rules are documented in ``docs/rules.md`` and in each module of :mod:`invitations.rules`.
"""

from invitations.contact import (
    SEGMENT_BONUS,
    TYPE_PRIORITY,
    customer_pay_revenue,
    in_control_group,
    plan_call_tasks,
    priority,
    value_segments,
)
from invitations.dates import add_months, next_working_day
from invitations.engine import EXPLANATION_MESSAGES, due_invitations, evaluate_vehicle
from invitations.model import (
    Appointment,
    AppointmentStatus,
    CallTaskPlan,
    Confidence,
    ContactOutcome,
    ContactRecord,
    CustomerFacts,
    CustomerStatus,
    Explanation,
    Invitation,
    InvitationStatus,
    InvitationType,
    OdometerReading,
    OdometerSource,
    PayType,
    Recall,
    RecallStatus,
    RepairOrder,
    RepairOrderLine,
    ServiceKind,
    SuppressionReason,
    ValueSegment,
    VehicleFacts,
    VehicleStatus,
    Warranty,
    WarrantyKind,
)
from invitations.odometer import OdometerProjection, project_odometer
from invitations.policy import (
    DEFAULT_SERVICE_PLAN,
    POLICY_SETTING_NAMES,
    DealerPolicy,
    ServicePlan,
    match_service_plan,
)
from invitations.rules.lapsed import LapsedTier
from invitations.seasons import (
    DEFAULT_SEASONAL_CAMPAIGNS,
    CampaignKind,
    SeasonalCampaign,
    merge_campaigns,
)

__all__ = [
    "DEFAULT_SEASONAL_CAMPAIGNS",
    "DEFAULT_SERVICE_PLAN",
    "EXPLANATION_MESSAGES",
    "POLICY_SETTING_NAMES",
    "SEGMENT_BONUS",
    "TYPE_PRIORITY",
    "Appointment",
    "AppointmentStatus",
    "CallTaskPlan",
    "CampaignKind",
    "Confidence",
    "ContactOutcome",
    "ContactRecord",
    "CustomerFacts",
    "CustomerStatus",
    "DealerPolicy",
    "Explanation",
    "Invitation",
    "InvitationStatus",
    "InvitationType",
    "LapsedTier",
    "OdometerProjection",
    "OdometerReading",
    "OdometerSource",
    "PayType",
    "Recall",
    "RecallStatus",
    "RepairOrder",
    "RepairOrderLine",
    "SeasonalCampaign",
    "ServiceKind",
    "ServicePlan",
    "SuppressionReason",
    "ValueSegment",
    "VehicleFacts",
    "VehicleStatus",
    "Warranty",
    "WarrantyKind",
    "add_months",
    "customer_pay_revenue",
    "due_invitations",
    "evaluate_vehicle",
    "in_control_group",
    "match_service_plan",
    "merge_campaigns",
    "next_working_day",
    "plan_call_tasks",
    "priority",
    "project_odometer",
    "value_segments",
]
