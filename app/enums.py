"""The vocabularies stored in the database (checked by CHECK constraints) and used in the API."""

from __future__ import annotations

from enum import StrEnum


class DistanceUnit(StrEnum):
    KM = "km"
    MI = "mi"


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    DECEASED = "deceased"
    ERASED = "erased"


class ValueSegment(StrEnum):
    VIP = "vip"
    HIGH = "high"
    STANDARD = "standard"
    LOW = "low"


class PhoneType(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    WORK = "work"
    OTHER = "other"


class VehicleStatus(StrEnum):
    ACTIVE = "active"
    SOLD = "sold"
    SCRAPPED = "scrapped"
    STOLEN = "stolen"
    EXPORTED = "exported"


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


class WarrantyKind(StrEnum):
    BASIC = "basic"
    POWERTRAIN = "powertrain"
    EXTENDED = "extended"


class PayType(StrEnum):
    CUSTOMER_PAY = "customer_pay"
    WARRANTY = "warranty"
    INTERNAL = "internal"


class ServiceKind(StrEnum):
    MAINTENANCE = "maintenance"
    REPAIR = "repair"
    RECALL = "recall"
    TYRES = "tyres"
    INSPECTION = "inspection"
    OTHER = "other"


class OdometerSource(StrEnum):
    REPAIR_ORDER = "repair_order"
    DELIVERY = "delivery"
    TELEMATICS = "telematics"
    AGENT = "agent"
    DMS = "dms"


class RecallStatus(StrEnum):
    OPEN = "open"
    COMPLETED_HERE = "completed_here"
    COMPLETED_ELSEWHERE = "completed_elsewhere"
    NOT_APPLICABLE = "not_applicable"


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CONFIRMED = "confirmed"
    ARRIVED = "arrived"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


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
