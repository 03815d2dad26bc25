"""DMS integration services: per-dealer configuration, records applied by their source update
time (shared by inbound webhooks and the pull connector), and the inbound webhook."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import audit
from app.audit import Actor
from app.dataset import service as dataset_service
from app.dataset.repository import DatasetRepository
from app.dataset.service import ImportResult, ImportScope
from app.dms import signing, star
from app.dms.models import (
    AppointmentOutbox,
    DmsIntegration,
    IntegrationPublic,
    IntegrationUpdate,
    WebhookOutcome,
    WebhookResult,
)
from app.dms.repository import DmsRepository
from app.dms.urls import check_outbound_url
from app.errors import NotFound, PayloadTooLarge, Unauthenticated, ValidationFailed
from app.models import Dealer
from app.security.principal import DealerScope

# Webhook / connector entity -> dataset section.
ENTITIES = {
    "customer": "customers",
    "vehicle": "vehicles",
    "ownership": "ownerships",
    "appointment": "appointments",
    "repair_order": "repair_orders",
    "odometer_reading": "odometer_readings",
}
_HAS_DEALER = {"customers", "vehicles", "appointments", "repair_orders"}


def record_key(entity: str, data: dict[str, Any]) -> str | None:
    """The record's identity within its dealer, or None when the data lacks it (validation
    then reports the missing field)."""

    def text(name: str, upper: bool = False) -> str | None:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            return None
        return value.strip().upper() if upper else value.strip()

    parts: list[str | None]
    if entity in ("customer", "appointment", "repair_order"):
        parts = [text("external_id")]
    elif entity == "vehicle":
        parts = [text("vin", upper=True)]
    elif entity == "ownership":
        parts = [text("vin", upper=True), text("customer"), text("start_date")]
    else:
        parts = [text("vin", upper=True), text("date"), text("source") or "dms"]
    if any(p is None for p in parts):
        return None
    return "|".join(p for p in parts if p is not None)[:200]


@dataclass(slots=True)
class VersionedResult:
    applied: int = 0
    stale: int = 0
    result: ImportResult | None = None


def apply_versioned(
    session: Session,
    *,
    integration: DmsIntegration,
    dealer: Dealer,
    entity: str,
    items: list[tuple[dict[str, Any], datetime]],
) -> VersionedResult:
    """Apply records of one entity that are newer (by the DMS's update time) than the version
    already applied; older ones are counted as stale and skipped. No commit."""
    section = ENTITIES[entity]
    repo = DmsRepository(session)
    assert dealer.id is not None
    newest: dict[str, tuple[dict[str, Any], datetime]] = {}
    unkeyed: list[tuple[dict[str, Any], datetime]] = []
    for data, updated_at in items:
        key = record_key(entity, data)
        if key is None:
            unkeyed.append((data, updated_at))
        elif key not in newest or newest[key][1] < updated_at:
            newest[key] = (data, updated_at)
    stored = repo.versions(dealer.id, entity, list(newest))
    fresh = {k: v for k, v in newest.items() if k not in stored or _utc(stored[k]) < _utc(v[1])}
    out = VersionedResult(stale=len(items) - len(fresh) - len(unkeyed))
    records = [dict(data) for data, _ in [*fresh.values(), *unkeyed]]
    if not records:
        return out
    if section in _HAS_DEALER:
        for r in records:
            r.setdefault("dealer", dealer.code)
    out.result = dataset_service.apply_document(
        session,
        {"source": integration.source, section: records},
        scope=ImportScope(dealer_ids=frozenset({dealer.id})),
    )
    repo.save_versions(dealer.id, entity, {k: v[1] for k, v in fresh.items()})
    out.applied = len(records)
    return out


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Inbound webhook --------------------------------------------------------------------------------


class WebhookEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=128)
    type: str = Field(pattern=r"^[a-z_]+\.upserted$", description="e.g. repair_order.upserted")
    updated_at: AwareDatetime = Field(description="the record's update time in the DMS")
    data: dict[str, Any]


def receive_webhook(
    session: Session,
    *,
    dealer_code: str,
    timestamp: str,
    signature: str,
    body: bytes,
    now: datetime,
    window_seconds: int,
    request_id: str | None = None,
) -> WebhookResult:
    """Check the signature and the timestamp window, then apply the event once (its id is
    recorded in the same transaction as its effect)."""
    repo = DmsRepository(session)
    found = repo.integration_by_dealer_code(dealer_code.strip())
    refused = "webhook signature check failed (dealer, timestamp or signature)"
    if found is None or not found[1].webhook_secret:
        raise Unauthenticated(refused)
    dealer, integration = found
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise Unauthenticated("X-DMS-Timestamp must be Unix seconds") from None
    if abs(now.timestamp() - sent_at) > window_seconds:
        raise Unauthenticated(
            f"X-DMS-Timestamp is more than {window_seconds // 60} minutes from our clock"
        )
    assert integration.webhook_secret is not None
    if not signing.verify(integration.webhook_secret, sent_at, body, signature):
        raise Unauthenticated(refused)
    try:
        envelope = WebhookEnvelope.model_validate(json.loads(body))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _invalid("(body)", f"not JSON: {exc}") from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        raise _invalid(".".join(str(p) for p in err["loc"]), err["msg"]) from exc
    entity = envelope.type.removesuffix(".upserted")
    if entity not in ENTITIES:
        raise _invalid("type", f"unknown event type; expected <{'|'.join(ENTITIES)}>.upserted")
    assert dealer.id is not None
    if repo.event_seen(dealer.id, envelope.event_id):
        return WebhookResult(event_id=envelope.event_id, outcome=WebhookOutcome.DUPLICATE)
    try:
        applied = apply_versioned(
            session,
            integration=integration,
            dealer=dealer,
            entity=entity,
            items=[(envelope.data, envelope.updated_at)],
        )
        outcome = WebhookOutcome.APPLIED if applied.applied else WebhookOutcome.STALE
        repo.add_event(
            dealer_id=dealer.id,
            event_id=envelope.event_id,
            event_type=envelope.type,
            source_updated_at=envelope.updated_at,
            outcome=outcome,
        )
        if applied.result is not None and applied.result.rows_written:
            audit.record(
                session,
                actor=Actor(type=audit.ActorType.SYSTEM, request_id=request_id),
                action="dms.webhook",
                object_type=entity,
                object_id=envelope.event_id[:64],
                dealer_id=dealer.id,
                after={n: c.model_dump() for n, c in applied.result.sections.items()},
            )
        session.commit()
    except IntegrityError:
        # The same event delivered twice at the same moment: the other request recorded it.
        session.rollback()
        if repo.event_seen(dealer.id, envelope.event_id):
            return WebhookResult(event_id=envelope.event_id, outcome=WebhookOutcome.DUPLICATE)
        raise
    except BaseException:
        session.rollback()
        raise
    return WebhookResult(event_id=envelope.event_id, outcome=outcome)


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        "The webhook event was rejected",
        [{"section": "event", "index": None, "field": field, "message": message}],
    )


# Configuration ---------------------------------------------------------------------------------


def _public(dealer_id: int, i: DmsIntegration) -> IntegrationPublic:
    return IntegrationPublic(
        dealer_id=dealer_id,
        source=i.source,
        has_webhook_secret=bool(i.webhook_secret),
        outbound_url=i.outbound_url,
        has_outbound_secret=bool(i.outbound_secret),
        pull_base_url=i.pull_base_url,
        pull_enabled=i.pull_enabled,
    )


def read_integration(
    session: Session, *, dealer_id: int, dealer_ids: DealerScope
) -> IntegrationPublic:
    repo = DmsRepository(session)
    if not _sees(dealer_ids, dealer_id):
        raise NotFound("no DMS integration for this dealer")
    integration = repo.integration(dealer_id)
    if integration is None:
        raise NotFound("no DMS integration for this dealer")
    return _public(dealer_id, integration)


def update_integration(
    session: Session,
    *,
    dealer_id: int,
    update: IntegrationUpdate,
    dealer_ids: DealerScope,
    allowed_networks: list[str],
    actor: Actor,
) -> IntegrationPublic:
    """Create or replace a dealer's DMS configuration; outbound URLs must pass the allow-list."""
    repo = DmsRepository(session)
    if not _sees(dealer_ids, dealer_id) or session.get(Dealer, dealer_id) is None:
        raise NotFound("unknown dealer")
    for name in ("outbound_url", "pull_base_url"):
        url = getattr(update, name)
        if url is not None:
            check_outbound_url(url, allowed_networks=allowed_networks, field=name)
    integration = repo.integration(dealer_id) or DmsIntegration(
        dealer_id=dealer_id, source=update.source
    )
    before = _public(dealer_id, integration).model_dump() if integration.id else None
    for name, value in update.model_dump().items():
        setattr(integration, name, value)
    session.add(integration)
    session.flush()
    after = _public(dealer_id, integration)
    audit.record(
        session,
        actor=actor,
        action="dms.integration.update",
        object_type="dms_integration",
        object_id=str(dealer_id),
        dealer_id=dealer_id,
        before=before,
        after=after.model_dump(),
    )
    session.commit()
    return after


def _sees(dealer_ids: DealerScope, dealer_id: int) -> bool:
    return dealer_ids is None or dealer_id in dealer_ids


def list_outbox(
    session: Session,
    *,
    dealer_ids: DealerScope,
    status: str | None,
    appointment_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[AppointmentOutbox], int]:
    return DmsRepository(session).list_outbox(
        dealer_ids=dealer_ids,
        status=status,
        appointment_id=appointment_id,
        limit=limit,
        offset=offset,
    )


# STAR repair orders ------------------------------------------------------------------------------


def import_star_repair_orders(
    session: Session,
    body: Any,
    *,
    scope: ImportScope | None,
    actor: Actor,
    max_records: int,
) -> ImportResult:
    """Map STAR repair orders (``{"source": ..., "repair_orders": [RepairOrder, ...]}``) to the
    dataset and import them all or nothing; errors name the STAR document's index."""
    if not isinstance(body, dict) or not isinstance(body.get("repair_orders"), list):
        raise _star_invalid(None, "repair_orders", "required: a list of STAR RepairOrder objects")
    source = body.get("source")
    if not isinstance(source, str) or not 1 <= len(source.strip()) <= 64:
        raise _star_invalid(None, "source", "required: the name of the sending system (1-64)")
    orders = body["repair_orders"]
    if len(orders) > max_records:
        raise PayloadTooLarge(
            f"{len(orders)} repair orders in one request; a bulk request takes at most "
            f"{max_records:,} records: split the import into smaller requests"
        )
    codes = {c for c in (_star_dealer(o) for o in orders) if c}
    known = DatasetRepository(session).dealers_by_code(codes)
    default = None
    if scope is not None and len(scope.dealer_ids) == 1:
        own = DmsRepository(session).dealer_codes(scope.dealer_ids)
        default = own[0] if own else None
        if default is not None:
            known |= DatasetRepository(session).dealers_by_code([default])
    units = {code: d.distance_unit for code, d in known.items()}
    ros, readings, errors = star.to_dataset(orders, default_dealer=default, units=units)
    star_index = [i for i in range(len(orders)) if all(e["index"] != i for e in errors)]
    reading_ro = [star_index[n] for n, ro in enumerate(ros) if "odometer_in" in ro]
    doc = {"source": source.strip(), "repair_orders": ros, "odometer_readings": readings}
    try:
        result = dataset_service.apply_document(session, doc, scope=scope)
    except ValidationFailed as exc:
        for e in exc.errors:
            if e["section"] == "repair_orders" and e["index"] is not None:
                e = {**e, "index": star_index[e["index"]]}
            elif e["section"] == "odometer_readings" and e["index"] is not None:
                e = {
                    **e,
                    "section": "repair_orders",
                    "index": reading_ro[e["index"]],
                    "field": f"odometer reading: {e['field']}",
                }
            errors.append(e)
        result = None
    if errors:
        session.rollback()
        errors.sort(key=lambda e: (-1 if e["index"] is None else e["index"], e["field"]))
        raise ValidationFailed(
            f"The STAR repair orders were rejected with {len(errors)} error(s); nothing was stored",
            errors,
        )
    assert result is not None
    dataset_service.finish_import(session, result, scope=scope, actor=actor)
    return result


def _star_dealer(order: Any) -> str | None:
    if isinstance(order, dict) and "RepairOrder" in order:
        order = order["RepairOrder"]
    header = order.get("repair_order_header") if isinstance(order, dict) else None
    party = header.get("dealer_party") if isinstance(header, dict) else None
    code = party.get("party_id") if isinstance(party, dict) else None
    return code if isinstance(code, str) else None


def _star_invalid(index: int | None, field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        "The STAR repair orders were rejected",
        [{"section": "repair_orders", "index": index, "field": field, "message": message}],
    )
