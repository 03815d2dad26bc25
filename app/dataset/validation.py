"""Validate a whole dataset document and list every problem, before anything is written.

Each error names the section, the record's index, the field and a message. Field checks come from
the pydantic models; this module adds what needs other records: duplicate keys, references to
dealers, vehicles, customers and appointments (in the document or already stored), phone numbers
parsed with the dealer's country, and the dealer's rule settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from app.customer.phones import InvalidPhone, to_e164
from app.dataset.schema import SECTIONS, DatasetDocument, DealerIn
from app.dealer.rule_settings import setting_problems
from app.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class KnownDealer:
    code: str
    country: str
    distance_unit: str
    time_zone: str


@dataclass(slots=True)
class StoredKeys:
    """Keys already in the database that the document refers to (loaded in bulk by the caller)."""

    dealers: dict[str, KnownDealer] = field(default_factory=dict)
    vehicle_dealer: dict[str, str] = field(default_factory=dict)  # vin -> dealer code
    customers: set[str] = field(default_factory=set)  # external ids within the source
    appointments: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class DocumentKeys:
    """What a document refers to, so the caller can load just those keys from the database."""

    dealers: set[str]
    vins: set[str]
    customers: set[str]
    appointments: set[str]


@dataclass(slots=True)
class _Errors:
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, section: str, index: int | None, fld: str, message: str) -> None:
        self.items.append({"section": section, "index": index, "field": fld, "message": message})


def _loc_to_field(loc: Iterable[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(record)"


def _message(err: Any) -> str:
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def referenced_keys(raw: Any) -> DocumentKeys:
    """The keys a raw document mentions; tolerant of malformed records (validation reports them)."""
    dealers: set[str] = set()
    vins: set[str] = set()
    customers: set[str] = set()
    appointments: set[str] = set()
    if isinstance(raw, dict):
        for section in SECTIONS:
            records = raw.get(section)
            if not isinstance(records, list):
                continue
            for rec in records:
                if not isinstance(rec, dict):
                    continue
                if isinstance(rec.get("dealer"), str):
                    dealers.add(rec["dealer"].strip())
                if isinstance(rec.get("vin"), str):
                    vins.add(rec["vin"].strip().upper())
                if isinstance(rec.get("customer"), str):
                    customers.add(rec["customer"].strip())
                if isinstance(rec.get("appointment"), str):
                    appointments.add(rec["appointment"].strip())
    return DocumentKeys(dealers, vins, customers, appointments)


@dataclass(slots=True)
class ParsedFields:
    """The field-level result of a raw document (``parse_fields``): the records that passed, by
    section, their indexes in the document, and the errors of the rest."""

    errors: _Errors
    parsed: dict[str, list[BaseModel]]
    indexes: dict[str, list[int]]
    keys: DocumentKeys


def parse_fields(raw: Any) -> ParsedFields:
    """The checks of a document that need no database (the pydantic models of every record):
    callers run them before taking the import lock, so concurrent imports validate in
    parallel. Raises ``ValidationFailed`` only if ``raw`` is not an object."""
    errors = _Errors()
    if not isinstance(raw, dict):
        raise ValidationFailed(
            "The dataset document must be a JSON object",
            [
                {
                    "section": "document",
                    "index": None,
                    "field": "(document)",
                    "message": "not an object",
                }
            ],
        )
    for key in raw:
        if key != "source" and key not in SECTIONS:
            errors.add(
                "document", None, key, f"unknown section; expected one of {sorted(SECTIONS)}"
            )
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip() or len(source.strip()) > 64:
        errors.add("document", None, "source", "required: the name of the sending system (1-64)")

    parsed: dict[str, list[BaseModel]] = {}
    indexes: dict[str, list[int]] = {}
    for section, model in SECTIONS.items():
        records = raw.get(section, [])
        parsed[section], indexes[section] = [], []
        if not isinstance(records, list):
            errors.add(section, None, "(section)", "must be a list of records")
            continue
        for i, rec in enumerate(records):
            try:
                parsed[section].append(model.model_validate(rec))
                indexes[section].append(i)
            except ValidationError as exc:
                for err in exc.errors():
                    errors.add(section, i, _loc_to_field(err["loc"]), _message(err))
    return ParsedFields(errors, parsed, indexes, referenced_keys(raw))


def parse_document(
    raw: Any,
    *,
    load_stored: Callable[[DocumentKeys], StoredKeys],
    fields: ParsedFields | None = None,
) -> DatasetDocument:
    """Return the validated document, or raise ``ValidationFailed`` listing every error
    (``fields``: the result of ``parse_fields(raw)`` when the caller already has it)."""
    if fields is None:
        fields = parse_fields(raw)
    errors, parsed, indexes = fields.errors, fields.parsed, fields.indexes
    source = raw.get("source")
    stored = load_stored(fields.keys)
    _check_cross_references(parsed, indexes, stored, errors)
    if errors.items:
        errors.items.sort(
            key=lambda e: (
                list(SECTIONS).index(e["section"]) if e["section"] in SECTIONS else -1,
                -1 if e["index"] is None else e["index"],
                e["field"],
            )
        )
        raise ValidationFailed(
            f"The dataset was rejected with {len(errors.items)} error(s); nothing was stored",
            errors.items,
        )
    return DatasetDocument.model_construct(source=str(source).strip(), **parsed)  # type: ignore[arg-type]


def _check_cross_references(
    parsed: dict[str, list[Any]],
    indexes: dict[str, list[int]],
    stored: StoredKeys,
    errors: _Errors,
) -> None:
    dealers: dict[str, KnownDealer] = dict(stored.dealers)
    doc_dealers: list[DealerIn] = parsed["dealers"]
    for d in doc_dealers:
        dealers[d.code] = KnownDealer(d.code, d.country, d.distance_unit, d.time_zone)

    def dup_check(section: str, key: Callable[[Any], Any], label: str) -> None:
        seen: dict[Any, int] = {}
        for rec, i in zip(parsed[section], indexes[section], strict=True):
            k = key(rec)
            if k in seen:
                errors.add(section, i, label, f"duplicate key {k!r}, also at index {seen[k]}")
            else:
                seen[k] = i

    dup_check("dealers", lambda r: r.code, "code")
    dup_check(
        "service_plans", lambda r: (r.make.lower(), r.model.lower(), r.fuel), "make/model/fuel"
    )
    dup_check("customers", lambda r: r.external_id, "external_id")
    dup_check("vehicles", lambda r: r.vin, "vin")
    dup_check(
        "ownerships",
        lambda r: (r.vin, r.customer, r.start_date.isoformat()),
        "vin/customer/start_date",
    )
    dup_check("repair_orders", lambda r: r.external_id, "external_id")
    dup_check(
        "odometer_readings", lambda r: (r.vin, r.date.isoformat(), r.source), "vin/date/source"
    )
    dup_check("recalls", lambda r: r.campaign_code, "campaign_code")
    dup_check("appointments", lambda r: r.external_id, "external_id")
    dup_check("seasonal_campaigns", lambda r: (r.dealer, r.code), "dealer/code")

    for d, i in zip(doc_dealers, indexes["dealers"], strict=True):
        for name, message in setting_problems(d.settings):
            errors.add("dealers", i, f"settings.{name}", message)

    vehicle_dealer = dict(stored.vehicle_dealer)
    for v in parsed["vehicles"]:
        vehicle_dealer[v.vin] = v.dealer
    customers = stored.customers | {c.external_id for c in parsed["customers"]}
    appointments = stored.appointments | {a.external_id for a in parsed["appointments"]}

    def need_dealer(section: str, i: int, code: str) -> bool:
        if code not in dealers:
            errors.add(section, i, "dealer", f"unknown dealer {code!r}: add it to 'dealers' first")
            return False
        return True

    def need_vin(section: str, i: int, vin: str, fld: str = "vin") -> None:
        if vin not in vehicle_dealer:
            errors.add(section, i, fld, f"unknown vehicle {vin!r}: add it to 'vehicles' first")

    def need_customer(section: str, i: int, ext: str | None) -> None:
        if ext is not None and ext not in customers:
            errors.add(
                section, i, "customer", f"unknown customer {ext!r}: add it to 'customers' first"
            )

    for c, i in zip(parsed["customers"], indexes["customers"], strict=True):
        if need_dealer("customers", i, c.dealer):
            country = dealers[c.dealer].country
            for p_index, phone in enumerate(c.phones):
                try:
                    phone.number = to_e164(phone.number, country)
                except InvalidPhone as exc:
                    errors.add("customers", i, f"phones[{p_index}].number", str(exc))
    for v, i in zip(parsed["vehicles"], indexes["vehicles"], strict=True):
        need_dealer("vehicles", i, v.dealer)
    for o, i in zip(parsed["ownerships"], indexes["ownerships"], strict=True):
        need_vin("ownerships", i, o.vin)
        need_customer("ownerships", i, o.customer)
    for ro, i in zip(parsed["repair_orders"], indexes["repair_orders"], strict=True):
        need_dealer("repair_orders", i, ro.dealer)
        need_vin("repair_orders", i, ro.vin)
        need_customer("repair_orders", i, ro.customer)
        if ro.appointment is not None and ro.appointment not in appointments:
            errors.add("repair_orders", i, "appointment", f"unknown appointment {ro.appointment!r}")
    for r, i in zip(parsed["odometer_readings"], indexes["odometer_readings"], strict=True):
        need_vin("odometer_readings", i, r.vin)
    for a, i in zip(parsed["appointments"], indexes["appointments"], strict=True):
        need_dealer("appointments", i, a.dealer)
        need_vin("appointments", i, a.vin)
        need_customer("appointments", i, a.customer)
    for sc, i in zip(parsed["seasonal_campaigns"], indexes["seasonal_campaigns"], strict=True):
        if sc.dealer is not None:
            need_dealer("seasonal_campaigns", i, sc.dealer)
        try:
            sc.campaign()
        except ValueError as exc:
            errors.add("seasonal_campaigns", i, "(record)", str(exc))
    for rc, i in zip(parsed["recalls"], indexes["recalls"], strict=True):
        seen: set[str] = set()
        for v_index, rv in enumerate(rc.vehicles):
            if rv.vin in seen:
                errors.add("recalls", i, f"vehicles[{v_index}].vin", f"{rv.vin} is listed twice")
            seen.add(rv.vin)
