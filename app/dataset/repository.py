"""Set-based upserts for the import: read existing rows by key in chunks, insert what is new,
update only what differs, so re-importing the same data writes no row at all."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, tuple_, update
from sqlmodel import Session, SQLModel

from app.dataset.odometer import Reading
from app.dataset.validation import DocumentKeys, KnownDealer, StoredKeys
from app.models import Appointment, Customer, Dealer, OdometerReading, RepairOrder, Vehicle

CHUNK = 500

Key = tuple[Any, ...]


def table_of(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _norm(value: Any) -> Any:
    """Make stored and incoming values comparable (SQLite returns naive datetimes)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, Decimal):
        return value.normalize()
    if isinstance(value, tuple):
        return [_norm(v) for v in value]
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


@dataclass(slots=True)
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


@dataclass(frozen=True, slots=True)
class Row:
    """One record to upsert: its key, the values for an insert, the values to keep current."""

    key: Key
    insert: dict[str, Any]
    update: dict[str, Any]


class DatasetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _key_filter(self, table: Table, key_cols: Sequence[str], keys: Sequence[Key]) -> Any:
        if len(key_cols) == 1:
            return table.c[key_cols[0]].in_([k[0] for k in keys])
        return tuple_(*(table.c[c] for c in key_cols)).in_([tuple(k) for k in keys])

    def existing(
        self, table: Table, key_cols: Sequence[str], keys: Sequence[Key], cols: Iterable[str]
    ) -> dict[Key, dict[str, Any]]:
        wanted = ["id", *key_cols, *sorted(set(cols) - set(key_cols) - {"id"})]
        found: dict[Key, dict[str, Any]] = {}
        unique_keys = list(dict.fromkeys(keys))
        for chunk in _chunks(unique_keys):
            stmt = select(*(table.c[c] for c in wanted)).where(
                self._key_filter(table, key_cols, chunk)
            )
            for row in self.session.execute(stmt).mappings():
                found[tuple(row[c] for c in key_cols)] = dict(row)
        return found

    def upsert(
        self, table: Table, key_cols: Sequence[str], rows: Sequence[Row]
    ) -> tuple[dict[Key, int], Counts]:
        counts = Counts()
        if not rows:
            return {}, counts
        update_cols = {c for r in rows for c in r.update}
        current = self.existing(table, key_cols, [r.key for r in rows], update_cols)
        ids: dict[Key, int] = {k: v["id"] for k, v in current.items()}
        to_insert: list[dict[str, Any]] = []
        to_update: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            now = current.get(r.key)
            if now is None:
                to_insert.append({**dict(zip(key_cols, r.key, strict=True)), **r.insert})
                continue
            changed = {c: v for c, v in r.update.items() if _norm(now.get(c)) != _norm(v)}
            if changed:
                cols = tuple(sorted(changed))
                to_update[cols].append({"b_id": now["id"], **{f"b_{c}": changed[c] for c in cols}})
                counts.updated += 1
            else:
                counts.unchanged += 1
        for chunk in _chunks(to_insert):
            stmt = insert(table).returning(table.c.id, *(table.c[c] for c in key_cols))
            for row in self.session.execute(stmt, list(chunk)):
                ids[tuple(row[1:])] = row[0]
        counts.inserted = len(to_insert)
        for cols, params in to_update.items():
            update_stmt = (
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values({c: bindparam(f"b_{c}") for c in cols})
            )
            for chunk in _chunks(params):
                self.session.connection().execute(update_stmt, list(chunk))
        return ids, counts

    def sync_children(
        self,
        table: Table,
        parent_col: str,
        key_col: str,
        children: dict[int, list[dict[str, Any]]],
        *,
        delete_missing: bool = True,
        update_only: Iterable[str] = (),
    ) -> Counts:
        """Make each parent's children equal to the given lists (keyed by ``key_col``).

        Columns in ``update_only`` are written on insert but never overwritten (our own state,
        such as a phone marked invalid by an agent).
        """
        counts = Counts()
        if not children:
            return counts
        keep = set(update_only)
        rows: list[Row] = []
        for parent_id, items in children.items():
            for item in items:
                values = {c: v for c, v in item.items() if c != key_col}
                rows.append(
                    Row(
                        key=(parent_id, item[key_col]),
                        insert=values,
                        update={c: v for c, v in values.items() if c not in keep},
                    )
                )
        _, counts = self.upsert(table, (parent_col, key_col), rows)
        if delete_missing:
            wanted = {(r.key[0], r.key[1]) for r in rows}
            parent_ids = list(children)
            stale: list[int] = []
            for chunk in _chunks(parent_ids):
                stmt = select(table.c.id, table.c[parent_col], table.c[key_col]).where(
                    table.c[parent_col].in_(chunk)
                )
                stale += [r.id for r in self.session.execute(stmt) if (r[1], r[2]) not in wanted]
            for chunk in _chunks(stale):
                self.session.execute(delete(table).where(table.c.id.in_(chunk)))
            counts.deleted = len(stale)
        return counts

    # Lookups ---------------------------------------------------------------------------------

    def dealers_by_code(self, codes: Iterable[str]) -> dict[str, Any]:
        codes = list(set(codes))
        t = table_of(Dealer)
        out: dict[str, Any] = {}
        for chunk in _chunks(codes):
            for row in self.session.execute(select(t).where(t.c.code.in_(chunk))):
                out[row.code] = row
        return out

    def ids_by(
        self, model: type[SQLModel], col: str, values: Iterable[Any], **where: Any
    ) -> dict[Any, int]:
        t = table_of(model)
        vals = list(set(values))
        out: dict[Any, int] = {}
        for chunk in _chunks(vals):
            stmt = select(t.c[col], t.c.id).where(t.c[col].in_(chunk))
            for c, v in where.items():
                stmt = stmt.where(t.c[c] == v)
            out.update({row[0]: row[1] for row in self.session.execute(stmt)})
        return out

    def load_stored(self, keys: DocumentKeys, *, source: str) -> StoredKeys:
        stored = StoredKeys()
        for code, d in self.dealers_by_code(keys.dealers).items():
            stored.dealers[code] = KnownDealer(code, d.country, d.distance_unit, d.time_zone)
        v, d = table_of(Vehicle), table_of(Dealer)
        vins = list(keys.vins)
        for chunk in _chunks(vins):
            stmt = (
                select(v.c.vin, d.c.code, d.c.country, d.c.distance_unit, d.c.time_zone)
                .join(d, d.c.id == v.c.dealer_id)
                .where(v.c.vin.in_(chunk))
            )
            for row in self.session.execute(stmt):
                stored.vehicle_dealer[row.vin] = row.code
                stored.dealers.setdefault(
                    row.code, KnownDealer(row.code, row.country, row.distance_unit, row.time_zone)
                )
        stored.customers = set(self.ids_by(Customer, "external_id", keys.customers, source=source))
        stored.appointments = set(
            self.ids_by(Appointment, "external_id", keys.appointments, source=source)
        )
        return stored

    def distance_units(self, vehicle_ids: Iterable[int]) -> dict[int, str]:
        """The distance unit of each vehicle's dealer."""
        v, d = table_of(Vehicle), table_of(Dealer)
        ids = list(vehicle_ids)
        out: dict[int, str] = {}
        for chunk in _chunks(ids):
            stmt = (
                select(v.c.id, d.c.distance_unit)
                .join(d, d.c.id == v.c.dealer_id)
                .where(v.c.id.in_(chunk))
            )
            out.update({row[0]: row[1] for row in self.session.execute(stmt)})
        return out

    def accepted_readings(self, vehicle_ids: Iterable[int]) -> dict[int, list[Reading]]:
        """Each vehicle's accepted odometer readings: stored readings, RO odometers-in and the
        delivery odometer, for the sanity check of new readings."""
        o, v, ro = table_of(OdometerReading), table_of(Vehicle), table_of(RepairOrder)
        ids = list(vehicle_ids)
        out: dict[int, list[Reading]] = {i: [] for i in ids}
        for chunk in _chunks(ids):
            readings = select(
                o.c.vehicle_id, o.c.reading_date, o.c.source, o.c.value_km, o.c.odometer_replaced
            ).where(o.c.vehicle_id.in_(chunk), o.c.accepted)
            for vid, day, source, km, replaced in self.session.execute(readings):
                out[vid].append(Reading(key=(day, source), day=day, km=km, replaced=replaced))
            orders = select(ro.c.vehicle_id, ro.c.opened_date, ro.c.odometer_in_km).where(
                ro.c.vehicle_id.in_(chunk), ro.c.odometer_in_km.is_not(None)
            )
            for vid, day, km in self.session.execute(orders):
                out[vid].append(Reading(key=(day, "repair_order:ro"), day=day, km=km))
            deliveries = select(v.c.id, v.c.delivery_date, v.c.delivery_odometer_km).where(
                v.c.id.in_(chunk), v.c.delivery_date.is_not(None)
            )
            for vid, day, km in self.session.execute(deliveries):
                out[vid].append(Reading(key=(day, "delivery:vehicle"), day=day, km=km or 0))
        return out
