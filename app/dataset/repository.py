"""Set-based upserts for the import: read existing rows by key in chunks, insert what is new,
update only what differs, so re-importing the same data writes no row at all."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    and_,
    any_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session, SQLModel

from app.dataset.odometer import Reading
from app.dataset.validation import DocumentKeys, KnownDealer, StoredKeys
from app.model_base import utcnow
from app.models import Appointment, Customer, Dealer, OdometerReading, RepairOrder, Vehicle

CHUNK = 500
PG_CHUNK = 5000  # one array parameter per key column, whatever the chunk's size

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


def _unique_on(table: Table, key_cols: Sequence[str]) -> bool:
    """Whether a plain unique constraint (or index) covers exactly ``key_cols``, as
    ``ON CONFLICT (key_cols)`` needs."""
    wanted = set(key_cols)
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint):
            if {c.name for c in constraint.columns} == wanted:
                return True
    # A unique index on expressions (lower(name)) does not count: its columns differ.
    return any(
        index.unique
        and len(index.expressions) == len(index.columns)
        and {c.name for c in index.columns} == wanted
        for index in table.indexes
    )


def _differs(stored: Any, incoming: Any) -> Any:
    if isinstance(stored.type, JSON):  # json has no equality operator: compare as jsonb
        return sql_cast(stored, JSONB).is_distinct_from(sql_cast(incoming, JSONB))
    return stored.is_distinct_from(incoming)


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

    @property
    def _postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def _in(self, column: Any, values: Sequence[Any]) -> Any:
        """``column IN values``; on PostgreSQL one array parameter (``= ANY``), so the
        statement text is the same for every chunk and psycopg parses it once."""
        if self._postgresql:
            return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        return column.in_(values)

    def _key_filter(self, table: Table, key_cols: Sequence[str], keys: Sequence[Key]) -> Any:
        if len(key_cols) == 1:
            return self._in(table.c[key_cols[0]], [k[0] for k in keys])
        return tuple_(*(table.c[c] for c in key_cols)).in_([tuple(k) for k in keys])

    def existing(
        self, table: Table, key_cols: Sequence[str], keys: Sequence[Key], cols: Iterable[str]
    ) -> dict[Key, dict[str, Any]]:
        wanted = ["id", *key_cols, *sorted(set(cols) - set(key_cols) - {"id"})]
        found: dict[Key, dict[str, Any]] = {}
        unique_keys = list(dict.fromkeys(keys))
        pg = self._postgresql
        for chunk in _chunks(unique_keys, PG_CHUNK if pg else CHUNK):
            stmt = select(*(table.c[c] for c in wanted))
            if pg and len(key_cols) > 1:
                # A composite key as parallel arrays joined through unnest(): an index lookup
                # per key, where a row-value IN list is planned as one big OR.
                arrays = [
                    bindparam(None, [k[i] for k in chunk], type_=ARRAY(table.c[c].type))
                    for i, c in enumerate(key_cols)
                ]
                names = [f"k{i}" for i in range(len(key_cols))]
                keys_t = func.unnest(*arrays).table_valued(*names).render_derived(name="keys")
                on = and_(
                    *(table.c[c] == keys_t.c[n] for c, n in zip(key_cols, names, strict=True))
                )
                stmt = stmt.select_from(table.join(keys_t, on))
            else:
                stmt = stmt.where(self._key_filter(table, key_cols, chunk))
            for row in self.session.execute(stmt).mappings().all():
                found[tuple(row[c] for c in key_cols)] = dict(row)
        return found

    def upsert(
        self, table: Table, key_cols: Sequence[str], rows: Sequence[Row], *, want_ids: bool = True
    ) -> tuple[dict[Key, int], Counts]:
        """Insert new keys, update the provided columns of stored keys where they differ; the ids
        of every key (``want_ids=False``: only of the rows written, on PostgreSQL)."""
        counts = Counts()
        if not rows:
            return {}, counts
        if self._postgresql and _unique_on(table, key_cols):
            groups: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Row]] = defaultdict(list)
            for r in rows:
                groups[(tuple(r.insert), tuple(sorted(r.update)))].append(r)
            if len({r.key for r in rows}) == len(rows) and all(
                set(upd) <= set(ins) for ins, upd in groups
            ):
                ids: dict[Key, int] = {}
                for (ins_cols, upd_cols), group in groups.items():
                    self._upsert_on_conflict(
                        table, key_cols, ins_cols, upd_cols, group, ids, counts
                    )
                if want_ids:
                    missing = [r.key for r in rows if r.key not in ids]
                    for key, stored in self.existing(table, key_cols, missing, ()).items():
                        ids[key] = stored["id"]
                return ids, counts
        update_cols = {c for r in rows for c in r.update}
        current = self.existing(table, key_cols, [r.key for r in rows], update_cols)
        ids = {k: v["id"] for k, v in current.items()}
        to_insert: list[dict[str, Any]] = []
        to_update: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            now = current.get(r.key)
            if now is None:
                to_insert.append({**dict(zip(key_cols, r.key, strict=True)), **r.insert})
                continue
            changed = {
                c: v
                for c, v in r.update.items()
                # Most values are equal as they are; only the rest need normalising.
                if (cur := now.get(c)) != v and _norm(cur) != _norm(v)
            }
            if changed:
                cols = tuple(sorted(changed))
                to_update[cols].append({"b_id": now["id"], **{f"b_{c}": changed[c] for c in cols}})
                counts.updated += 1
            else:
                counts.unchanged += 1
        if self._postgresql:
            self._insert_unnest(table, key_cols, to_insert, ids)
        else:
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

    def _unnest(self, table: Table, cols: Sequence[str], rows: Sequence[dict[str, Any]]) -> Any:
        """``SELECT * FROM unnest(:col1, :col2, …)`` of ``rows``: one array parameter per column
        (JSON travels as text and is cast back, as a list of lists would be read as a 2-D
        array)."""
        arrays = []
        for c in cols:
            values = [r[c] for r in rows]
            if isinstance(table.c[c].type, JSON):
                texts = [None if v is None else json.dumps(v, default=str) for v in values]
                arrays.append(bindparam(None, texts, type_=ARRAY(Text())))
            else:
                arrays.append(bindparam(None, values, type_=ARRAY(table.c[c].type)))
        names = [f"c{i}" for i in range(len(cols))]
        source = func.unnest(*arrays).table_valued(*names).render_derived(name="v")
        return select(
            *(
                sql_cast(source.c[n], JSONB) if isinstance(table.c[c].type, JSON) else source.c[n]
                for c, n in zip(cols, names, strict=True)
            )
        )

    def _upsert_on_conflict(
        self,
        table: Table,
        key_cols: Sequence[str],
        ins_cols: Sequence[str],
        upd_cols: Sequence[str],
        rows: Sequence[Row],
        ids: dict[Key, int],
        counts: Counts,
    ) -> None:
        """PostgreSQL: ``INSERT … SELECT * FROM unnest(…) ON CONFLICT (key) DO UPDATE SET …
        WHERE (stored) IS DISTINCT FROM (incoming) RETURNING``. The comparison happens in the
        database, so a re-import of the same rows reads nothing back and writes nothing; rows
        neither inserted nor changed are not returned (counted as unchanged)."""
        cols = [*key_cols, *ins_cols]
        for chunk in _chunks(rows, PG_CHUNK):
            values = [{**dict(zip(key_cols, r.key, strict=True)), **r.insert} for r in chunk]
            stmt = pg_insert(table).from_select(cols, self._unnest(table, cols, values))
            if upd_cols:
                new = stmt.excluded
                changes: dict[str, Any] = {c: new[c] for c in upd_cols}
                if "updated_at" in table.c and "updated_at" not in changes:
                    changes["updated_at"] = utcnow()
                stmt = stmt.on_conflict_do_update(
                    index_elements=list(key_cols),
                    set_=changes,
                    where=or_(*(_differs(table.c[c], new[c]) for c in upd_cols)),
                )
            else:
                stmt = stmt.on_conflict_do_nothing(index_elements=list(key_cols))
            returning = stmt.returning(
                table.c.id,
                literal_column("(xmax = 0)", Boolean).label("inserted"),
                *(table.c[c] for c in key_cols),
            )
            written = 0
            for found in self.session.execute(returning):
                ids[tuple(found[2:])] = found[0]
                written += 1
                if found[1]:
                    counts.inserted += 1
                else:
                    counts.updated += 1
            counts.unchanged += len(chunk) - written

    def _insert_unnest(
        self,
        table: Table,
        key_cols: Sequence[str],
        rows: list[dict[str, Any]],
        ids: dict[Key, int],
    ) -> None:
        """PostgreSQL: ``INSERT … SELECT * FROM unnest(:col1, :col2, …) RETURNING``, one array
        parameter per column. The statement text stays short and constant, so psycopg parses it
        once (a multi-row VALUES list is re-parsed on every request), and the server gets the
        rows in one round trip."""
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_columns[tuple(row)].append(row)
        for cols, group in by_columns.items():
            for chunk in _chunks(group, PG_CHUNK):
                arrays = []
                for c in cols:
                    values = [r[c] for r in chunk]
                    if isinstance(table.c[c].type, JSON):
                        # JSON travels as text: a list of lists would be read as a 2-D array.
                        texts = [None if v is None else json.dumps(v, default=str) for v in values]
                        arrays.append(bindparam(None, texts, type_=ARRAY(Text())))
                    else:
                        arrays.append(bindparam(None, values, type_=ARRAY(table.c[c].type)))
                names = [f"c{i}" for i in range(len(cols))]
                source = func.unnest(*arrays).table_valued(*names).render_derived(name="v")
                picked = [
                    sql_cast(source.c[n], JSONB)
                    if isinstance(table.c[c].type, JSON)
                    else source.c[n]
                    for c, n in zip(cols, names, strict=True)
                ]
                stmt = (
                    insert(table)
                    .from_select(list(cols), select(*picked))
                    .returning(table.c.id, *(table.c[c] for c in key_cols))
                )
                for found in self.session.execute(stmt):
                    ids[tuple(found[1:])] = found[0]

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
        _, counts = self.upsert(table, (parent_col, key_col), rows, want_ids=False)
        if delete_missing and self._postgresql:
            # One statement: the children of these parents whose key was not sent.
            parent_t, key_t = ARRAY(table.c[parent_col].type), ARRAY(table.c[key_col].type)
            sent = (
                func.unnest(
                    bindparam(None, [r.key[0] for r in rows], type_=parent_t),
                    bindparam(None, [r.key[1] for r in rows], type_=key_t),
                )
                .table_valued("p", "k")
                .render_derived(name="sent")
            )
            kept = (
                select(sent.c.p)
                .where(sent.c.p == table.c[parent_col], sent.c.k == table.c[key_col])
                .exists()
            )
            parents = bindparam(None, list(children), type_=parent_t)
            gone = self.session.execute(
                delete(table)
                .where(table.c[parent_col] == any_(parents), ~kept)
                .returning(table.c.id)
            )
            counts.deleted = len(gone.all())
        elif delete_missing:
            wanted = {(r.key[0], r.key[1]) for r in rows}
            parent_ids = list(children)
            stale: list[int] = []
            for chunk in _chunks(parent_ids):
                stmt = select(table.c.id, table.c[parent_col], table.c[key_col]).where(
                    self._in(table.c[parent_col], chunk)
                )
                stale += [r.id for r in self.session.execute(stmt) if (r[1], r[2]) not in wanted]
            for chunk in _chunks(stale):
                self.session.execute(delete(table).where(self._in(table.c.id, chunk)))
            counts.deleted = len(stale)
        return counts

    # Lookups ---------------------------------------------------------------------------------

    def dealers_by_code(self, codes: Iterable[str]) -> dict[str, Any]:
        codes = list(set(codes))
        t = table_of(Dealer)
        out: dict[str, Any] = {}
        for chunk in _chunks(codes):
            for row in self.session.execute(select(t).where(self._in(t.c.code, chunk))):
                out[row.code] = row
        return out

    def ids_by(
        self, model: type[SQLModel], col: str, values: Iterable[Any], **where: Any
    ) -> dict[Any, int]:
        t = table_of(model)
        vals = list(set(values))
        out: dict[Any, int] = {}
        for chunk in _chunks(vals):
            stmt = select(t.c[col], t.c.id).where(self._in(t.c[col], chunk))
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
                .where(self._in(v.c.vin, chunk))
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
                .where(self._in(v.c.id, chunk))
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
            ).where(self._in(o.c.vehicle_id, chunk), o.c.accepted)
            for vid, day, source, km, replaced in self.session.execute(readings):
                out[vid].append(Reading(key=(day, source), day=day, km=km, replaced=replaced))
            orders = select(ro.c.vehicle_id, ro.c.opened_date, ro.c.odometer_in_km).where(
                self._in(ro.c.vehicle_id, chunk), ro.c.odometer_in_km.is_not(None)
            )
            for vid, day, km in self.session.execute(orders):
                out[vid].append(Reading(key=(day, "repair_order:ro"), day=day, km=km))
            deliveries = select(v.c.id, v.c.delivery_date, v.c.delivery_odometer_km).where(
                self._in(v.c.id, chunk), v.c.delivery_date.is_not(None)
            )
            for vid, day, km in self.session.execute(deliveries):
                out[vid].append(Reading(key=(day, "delivery:vehicle"), day=day, km=km or 0))
        return out
