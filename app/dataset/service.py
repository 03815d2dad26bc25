"""Import a dataset document: validate everything first, then upsert every section in one
transaction. Records are upserts by their contract keys; optional fields left out of a record keep
their stored values; a nested list that is present (phones, warranties, lines) replaces the stored
one. Distances arrive in the dealer's unit and are stored in km; local date-times are in the
dealer's time zone and stored in UTC."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import audit
from app.audit import Actor
from app.dataset import odometer
from app.dataset.repository import Counts, DatasetRepository, Row, table_of
from app.dataset.schema import SECTIONS, DatasetDocument
from app.dataset.validation import DocumentKeys, StoredKeys, parse_document, parse_fields
from app.db import begin_write
from app.enums import AppointmentOrigin, DistanceUnit
from app.errors import Conflict, PayloadTooLarge, ValidationFailed
from app.gc_pause import gc_paused
from app.invitation.repository import InvitationRepository
from app.models import (
    Appointment,
    Customer,
    CustomerPhone,
    Dealer,
    DealerGroup,
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
from app.security.import_scope import ForeignKeys, ImportScopeRepository

KM_PER_MILE = 1.609344


class SectionCounts(BaseModel):
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


class ImportResult(BaseModel):
    source: str
    sections: dict[str, SectionCounts]

    @property
    def rows_written(self) -> int:
        return sum(s.inserted + s.updated + s.deleted for s in self.sections.values())


def _add(result: dict[str, SectionCounts], section: str, counts: Counts) -> None:
    s = result.setdefault(section, SectionCounts())
    s.inserted += counts.inserted
    s.updated += counts.updated
    s.unchanged += counts.unchanged
    s.deleted += counts.deleted


def _pick(record: BaseModel, mapping: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(all values, provided values) of ``record`` renamed to columns by ``mapping``."""
    full = {col: getattr(record, f) for f, col in mapping.items()}
    provided = {col: full[col] for f, col in mapping.items() if f in record.model_fields_set}
    return full, provided


def _to_km(value: int | None, unit: str) -> int | None:
    if value is None or unit == DistanceUnit.KM:
        return value
    return round(value * KM_PER_MILE)


@dataclass(frozen=True, slots=True)
class ImportScope:
    """What a dealer-scoped caller may write: records of ``dealer_ids`` only, and no global
    catalogue (service plans, recalls). Anything else is reported like an unknown reference."""

    dealer_ids: frozenset[int]


def import_dataset(
    session: Session,
    raw: Any,
    *,
    scope: ImportScope | None = None,
    actor: Actor = audit.SYSTEM,
) -> ImportResult:
    """Validate and apply one dataset document in one transaction (see module docstring).

    ``scope=None`` (an administrator of every dealer, the CLI) may write anything.
    """
    try:
        result = apply_document(session, raw, scope=scope)
        finish_import(session, result, scope=scope, actor=actor)
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(
            "The import conflicted with data changed at the same time; nothing was stored. "
            f"Retry the import. ({exc.orig.__class__.__name__})"
        ) from exc
    except BaseException:
        session.rollback()
        raise
    return result


def check_bulk_size(raw: Any, *, max_records: int) -> None:
    """Refuse a bulk request of more than ``max_records`` records (recall VINs included) with
    413, before any validation work."""
    if not isinstance(raw, dict):
        return
    total = 0
    for section in SECTIONS:
        records = raw.get(section)
        if not isinstance(records, list):
            continue
        total += len(records)
        if section == "recalls":
            total += sum(
                len(r["vehicles"])
                for r in records
                if isinstance(r, dict) and isinstance(r.get("vehicles"), list)
            )
    if total > max_records:
        raise PayloadTooLarge(
            f"{total} records in one request; a bulk request takes at most {max_records:,} "
            "records: split the import into smaller requests"
        )


def finish_import(
    session: Session, result: ImportResult, *, scope: ImportScope | None, actor: Actor
) -> None:
    """Audit (only when something was written) and commit an import applied by
    ``apply_document``."""
    if result.rows_written:
        # A re-import that changes nothing writes nothing, not even an audit row.
        audit.record(
            session,
            actor=actor,
            action="dataset.import",
            object_type="dataset",
            object_id=result.source[:64],
            dealer_id=next(iter(scope.dealer_ids))
            if scope and len(scope.dealer_ids) == 1
            else None,
            after={name: c.model_dump() for name, c in result.sections.items()},
        )
    session.commit()


def merge_results(total: ImportResult | None, part: ImportResult) -> ImportResult:
    """The counts of two parts of one import added up."""
    if total is None:
        return part
    for name, c in part.sections.items():
        s = total.sections.setdefault(name, SectionCounts())
        s.inserted += c.inserted
        s.updated += c.updated
        s.unchanged += c.unchanged
        s.deleted += c.deleted
    return total


def apply_document(
    session: Session,
    raw: Any,
    *,
    scope: ImportScope | None = None,
    known: Callable[[StoredKeys], StoredKeys] | None = None,
) -> ImportResult:
    """Validate ``raw`` and apply it inside the caller's transaction, without committing;
    raise ``ValidationFailed`` (nothing of ``raw`` applied) listing every error.

    ``known`` may add keys to those found in the database (a streamed import passes the keys of
    its earlier, not yet applied, parts so that references to them are not reported twice).
    """
    # The document's objects all live until the end: cyclic GC passes over them are wasted work.
    with gc_paused():
        return _apply_document(session, raw, scope=scope, known=known)


def _apply_document(
    session: Session,
    raw: Any,
    *,
    scope: ImportScope | None,
    known: Callable[[StoredKeys], StoredKeys] | None,
) -> ImportResult:
    # The field checks need no database: done before the lock, so that concurrent imports
    # validate in parallel and only the reads of stored keys and the writes take turns.
    try:
        fields = parse_fields(raw)
    except ValidationFailed as exc:
        raise _rejected(exc.errors) from None
    begin_write(session, "dataset-import")  # reads the stored keys, then writes
    repo = DatasetRepository(session)
    source = raw.get("source") if isinstance(raw, dict) else None
    src = source.strip() if isinstance(source, str) else ""
    scope_errors: list[dict[str, Any]] = []
    load_stored: Callable[[DocumentKeys], StoredKeys] = partial(repo.load_stored, source=src)
    if scope is not None:
        scope_repo = ImportScopeRepository(session)
        codes = scope_repo.dealer_codes(scope.dealer_ids)
        foreign = scope_repo.foreign_keys(source=src, codes=codes, **_document_keys(raw))
        scope_errors = _scope_errors(raw, codes, foreign)

        def load_stored(keys: DocumentKeys) -> StoredKeys:
            return _hide_foreign(repo.load_stored(keys, source=src), codes, foreign)

    loader = load_stored if known is None else (lambda keys: known(load_stored(keys)))
    try:
        doc = parse_document(raw, load_stored=loader, fields=fields)
    except ValidationFailed as exc:
        raise _rejected(exc.errors + scope_errors) from None
    if scope_errors:
        raise _rejected(scope_errors)
    return _apply(repo, doc)


def _rejected(errors: list[dict[str, Any]]) -> ValidationFailed:
    order = list(SECTIONS)
    errors = sorted(
        errors,
        key=lambda e: (
            order.index(e["section"]) if e["section"] in order else -1,
            -1 if e["index"] is None else e["index"],
            e["field"],
        ),
    )
    return ValidationFailed(
        f"The dataset was rejected with {len(errors)} error(s); nothing was stored", errors
    )


def _document_keys(raw: Any) -> dict[str, set[str]]:
    """Every customer, VIN, RO and appointment key a raw document names (as a record or a
    reference); tolerant of malformed records, which validation reports."""
    keys: dict[str, set[str]] = {
        "customers": set(),
        "vins": set(),
        "repair_orders": set(),
        "appointments": set(),
    }
    if not isinstance(raw, dict):
        return keys
    for section in SECTIONS:
        items = raw.get(section)
        for rec in items if isinstance(items, list) else []:
            if not isinstance(rec, dict):
                continue
            for fld, bucket in (("customer", "customers"), ("appointment", "appointments")):
                if isinstance(rec.get(fld), str):
                    keys[bucket].add(rec[fld].strip())
            if isinstance(rec.get("vin"), str):
                keys["vins"].add(rec["vin"].strip().upper())
            ext = rec.get("external_id")
            if isinstance(ext, str) and section in ("customers", "repair_orders", "appointments"):
                keys[section].add(ext.strip())
    return keys


def _hide_foreign(stored: StoredKeys, codes: set[str], foreign: ForeignKeys) -> StoredKeys:
    """Forget stored records of dealers outside the caller's scope, so references to them are
    reported as unknown, exactly like records that do not exist."""
    stored.dealers = {c: d for c, d in stored.dealers.items() if c in codes}
    stored.vehicle_dealer = {v: c for v, c in stored.vehicle_dealer.items() if c in codes}
    stored.customers -= foreign.customers
    stored.appointments -= foreign.appointments
    return stored


def _scope_errors(raw: Any, codes: set[str], foreign: ForeignKeys) -> list[dict[str, Any]]:
    """Records a dealer-scoped caller may not write: other dealers, the global catalogue, and
    keys (VIN, external ids) already held by a dealer outside its scope."""
    if not isinstance(raw, dict):
        return []
    errors: list[dict[str, Any]] = []

    def add(section: str, index: int, fld: str, message: str) -> None:
        errors.append({"section": section, "index": index, "field": fld, "message": message})

    def records(section: str) -> list[tuple[int, dict[str, Any]]]:
        items = raw.get(section)
        if not isinstance(items, list):
            return []
        return [(i, r) for i, r in enumerate(items) if isinstance(r, dict)]

    for section in ("service_plans", "recalls"):
        for i, _ in records(section):
            add(
                section,
                i,
                "(record)",
                "a global catalogue: only a platform administrator may import it",
            )
    for i, rec in records("seasonal_campaigns"):
        if not rec.get("dealer"):  # a campaign without a dealer applies to every dealer
            add("seasonal_campaigns", i, "dealer", "required: the campaign's dealer (one of yours)")
    for i, rec in records("dealers"):
        code = rec.get("code")
        if isinstance(code, str) and code.strip() not in codes:
            add("dealers", i, "code", f"unknown dealer {code.strip()!r}")
    taken = {
        "customers": foreign.customers,
        "vehicles": foreign.vehicles,
        "repair_orders": foreign.repair_orders,
        "appointments": foreign.appointments,
    }
    for section, key_field in (
        ("customers", "external_id"),
        ("vehicles", "vin"),
        ("repair_orders", "external_id"),
        ("appointments", "external_id"),
    ):
        for i, rec in records(section):
            key = rec.get(key_field)
            if not isinstance(key, str):
                continue
            key = key.strip().upper() if section == "vehicles" else key.strip()
            if key in taken[section]:
                add(section, i, key_field, f"{key!r} cannot be written by this caller")
    return errors


def _apply(repo: DatasetRepository, doc: DatasetDocument) -> ImportResult:
    out: dict[str, SectionCounts] = {}
    src = doc.source

    # Dealer groups and dealers ---------------------------------------------------------------
    group_rows = [Row(key=(d.group,), insert={}, update={}) for d in doc.dealers]
    group_ids, _ = repo.upsert(
        table_of(DealerGroup), ("name",), list({r.key: r for r in group_rows}.values())
    )
    dealer_rows = []
    for d in doc.dealers:
        full, provided = _pick(
            d,
            {
                "name": "name",
                "country": "country",
                "time_zone": "time_zone",
                "locale": "locale",
                "distance_unit": "distance_unit",
                "currency": "currency",
                "workshop_capacity_per_day": "workshop_capacity_per_day",
                "opening_hours": "opening_hours",
                "settings": "settings",
            },
        )
        full["distance_unit"] = str(full["distance_unit"])
        if "distance_unit" in provided:
            provided["distance_unit"] = str(provided["distance_unit"])
        gid = group_ids[(d.group,)]
        dealer_rows.append(
            Row(
                key=(d.code,),
                insert={**full, "group_id": gid},
                update={**provided, "group_id": gid},
            )
        )
    _, counts = repo.upsert(table_of(Dealer), ("code",), dealer_rows)
    _add(out, "dealers", counts)

    codes = {d.code for d in doc.dealers}
    codes |= {r.dealer for r in doc.customers} | {r.dealer for r in doc.vehicles}
    codes |= {r.dealer for r in doc.repair_orders} | {r.dealer for r in doc.appointments}
    dealers = repo.dealers_by_code(codes)

    # Service plans ---------------------------------------------------------------------------
    plan_rows = []
    for p in doc.service_plans:
        full, provided = _pick(
            p,
            {
                "first_service_days": "first_service_days",
                "first_service_km": "first_service_km",
                "interval_months": "interval_months",
                "interval_km": "interval_km",
            },
        )
        plan_rows.append(Row(key=(p.make, p.model, p.fuel), insert=full, update=provided))
    _, counts = repo.upsert(table_of(ServicePlan), ("make", "model", "fuel"), plan_rows)
    _add(out, "service_plans", counts)

    # Customers and phones --------------------------------------------------------------------
    customer_rows = []
    for c in doc.customers:
        dealer = dealers[c.dealer]
        full, provided = _pick(
            c,
            {
                "first_name": "first_name",
                "last_name": "last_name",
                "company_name": "company_name",
                "email": "email",
                "language": "language",
                "tyre_hotel": "tyre_hotel",
                "status": "status",
            },
        )
        full["status"] = str(full["status"])
        if "status" in provided:
            provided["status"] = str(provided["status"])
        consent_full = {"marketing_calls": True, "do_not_call": False}
        consent_provided: dict[str, Any] = {}
        if c.consent is not None:
            consent_full = {
                "marketing_calls": c.consent.marketing_calls,
                "do_not_call": c.consent.do_not_call,
            }
            consent_provided = {f: consent_full[f] for f in c.consent.model_fields_set}
        base = {"dealer_id": dealer.id, "group_id": dealer.group_id}
        customer_rows.append(
            Row(
                key=(src, c.external_id),
                insert={**full, **consent_full, **base},
                update={**provided, **consent_provided, **base},
            )
        )
    customer_ids, counts = repo.upsert(table_of(Customer), ("source", "external_id"), customer_rows)
    _add(out, "customers", counts)

    phones: dict[int, list[dict[str, Any]]] = {}
    for c in doc.customers:
        if "phones" not in c.model_fields_set:
            continue
        has_primary = any(p.primary for p in c.phones)
        phones[customer_ids[(src, c.external_id)]] = [
            {
                "number": p.number,
                "type": str(p.type),
                "is_primary": p.primary or (not has_primary and i == 0),
                "is_valid": True,
            }
            for i, p in enumerate(c.phones)
        ]
    _add(
        out,
        "customers.phones",
        repo.sync_children(
            table_of(CustomerPhone), "customer_id", "number", phones, update_only=("is_valid",)
        ),
    )

    # Vehicles and warranties -----------------------------------------------------------------
    vehicle_rows = []
    for v in doc.vehicles:
        dealer = dealers[v.dealer]
        full, provided = _pick(
            v,
            {
                "make": "make",
                "model": "model",
                "model_year": "model_year",
                "fuel": "fuel",
                "registration": "registration",
                "delivery_date": "delivery_date",
                "sold_by_dealer": "sold_by_dealer",
                "delivery_odometer": "delivery_odometer_km",
                "status": "status",
            },
        )
        for values in (full, provided):
            for col in ("fuel", "status"):
                if col in values:
                    values[col] = str(values[col])
            if "delivery_odometer_km" in values:
                values["delivery_odometer_km"] = _to_km(
                    values["delivery_odometer_km"], dealer.distance_unit
                )
        vehicle_rows.append(
            Row(
                key=(v.vin,),
                insert={**full, "dealer_id": dealer.id},
                update={**provided, "dealer_id": dealer.id},
            )
        )
    _, counts = repo.upsert(table_of(Vehicle), ("vin",), vehicle_rows)
    _add(out, "vehicles", counts)

    vins = {v.vin for v in doc.vehicles} | {r.vin for r in doc.ownerships}
    vins |= {r.vin for r in doc.repair_orders} | {r.vin for r in doc.appointments}
    vins |= {r.vin for r in doc.odometer_readings}
    vehicle_ids = repo.ids_by(Vehicle, "vin", vins)

    warranties: dict[int, list[dict[str, Any]]] = {}
    for v in doc.vehicles:
        if "warranties" not in v.model_fields_set:
            continue
        unit = dealers[v.dealer].distance_unit
        warranties[vehicle_ids[v.vin]] = [
            {
                "kind": str(w.kind),
                "start_date": w.start_date,
                "months": w.months,
                "km_limit": _to_km(w.km, unit),
            }
            for w in v.warranties
        ]
    _add(
        out,
        "vehicles.warranties",
        repo.sync_children(table_of(Warranty), "vehicle_id", "kind", warranties),
    )

    customer_keys = {c.external_id for c in doc.customers} | {o.customer for o in doc.ownerships}
    customer_keys |= {r.customer for r in doc.repair_orders if r.customer is not None}
    customer_keys |= {a.customer for a in doc.appointments if a.customer is not None}
    customers = repo.ids_by(Customer, "external_id", customer_keys, source=src)

    # Ownerships ------------------------------------------------------------------------------
    ownership_rows = [
        Row(
            key=(vehicle_ids[o.vin], customers[o.customer], o.start_date),
            insert={"end_date": o.end_date},
            update={"end_date": o.end_date} if "end_date" in o.model_fields_set else {},
        )
        for o in doc.ownerships
    ]
    _, counts = repo.upsert(
        table_of(Ownership), ("vehicle_id", "customer_id", "start_date"), ownership_rows
    )
    _add(out, "ownerships", counts)

    # Appointments ----------------------------------------------------------------------------
    appointment_rows = []
    for a in doc.appointments:
        dealer = dealers[a.dealer]
        slot = a.slot_start
        if slot.tzinfo is None:
            slot = slot.replace(tzinfo=ZoneInfo(dealer.time_zone))
        full, provided = _pick(
            a,
            {
                "duration_minutes": "duration_minutes",
                "service_types": "service_types",
                "status": "status",
            },
        )
        full["status"] = str(full["status"])
        if "status" in provided:
            provided["status"] = str(provided["status"])
        links = {
            "dealer_id": dealer.id,
            "vehicle_id": vehicle_ids[a.vin],
            "customer_id": customers.get(a.customer) if a.customer else None,
            "slot_start": slot.astimezone(UTC),
        }
        appointment_rows.append(
            Row(
                key=(src, a.external_id),
                insert={**full, **links, "origin": AppointmentOrigin.DMS.value},
                update={**provided, **links},
            )
        )
    _, counts = repo.upsert(table_of(Appointment), ("source", "external_id"), appointment_rows)
    _add(out, "appointments", counts)
    appointment_ids = repo.ids_by(
        Appointment,
        "external_id",
        {r.appointment for r in doc.repair_orders if r.appointment},
        source=src,
    )

    # Repair orders and lines -----------------------------------------------------------------
    ro_rows = []
    for ro in doc.repair_orders:
        dealer = dealers[ro.dealer]
        full, provided = _pick(
            ro,
            {
                "opened_date": "opened_date",
                "closed_date": "closed_date",
                "odometer_in": "odometer_in_km",
            },
        )
        for values in (full, provided):
            if "odometer_in_km" in values:
                values["odometer_in_km"] = _to_km(values["odometer_in_km"], dealer.distance_unit)
        refs: dict[str, Any] = {"dealer_id": dealer.id, "vehicle_id": vehicle_ids[ro.vin]}
        if ro.customer is not None:
            refs["customer_id"] = customers[ro.customer]
        if ro.appointment is not None:
            refs["appointment_id"] = appointment_ids[ro.appointment]
        ro_rows.append(
            Row(key=(src, ro.external_id), insert={**full, **refs}, update={**provided, **refs})
        )
    ro_ids, counts = repo.upsert(table_of(RepairOrder), ("source", "external_id"), ro_rows)
    _add(out, "repair_orders", counts)
    lines = {
        ro_ids[(src, ro.external_id)]: [
            {
                "line_no": n,
                "op_code": line.op_code,
                "description": line.description,
                "pay_type": str(line.pay_type),
                "service_kind": str(line.service_kind),
                "labor_amount": line.labor_amount,
                "parts_amount": line.parts_amount,
                "campaign_code": line.campaign_code,
            }
            for n, line in enumerate(ro.lines, start=1)
        ]
        for ro in doc.repair_orders
        if "lines" in ro.model_fields_set
    }
    _add(
        out,
        "repair_orders.lines",
        repo.sync_children(table_of(RepairOrderLine), "repair_order_id", "line_no", lines),
    )

    # Odometer readings -----------------------------------------------------------------------
    reading_rows = []
    reading_vehicles = {vehicle_ids[r.vin] for r in doc.odometer_readings}
    vehicle_unit = repo.distance_units(reading_vehicles)
    accepted = repo.accepted_readings(reading_vehicles)
    for r in sorted(doc.odometer_readings, key=lambda r: (r.vin, r.date, str(r.source))):
        vid = vehicle_ids[r.vin]
        km = _to_km(r.value, vehicle_unit[vid])
        assert km is not None
        reading = odometer.Reading(
            key=(r.date, str(r.source)), day=r.date, km=km, replaced=r.odometer_replaced
        )
        reason = odometer.judge(reading, accepted[vid])
        if reason is None:
            accepted[vid] = [x for x in accepted[vid] if x.key != reading.key] + [reading]
        values = {
            "value_km": km,
            "odometer_replaced": r.odometer_replaced,
            "accepted": reason is None,
            "rejection_reason": reason,
        }
        reading_rows.append(Row(key=(vid, r.date, str(r.source)), insert=values, update=values))
    _, counts = repo.upsert(
        table_of(OdometerReading), ("vehicle_id", "reading_date", "source"), reading_rows
    )
    _add(out, "odometer_readings", counts)

    # Recalls and their VINs ------------------------------------------------------------------
    recall_rows = []
    for rc in doc.recalls:
        full, provided = _pick(
            rc,
            {
                "make": "make",
                "title": "title",
                "component": "component",
                "remedy_available": "remedy_available",
                "start_date": "start_date",
            },
        )
        recall_rows.append(Row(key=(rc.campaign_code,), insert=full, update=provided))
    recall_ids, counts = repo.upsert(table_of(RecallCampaign), ("campaign_code",), recall_rows)
    _add(out, "recalls", counts)
    recall_vehicles: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for rc in doc.recalls:
        recall_vehicles[recall_ids[(rc.campaign_code,)]] += [
            {"vin": v.vin, "status": str(v.status)} for v in rc.vehicles
        ]
    _add(
        out,
        "recalls.vehicles",
        # A recall list may be sent in parts: VINs not mentioned are left as they are.
        repo.sync_children(
            table_of(RecallVehicle),
            "campaign_id",
            "vin",
            dict(recall_vehicles),
            delete_missing=False,
        ),
    )

    # Seasonal campaigns ----------------------------------------------------------------------
    campaign_dealers = repo.dealers_by_code({c.dealer for c in doc.seasonal_campaigns if c.dealer})
    _add(
        out,
        "seasonal_campaigns",
        InvitationRepository(repo.session).upsert_seasonal_campaigns(
            [
                (None if c.dealer is None else campaign_dealers[c.dealer].id, c.campaign())
                for c in doc.seasonal_campaigns
            ]
        ),
    )
    return ImportResult(source=src, sections=out)
