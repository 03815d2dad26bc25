"""The vocabularies stored in the database (checked by CHECK constraints) and used in the API."""

from __future__ import annotations

from enum import StrEnum

# The engine's vocabularies, where the stored values are exactly the engine's (same members, same
# order): one definition, so the two cannot drift apart. ``OdometerSource``, ``InvitationType``
# (a different member order) and ``InvitationStatus`` (the app adds queued, closed, expired) differ
# and are defined below.
from invitations.model import (
    AppointmentStatus,
    CustomerStatus,
    PayType,
    RecallStatus,
    ServiceKind,
    ValueSegment,
    VehicleStatus,
    WarrantyKind,
)

__all__ = [
    "AppointmentOrigin",
    "AppointmentStatus",
    "CallPurpose",
    "CallTaskOutcome",
    "CallTaskStatus",
    "CustomerStatus",
    "DistanceUnit",
    "FuelType",
    "InvitationStatus",
    "InvitationType",
    "OdometerSource",
    "PayType",
    "PhoneType",
    "RecallStatus",
    "Role",
    "ServiceKind",
    "ValueSegment",
    "VehicleStatus",
    "WarrantyKind",
]


class DistanceUnit(StrEnum):
    KM = "km"
    MI = "mi"


class PhoneType(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    WORK = "work"
    OTHER = "other"


class FuelType(StrEnum):
    PETROL = "petrol"
    DIESEL = "diesel"
    HYBRID = "hybrid"
    PLUGIN_HYBRID = "plugin_hybrid"
    ELECTRIC = "electric"
    LPG = "lpg"
    CNG = "cng"
    HYDROGEN = "hydrogen"
    OTHER = "other"


class OdometerSource(StrEnum):
    REPAIR_ORDER = "repair_order"
    DELIVERY = "delivery"
    TELEMATICS = "telematics"
    AGENT = "agent"
    DMS = "dms"


class AppointmentOrigin(StrEnum):
    CALL = "call"
    DMS = "dms"


class InvitationType(StrEnum):
    FIRST_SERVICE = "first_service"
    NEXT_SERVICE = "next_service"
    WARRANTY_EXPIRY = "warranty_expiry"
    LAPSED = "lapsed"
    RECALL = "recall"
    SEASONAL = "seasonal"
    CHURN_RISK = "churn_risk"
    NO_SHOW = "no_show"


class InvitationStatus(StrEnum):
    DUE = "due"
    SUPPRESSED = "suppressed"
    CONTROL = "control"
    QUEUED = "queued"
    CLOSED = "closed"
    EXPIRED = "expired"


class CallTaskStatus(StrEnum):
    READY = "ready"
    CLAIMED = "claimed"
    CALLBACK = "callback"
    CLOSED = "closed"


class CallTaskOutcome(StrEnum):
    BOOKED = "booked"
    DECLINED = "declined"
    UNREACHABLE = "unreachable"
    DNC = "dnc"
    WRONG_NUMBER = "wrong_number"
    NOT_OWNER = "not_owner"
    DONE_ELSEWHERE = "done_elsewhere"
    DECEASED = "deceased"
    EXPIRED = "expired"


class CallPurpose(StrEnum):
    SERVICE_REMINDER = "service_reminder"
    SAFETY_RECALL = "safety_recall"


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    ADMIN = "admin"
