"""The STAR repair-order adapter: STAR ``RepairOrder`` documents (JSON, the snake_case form of
the STAR legacy service API, ``legacy/domain/service/api/repair_order``) mapped to the dataset's
repair orders and odometer readings, then imported through the dataset import.

Mapping (docs/integration.md has the table):

* ``repair_order_header.document_identification_group.document_identification.document_id``
  (or ``repair_order_number``) -> ``external_id``;
* ``dealer_party.party_id`` -> ``dealer``; ``owner_party.party_id`` -> ``customer``;
* ``repair_order_vehicle_line_item.vehicle.vehicle_id`` -> ``vin``;
* ``repair_order_opened_date[_time]`` -> ``opened_date``; ``repair_order_completed_date[_time]``,
  else ``repair_order_invoice_date[_time]`` -> ``closed_date``;
* ``in_distance_measure`` (else ``out_distance_measure``) ``{value, unit_code}`` ->
  ``odometer_in`` in the dealer's unit, and an odometer reading (source ``repair_order``,
  ``odometer_replaced`` when ``odometer_status`` says "replaced");
* each ``job`` -> a line: ``operation_id`` (else the first ``service_labor.labor_operation_id``)
  -> ``op_code``; ``operation_name`` -> ``description``; ``pay_type`` (STAR PayTypes), else
  ``bill_to_party_type`` -> ``pay_type``; ``labor_operation_type`` -> ``service_kind`` (a job
  with a ``service_campaign`` is a recall); ``price[]``/``pricing[]`` LABOR and PARTS
  ``charge_amount`` -> amounts; ``service_campaign[0].campaign_number_string`` ->
  ``campaign_code``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.enums import PayType, ServiceKind

KM_PER_MILE = 1.609344

PAY_TYPES = {
    "CUSTOMER_PAY": PayType.CUSTOMER_PAY,
    "CUSTOMER": PayType.CUSTOMER_PAY,
    "SUBLET": PayType.CUSTOMER_PAY,
    "WARRANTY": PayType.WARRANTY,
    "MANUFACTURER": PayType.WARRANTY,
    "OEM": PayType.WARRANTY,
    "INTERNAL": PayType.INTERNAL,
    "DEALER": PayType.INTERNAL,
    "WHOLESALER": PayType.CUSTOMER_PAY,
    "INSURANCE": PayType.CUSTOMER_PAY,
    "LESSOR": PayType.CUSTOMER_PAY,
}
SERVICE_KINDS = {
    "MAINTENANCE": ServiceKind.MAINTENANCE,
    "INSPECTION": ServiceKind.INSPECTION,
    "RECALL": ServiceKind.RECALL,
    "REPAIR": ServiceKind.REPAIR,
    "DIAGNOSTIC": ServiceKind.REPAIR,
    "REMOTE_DIAGNOSTIC": ServiceKind.REPAIR,
    "WARRANTY": ServiceKind.REPAIR,
    "BODY_SHOP": ServiceKind.REPAIR,
}


class StarError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _dig(obj: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _date(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            return text  # the dataset validation names the field


def _amount(value: Any) -> Decimal | None:
    value = _dig(value, "value") if isinstance(value, dict) else value
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _distance(measure: Any, dealer_unit: str) -> tuple[int | None, str]:
    """(value in the dealer's unit, the source's unit) of a STAR distance measure."""
    if isinstance(measure, int | float):
        return int(measure), dealer_unit
    value = _dig(measure, "value")
    unit = str(_dig(measure, "unit_code") or _dig(measure, "unitCode") or "").upper()
    if value is None:
        return None, dealer_unit
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StarError("in_distance_measure.value", f"{value!r} is not a number") from None
    source_unit = "mi" if unit in ("MI", "SMI", "MILE", "MILES") else "km" if unit else dealer_unit
    if source_unit == "mi" and dealer_unit == "km":
        number *= KM_PER_MILE
    elif source_unit == "km" and dealer_unit == "mi":
        number /= KM_PER_MILE
    return round(number), source_unit


def _pay_type(job: dict[str, Any]) -> str:
    for raw in (job.get("pay_type"), job.get("bill_to_party_type")):
        if isinstance(raw, str) and raw.strip():
            key = raw.strip().upper().replace(" ", "_")
            if key in PAY_TYPES:
                return PAY_TYPES[key].value
            return raw  # reported by the dataset validation
    job_type = str(job.get("job_type_string") or "").lower()
    if "warranty" in job_type:
        return PayType.WARRANTY.value
    if "internal" in job_type:
        return PayType.INTERNAL.value
    return PayType.CUSTOMER_PAY.value


def _line(job: dict[str, Any]) -> dict[str, Any]:
    labor = _first(job.get("service_labor")) or {}
    campaign = _first(job.get("service_campaign")) or {}
    kind_raw = str(job.get("labor_operation_type") or "").upper()
    kind = SERVICE_KINDS.get(kind_raw, ServiceKind.OTHER)
    if campaign:
        kind = ServiceKind.RECALL
    line: dict[str, Any] = {
        "op_code": job.get("operation_id") or labor.get("labor_operation_id"),
        "description": job.get("operation_name") or labor.get("labor_operation_description"),
        "pay_type": _pay_type(job),
        "service_kind": kind.value,
        "campaign_code": campaign.get("campaign_number_string") if campaign else None,
    }
    for price in [*(job.get("price") or []), *(job.get("pricing") or [])]:
        code = str(_dig(price, "price_code") or "").upper()
        amount = _amount(_dig(price, "charge_amount"))
        if amount is None:
            continue
        if code == "LABOR":
            line["labor_amount"] = str(amount)
        elif code == "PARTS":
            line["parts_amount"] = str(amount)
    return {k: v for k, v in line.items() if v is not None}


def to_dataset(
    orders: list[Any], *, default_dealer: str | None, units: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(dataset repair orders, odometer readings, errors) for STAR repair orders.

    ``units`` maps dealer codes to their distance unit; ``default_dealer`` is used when a
    document has no ``dealer_party``.
    """
    ros: list[dict[str, Any]] = []
    readings: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for index, doc in enumerate(orders):
        try:
            ro, reading = _map_one(doc, default_dealer=default_dealer, units=units)
        except StarError as exc:
            errors.append(
                {
                    "section": "repair_orders",
                    "index": index,
                    "field": exc.field,
                    "message": exc.message,
                }
            )
            continue
        ros.append(ro)
        if reading is not None:
            readings.append(reading)
    return ros, readings, errors


def _map_one(
    doc: Any, *, default_dealer: str | None, units: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    if isinstance(doc, dict) and "RepairOrder" in doc:
        doc = doc["RepairOrder"]
    if not isinstance(doc, dict):
        raise StarError("(record)", "a STAR RepairOrder object is expected")
    header = doc.get("repair_order_header")
    if not isinstance(header, dict):
        raise StarError("repair_order_header", "required")
    number = _dig(
        header, "document_identification_group", "document_identification", "document_id"
    ) or header.get("repair_order_number")
    if not isinstance(number, str) or not number.strip():
        raise StarError(
            "repair_order_header.document_identification_group.document_identification.document_id",
            "required: the DMS repair-order number",
        )
    dealer = _dig(header, "dealer_party", "party_id") or default_dealer
    if not isinstance(dealer, str) or not dealer:
        raise StarError("repair_order_header.dealer_party.party_id", "required: the dealer code")
    vin = _dig(header, "repair_order_vehicle_line_item", "vehicle", "vehicle_id")
    if not isinstance(vin, str) or not vin.strip():
        raise StarError(
            "repair_order_header.repair_order_vehicle_line_item.vehicle.vehicle_id",
            "required: the VIN",
        )
    opened = _date(header.get("repair_order_opened_date")) or _date(
        header.get("repair_order_opened_date_time")
    )
    if opened is None:
        raise StarError("repair_order_header.repair_order_opened_date", "required")
    closed = None
    for name in ("repair_order_completed_date", "repair_order_invoice_date"):
        closed = closed or _date(header.get(name)) or _date(header.get(f"{name}_time"))
    unit = units.get(dealer, "km")
    measure = header.get("in_distance_measure") or header.get("out_distance_measure")
    odometer, _ = _distance(measure, unit) if measure is not None else (None, unit)
    jobs = doc.get("job") or []
    if not isinstance(jobs, list):
        raise StarError("job", "must be a list of jobs")
    ro: dict[str, Any] = {
        "external_id": number.strip(),
        "dealer": dealer,
        "vin": vin.strip().upper(),
        "opened_date": opened,
        "lines": [_line(j) if isinstance(j, dict) else {} for j in jobs],
    }
    owner = _dig(header, "owner_party", "party_id")
    if isinstance(owner, str) and owner.strip():
        ro["customer"] = owner.strip()
    if closed:
        ro["closed_date"] = closed
    if odometer is not None:
        ro["odometer_in"] = odometer
    reading = None
    if odometer is not None:
        status = str(
            _dig(header, "repair_order_vehicle_line_item", "odometer_status") or ""
        ).lower()
        reading = {
            "vin": ro["vin"],
            "date": opened,
            "value": odometer,
            "source": "repair_order",
            "odometer_replaced": "replaced" in status,
        }
    return ro, reading
