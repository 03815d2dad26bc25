"""Every query of the DMS integration."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session

from app.dataset.repository import table_of
from app.dms.models import (
    AppointmentOutbox,
    DeliveryStatus,
    DmsIntegration,
    DmsRecordVersion,
    DmsWatermark,
    DmsWebhookEvent,
)
from app.models import Customer, Dealer, Vehicle
from app.security.principal import DealerScope, in_scope

CHUNK = 500
_int = table_of(DmsIntegration)
_dealer = table_of(Dealer)


class DmsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # Configuration ---------------------------------------------------------------------------

    def integration(self, dealer_id: int) -> DmsIntegration | None:
        stmt = select(DmsIntegration).where(_int.c.dealer_id == dealer_id)
        return self.session.execute(stmt).scalar_one_or_none()

    def integration_by_dealer_code(self, code: str) -> tuple[Dealer, DmsIntegration] | None:
        stmt = (
            select(Dealer, DmsIntegration)
            .join(DmsIntegration, _int.c.dealer_id == _dealer.c.id)
            .where(_dealer.c.code == code)
        )
        row = self.session.execute(stmt).first()
        return None if row is None else (row[0], row[1])

    def dealer_codes(self, dealer_ids: frozenset[int]) -> list[str]:
        stmt = select(_dealer.c.code).where(_dealer.c.id.in_(sorted(dealer_ids)))
        return sorted(self.session.execute(stmt).scalars())

    def pull_integrations(self) -> list[tuple[Dealer, DmsIntegration]]:
        stmt = (
            select(Dealer, DmsIntegration)
            .join(DmsIntegration, _int.c.dealer_id == _dealer.c.id)
            .where(_int.c.pull_enabled, _int.c.pull_base_url.is_not(None))
            .order_by(_dealer.c.code)
        )
        return [(r[0], r[1]) for r in self.session.execute(stmt)]

    # Webhook events and record versions ------------------------------------------------------

    def event_seen(self, dealer_id: int, event_id: str) -> bool:
        t = table_of(DmsWebhookEvent)
        stmt = select(t.c.id).where(t.c.dealer_id == dealer_id, t.c.event_id == event_id)
        return self.session.execute(stmt).first() is not None

    def add_event(self, **values: Any) -> None:
        self.session.add(DmsWebhookEvent(**values))
        self.session.flush()

    def versions(self, dealer_id: int, entity: str, keys: Sequence[str]) -> dict[str, datetime]:
        t = table_of(DmsRecordVersion)
        out: dict[str, datetime] = {}
        for start in range(0, len(keys), CHUNK):
            stmt = select(t.c.record_key, t.c.source_updated_at).where(
                t.c.dealer_id == dealer_id,
                t.c.entity == entity,
                t.c.record_key.in_(keys[start : start + CHUNK]),
            )
            out.update(dict(self.session.execute(stmt).tuples().all()))
        return out

    def save_versions(self, dealer_id: int, entity: str, versions: dict[str, datetime]) -> None:
        t = table_of(DmsRecordVersion)
        existing = self.versions(dealer_id, entity, list(versions))
        inserts = [
            {"dealer_id": dealer_id, "entity": entity, "record_key": k, "source_updated_at": v}
            for k, v in versions.items()
            if k not in existing
        ]
        if inserts:
            self.session.execute(t.insert(), inserts)
        for k, v in versions.items():
            if k in existing:
                self.session.execute(
                    update(t)
                    .where(t.c.dealer_id == dealer_id, t.c.entity == entity, t.c.record_key == k)
                    .values(source_updated_at=v)
                )

    # Watermarks ------------------------------------------------------------------------------

    def watermark(self, dealer_id: int, entity: str) -> DmsWatermark:
        t = table_of(DmsWatermark)
        stmt = select(DmsWatermark).where(t.c.dealer_id == dealer_id, t.c.entity == entity)
        found = self.session.execute(stmt).scalar_one_or_none()
        if found is None:
            found = DmsWatermark(dealer_id=dealer_id, entity=entity)
            self.session.add(found)
            self.session.flush()
        return found

    # Outbox ----------------------------------------------------------------------------------

    def appointment_refs(self, vehicle_id: int, customer_id: int | None, dealer_id: int) -> Any:
        v, c = table_of(Vehicle), table_of(Customer)
        stmt = select(
            _dealer.c.code,
            select(v.c.vin).where(v.c.id == vehicle_id).scalar_subquery().label("vin"),
            select(c.c.external_id)
            .where(c.c.id == customer_id)
            .scalar_subquery()
            .label("customer"),
        ).where(_dealer.c.id == dealer_id)
        return self.session.execute(stmt).one()

    def due_outbox_ids(self, now: datetime, limit: int) -> list[int]:
        o = table_of(AppointmentOutbox)
        earlier = o.alias("earlier")
        # Changes of one appointment go out in order: a later one waits for the earlier ones.
        blocked = (
            select(earlier.c.id)
            .where(
                earlier.c.appointment_id == o.c.appointment_id,
                earlier.c.id < o.c.id,
                earlier.c.status == DeliveryStatus.PENDING.value,
            )
            .exists()
        )
        stmt = (
            select(o.c.id)
            .where(o.c.status == DeliveryStatus.PENDING.value, o.c.next_attempt_at <= now, ~blocked)
            .order_by(o.c.id)
            .limit(limit)
        )
        return [r[0] for r in self.session.execute(stmt)]

    def claim_outbox(self, outbox_id: int, now: datetime, lease_until: datetime) -> bool:
        """Take a due row for delivery by moving its next attempt past the lease (a worker that
        dies mid-delivery leaves it to be retried after the lease)."""
        o = table_of(AppointmentOutbox)
        result = self.session.execute(
            update(o)
            .where(
                o.c.id == outbox_id,
                o.c.status == DeliveryStatus.PENDING.value,
                o.c.next_attempt_at <= now,
            )
            .values(next_attempt_at=lease_until)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def list_outbox(
        self,
        *,
        dealer_ids: DealerScope,
        status: str | None,
        appointment_id: int | None,
        limit: int,
        offset: int,
    ) -> tuple[list[AppointmentOutbox], int]:
        o = table_of(AppointmentOutbox)
        where = [in_scope(o.c.dealer_id, dealer_ids)]
        if status is not None:
            where.append(o.c.status == status)
        if appointment_id is not None:
            where.append(o.c.appointment_id == appointment_id)
        total = self.session.execute(select(func.count()).select_from(o).where(*where)).scalar_one()
        rows = (
            self.session.execute(
                select(AppointmentOutbox)
                .where(*where)
                .order_by(o.c.id.desc())
                .limit(limit)
                .offset(offset)
            )
            .scalars()
            .all()
        )
        return list(rows), int(total)
