"""The dataset document of the public contract (``shared/contract``) as pydantic models.

Every model forbids unknown fields, so a misspelt field is an error rather than silently ignored.
Field-level checks live here; checks that need other records (references, the dealer's country
for phone numbers, its distance unit) live in ``validation.py``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from babel import Locale, UnknownLocaleError
from babel.numbers import list_currencies
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from app.enums import (
    AppointmentStatus,
    CustomerStatus,
    DistanceUnit,
    FuelType,
    OdometerSource,
    PayType,
    PhoneType,
    RecallStatus,
    ServiceKind,
    VehicleStatus,
    WarrantyKind,
)
from app.vehicle.vin import normalize_vin, vin_problem
from invitations import DEFAULT_SEASONAL_CAMPAIGNS, CampaignKind, SeasonalCampaign

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
NonNegative = Annotated[int, Field(ge=0)]
Money = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
_CURRENCIES = frozenset(list_currencies())
_BUILTIN_CAMPAIGNS = {c.code: c for c in DEFAULT_SEASONAL_CAMPAIGNS}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@cache
def _known_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _vin(value: str) -> str:
    vin = normalize_vin(value)
    problem = vin_problem(vin)
    if problem:
        raise ValueError(problem)
    return vin


class DealerIn(Record):
    code: Code
    name: Text
    group: Text
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    time_zone: str
    locale: str
    distance_unit: DistanceUnit = DistanceUnit.KM
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    workshop_capacity_per_day: NonNegative = 0
    opening_hours: dict[str, list[tuple[str, str]]] | None = None
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # Looked up in the list of known zones first: ZoneInfo() of arbitrary text reaches the
        # file system and raises OS errors (name too long, NUL byte) rather than a clean miss.
        if value not in _known_time_zones():
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Europe/Prague)")
        return value

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        try:
            Locale.parse(value.replace("-", "_"))
        except (UnknownLocaleError, ValueError) as exc:
            raise ValueError(f"unknown locale {value!r} (e.g. cs, fi, uk, en_GB)") from exc
        return value

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if value not in _CURRENCIES:
            raise ValueError(f"unknown ISO 4217 currency {value!r}")
        return value

    @field_validator("opening_hours")
    @classmethod
    def _hours(
        cls, value: dict[str, list[tuple[str, str]]] | None
    ) -> dict[str, list[tuple[str, str]]] | None:
        if value is None:
            return None
        days = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
        for day, spans in value.items():
            if day not in days:
                raise ValueError(f"opening_hours day {day!r} must be one of {sorted(days)}")
            for start, end in spans:
                for t in (start, end):
                    if not re.match(r"^([01]\d|2[0-3]):[0-5]\d$", t):
                        raise ValueError(f"opening_hours time {t!r} must be HH:MM")
                if start >= end:
                    raise ValueError(f"opening_hours span {start}-{end} must end after it starts")
        return value


class ServicePlanIn(Record):
    make: Code
    model: Code
    fuel: str = "*"
    first_service_days: Annotated[int, Field(gt=0, le=3650)] = 30
    first_service_km: Annotated[int, Field(gt=0)] | None = None
    interval_months: Annotated[int, Field(gt=0, le=120)]
    interval_km: Annotated[int, Field(gt=0, le=500_000)]

    @field_validator("fuel")
    @classmethod
    def _fuel(cls, value: str) -> str:
        if value != "*" and value not in set(FuelType):
            raise ValueError(f"fuel must be '*' or one of {', '.join(FuelType)}")
        return value


class PhoneIn(Record):
    number: Annotated[str, StringConstraints(min_length=3, max_length=32)]
    type: PhoneType = PhoneType.MOBILE
    primary: bool = False


class ConsentIn(Record):
    marketing_calls: bool = True
    do_not_call: bool = False


class CustomerIn(Record):
    external_id: Key
    dealer: Code
    first_name: Text | None = None
    last_name: Text | None = None
    company_name: Text | None = None
    phones: list[PhoneIn] = Field(default_factory=list, max_length=10)
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}([_-][A-Za-z]{2})?$")] | None = (
        None
    )
    consent: ConsentIn | None = None
    tyre_hotel: bool = False
    status: CustomerStatus = CustomerStatus.ACTIVE

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @model_validator(mode="after")
    def _one_primary(self) -> CustomerIn:
        if sum(p.primary for p in self.phones) > 1:
            raise ValueError("phones: at most one phone can be primary")
        numbers = [p.number for p in self.phones]
        if len(set(numbers)) != len(numbers):
            raise ValueError("phones: the same number is listed twice")
        return self


class WarrantyIn(Record):
    kind: WarrantyKind
    start_date: date
    months: Annotated[int, Field(gt=0, le=240)]
    km: Annotated[int, Field(gt=0)] | None = None


class VehicleIn(Record):
    vin: str
    dealer: Code
    make: Code
    model: Code
    model_year: Annotated[int, Field(ge=1950, le=2100)] | None = None
    fuel: FuelType = FuelType.PETROL
    registration: Annotated[str, StringConstraints(max_length=20)] | None = None
    delivery_date: date | None = None
    sold_by_dealer: bool = False
    delivery_odometer: NonNegative = 0
    warranties: list[WarrantyIn] = Field(default_factory=list, max_length=10)
    status: VehicleStatus = VehicleStatus.ACTIVE

    _check_vin = field_validator("vin")(_vin)

    @model_validator(mode="after")
    def _one_warranty_per_kind(self) -> VehicleIn:
        kinds = [w.kind for w in self.warranties]
        if len(set(kinds)) != len(kinds):
            raise ValueError("warranties: one warranty per kind")
        return self


class OwnershipIn(Record):
    vin: str
    customer: Key
    start_date: date
    end_date: date | None = None

    _check_vin = field_validator("vin")(_vin)

    @model_validator(mode="after")
    def _ordered(self) -> OwnershipIn:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class RepairOrderLineIn(Record):
    op_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    pay_type: PayType
    labor_amount: Money = Decimal("0")
    parts_amount: Money = Decimal("0")
    service_kind: ServiceKind
    campaign_code: Annotated[str, StringConstraints(max_length=32)] | None = None


class RepairOrderIn(Record):
    external_id: Key
    dealer: Code
    vin: str
    customer: Key | None = None
    opened_date: date
    closed_date: date | None = None
    odometer_in: NonNegative | None = None
    appointment: Key | None = None
    lines: list[RepairOrderLineIn] = Field(default_factory=list, max_length=500)

    _check_vin = field_validator("vin")(_vin)

    @model_validator(mode="after")
    def _ordered(self) -> RepairOrderIn:
        if self.closed_date is not None and self.closed_date < self.opened_date:
            raise ValueError("closed_date is before opened_date")
        return self


class OdometerReadingIn(Record):
    vin: str
    date: date
    value: NonNegative
    source: OdometerSource = OdometerSource.DMS
    odometer_replaced: bool = False

    _check_vin = field_validator("vin")(_vin)


class RecallVehicleIn(Record):
    vin: str
    status: RecallStatus = RecallStatus.OPEN

    _check_vin = field_validator("vin")(_vin)


class RecallIn(Record):
    campaign_code: Code
    make: Code | None = None
    title: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    component: Text | None = None
    remedy_available: bool = True
    start_date: date | None = None
    vehicles: list[RecallVehicleIn] = Field(default_factory=list)


class AppointmentIn(Record):
    external_id: Key
    dealer: Code
    vin: str
    customer: Key | None = None
    slot_start: datetime
    duration_minutes: Annotated[int, Field(gt=0, le=24 * 60)] = 60
    service_types: list[Code] = Field(default_factory=list, max_length=20)
    status: AppointmentStatus = AppointmentStatus.BOOKED

    _check_vin = field_validator("vin")(_vin)


_MONTH_DAY = r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


class SeasonalCampaignIn(Record):
    """An override of (or an addition to) the built-in seasonal campaigns, by ``code``; without
    ``dealer`` it applies to every dealer. For a built-in code, the fields left out keep the
    built-in values (``{"code": "ac_check", "enabled": false}`` switches it off)."""

    code: Code
    dealer: Code | None = None
    kind: CampaignKind | None = None
    country: Annotated[str, StringConstraints(pattern=r"^([A-Z]{2}|\*)$")] | None = None
    start: Annotated[str, StringConstraints(pattern=_MONTH_DAY)] | None = None
    end: Annotated[str, StringConstraints(pattern=_MONTH_DAY)] | None = None
    after_easter: bool | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _complete(self) -> SeasonalCampaignIn:
        builtin = _BUILTIN_CAMPAIGNS.get(self.code)
        missing = [
            name
            for name in ("kind", "country", "start", "end")
            if getattr(self, name) is None and builtin is None
        ]
        if missing:
            raise ValueError(f"{', '.join(missing)} required for a campaign that is not built in")
        return self

    def campaign(self) -> SeasonalCampaign:
        """The engine campaign (built-in values filled in); raises ``ValueError`` if invalid."""
        builtin = _BUILTIN_CAMPAIGNS.get(self.code)
        start = self.start.split("-") if self.start else None
        end = self.end.split("-") if self.end else None
        return SeasonalCampaign(
            code=self.code,
            kind=self.kind or builtin.kind,  # type: ignore[union-attr]
            country=self.country or builtin.country,  # type: ignore[union-attr]
            start_month=int(start[0]) if start else builtin.start_month,  # type: ignore[union-attr]
            start_day=int(start[1]) if start else builtin.start_day,  # type: ignore[union-attr]
            end_month=int(end[0]) if end else builtin.end_month,  # type: ignore[union-attr]
            end_day=int(end[1]) if end else builtin.end_day,  # type: ignore[union-attr]
            after_easter=(
                self.after_easter
                if self.after_easter is not None
                else bool(builtin and builtin.after_easter)
            ),
            enabled=self.enabled,
        )


SECTIONS: dict[str, type[Record]] = {
    "dealers": DealerIn,
    "service_plans": ServicePlanIn,
    "customers": CustomerIn,
    "vehicles": VehicleIn,
    "ownerships": OwnershipIn,
    "repair_orders": RepairOrderIn,
    "odometer_readings": OdometerReadingIn,
    "recalls": RecallIn,
    "appointments": AppointmentIn,
    "seasonal_campaigns": SeasonalCampaignIn,
}


class DatasetDocument(BaseModel):
    """A parsed, field-valid document. Built by ``validation.parse_document``."""

    model_config = ConfigDict(extra="forbid")

    source: Key
    dealers: list[DealerIn] = Field(default_factory=list)
    service_plans: list[ServicePlanIn] = Field(default_factory=list)
    customers: list[CustomerIn] = Field(default_factory=list)
    vehicles: list[VehicleIn] = Field(default_factory=list)
    ownerships: list[OwnershipIn] = Field(default_factory=list)
    repair_orders: list[RepairOrderIn] = Field(default_factory=list)
    odometer_readings: list[OdometerReadingIn] = Field(default_factory=list)
    recalls: list[RecallIn] = Field(default_factory=list)
    appointments: list[AppointmentIn] = Field(default_factory=list)
    seasonal_campaigns: list[SeasonalCampaignIn] = Field(default_factory=list)
