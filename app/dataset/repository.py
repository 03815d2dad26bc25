"""Set-based upserts for the import: read existing rows by key in chunks, insert what is new,
update only what differs, so re-importing the same data writes no row at all."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple, cast

import psycopg
from sqlalchemy import (
    JSON,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel

from app.dataset.odometer import Reading
from app.dataset.validation import DocumentKeys, KnownDealer, StoredKeys
from app.db import pg_any
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


def _column_defaults(table: Table, cols: Sequence[str]) -> dict[str, Any]:
    """The Python-side defaults of the columns of ``table`` not in ``cols``, evaluated once (as
    SQLAlchemy does for ``INSERT … FROM SELECT``), for a hand-written insert."""
    out: dict[str, Any] = {}
    for column in table.c:
        default = column.default
        if column.name in cols or default is None:
            continue
        if default.is_scalar:
            out[column.name] = default.arg  # type: ignore[attr-defined]
        elif default.is_callable:
            out[column.name] = default.arg(None)  # type: ignore[attr-defined]
    return out


@dataclass(slots=True)
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0


class Row(NamedTuple):
    """One record to upsert: its key, the values for an insert, the values to keep current.
    (A named tuple: thousands are made per request, and a frozen dataclass's ``__init__`` costs
    several times as much.)"""

    key: Key
    insert: dict[str, Any]
    update: dict[str, Any]


class DatasetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._stages = 0

    @property
    def _postgresql(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    @property
    def _chunk(self) -> int:
        """Keys per lookup: one array parameter on PostgreSQL, whatever its length."""
        return PG_CHUNK if self._postgresql else CHUNK

    def _in(self, column: Any, values: Sequence[Any]) -> Any:
        """``column IN values``; on PostgreSQL one array parameter (``= ANY``), so the
        statement text is the same for every chunk and psycopg parses it once."""
        if self._postgresql:
            return pg_any(column, values)
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
                # Rows built by the same code list their columns in the same order.
                groups[(tuple(r.insert), tuple(r.update))].append(r)
            if len({r.key for r in rows}) == len(rows) and all(
                set(upd) <= set(ins) for ins, upd in groups
            ):
                ids: dict[Key, int] = {}
                for (ins_cols, upd_cols), group in groups.items():
                    self._upsert_on_conflict(
                        table,
                        key_cols,
                        ins_cols,
                        upd_cols,
                        group,
                        ids if want_ids else None,
                        counts,
                    )
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

    def _sql(self, statement: str, params: dict[str, Any] | None = None) -> Any:
        """A hand-written statement through SQLAlchemy (its events, error types, invalidation)."""
        return self.session.connection().exec_driver_sql(statement, params or {})

    def _quote(self, name: str) -> str:
        return str(self.session.get_bind().dialect.identifier_preparer.quote(name))

    def _stage(self, table: Table, cols: Sequence[str], rows: Iterable[Any]) -> str:
        """PostgreSQL: a temporary table with ``cols`` of ``table`` (same types, no constraints)
        filled with ``rows`` (tuples in ``cols`` order) by one ``COPY … FROM STDIN``; its name.
        psycopg formats COPY rows in C, where array parameters are dumped element by element in
        Python (a regular expression per string), and the server gets the rows in one stream.

        It is not analysed (that was an eighth of the database's time of an import): without
        statistics the planner sizes it from its pages, and its few distinct parents make the
        joins with the stored tables seek their unique indexes."""
        self._stages += 1
        stage = f"import_stage_{self._stages}"
        names = ", ".join(self._quote(c) for c in cols)
        self._sql(
            f"CREATE TEMPORARY TABLE {stage} ON COMMIT DROP AS "
            f"SELECT {names} FROM {self._quote(table.name)} WITH NO DATA"
        )
        statement = f"COPY {stage} ({names}) FROM STDIN"
        # COPY has no SQLAlchemy API: the session's psycopg connection, in its transaction, with
        # psycopg's errors raised as SQLAlchemy's (so a lost connection is still a 503, a
        # unique violation a 409).
        raw: Any = self.session.connection().connection.driver_connection
        try:
            with raw.cursor() as cursor, cursor.copy(statement) as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
        except psycopg.Error as exc:
            raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc
        return stage

    def _upsert_on_conflict(
        self,
        table: Table,
        key_cols: Sequence[str],
        ins_cols: Sequence[str],
        upd_cols: Sequence[str],
        rows: Sequence[Row],
        ids: dict[Key, int] | None,
        counts: Counts,
    ) -> None:
        """PostgreSQL: the rows staged by ``COPY``, then ``INSERT … SELECT … FROM stage
        ON CONFLICT (key) DO UPDATE SET … WHERE (stored) IS DISTINCT FROM (incoming)``. The
        comparison happens in the database, so a re-import of the same rows writes nothing; rows
        neither inserted nor changed are counted as unchanged. ``ids`` (when given) receives the
        id of every key, read back through the staged keys."""
        cols = [*key_cols, *ins_cols]
        json_cols = {c for c in ins_cols if isinstance(table.c[c].type, JSON)}
        if json_cols:
            # JSON travels as its text (the server parses it into the jsonb column).
            def value(r: Row, c: str) -> Any:
                v = r.insert[c]
                return json.dumps(v, default=str) if c in json_cols and v is not None else v

            staged: Iterable[Any] = ((*r.key, *(value(r, c) for c in ins_cols)) for r in rows)
        elif len(ins_cols) == 1:
            only = ins_cols[0]
            staged = ((*r.key, r.insert[only]) for r in rows)
        elif ins_cols:
            pick = itemgetter(*ins_cols)
            staged = ((*r.key, *pick(r.insert)) for r in rows)
        else:
            staged = (r.key for r in rows)
        q = self._quote
        t = q(table.name)
        defaults = _column_defaults(table, cols)
        params = {f"default_{c}": v for c, v in defaults.items()}
        targets = ", ".join(q(c) for c in [*cols, *defaults])
        picked = ", ".join([*(q(c) for c in cols), *(f"%(default_{c})s" for c in defaults)])
        if upd_cols:
            sets = [f"{q(c)} = EXCLUDED.{q(c)}" for c in upd_cols]
            if "updated_at" in table.c and "updated_at" not in upd_cols:
                sets.append("updated_at = %(updated_now)s")
                params["updated_now"] = utcnow()
            differs = [
                f"{t}.{q(c)}::jsonb IS DISTINCT FROM EXCLUDED.{q(c)}::jsonb"
                if isinstance(table.c[c].type, JSON)  # json has no equality operator
                else f"{t}.{q(c)} IS DISTINCT FROM EXCLUDED.{q(c)}"
                for c in upd_cols
            ]
            action = f"DO UPDATE SET {', '.join(sets)} WHERE {' OR '.join(differs)}"
        else:
            action = "DO NOTHING"
        stage = self._stage(table, cols, staged)
        written = (
            self._sql(
                f"INSERT INTO {t} ({targets}) SELECT {picked} FROM {stage} "
                f"ON CONFLICT ({', '.join(q(c) for c in key_cols)}) {action} "
                "RETURNING (xmax = 0) AS inserted",
                params,
            )
            .scalars()
            .all()
        )
        inserted = sum(written)
        counts.inserted += inserted
        counts.updated += len(written) - inserted
        counts.unchanged += len(rows) - len(written)
        if ids is not None:
            on = " AND ".join(f"{t}.{q(c)} = s.{q(c)}" for c in key_cols)
            keys = ", ".join(f"{t}.{q(c)}" for c in key_cols)
            for found in self._sql(f"SELECT {t}.id, {keys} FROM {stage} AS s JOIN {t} ON {on}"):
                ids[tuple(found[1:])] = found[0]
        self._sql(f"DROP TABLE {stage}")

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
                values = dict(item)
                key = values.pop(key_col)
                update = {c: v for c, v in values.items() if c not in keep} if keep else values
                rows.append(Row((parent_id, key), values, update))
        _, counts = self.upsert(table, (parent_col, key_col), rows, want_ids=False)
        if delete_missing and self._postgresql:
            # One statement: the children of these parents whose key was not sent. Every parent
            # is staged once with a NULL key (which matches nothing), so a parent whose list is
            # empty loses all its children.
            sent = [(r.key[0], r.key[1]) for r in rows] + [(p, None) for p in children]
            t, parent, key = self._quote(table.name), self._quote(parent_col), self._quote(key_col)
            stage = self._stage(table, (parent_col, key_col), sent)
            gone = self._sql(
                f"DELETE FROM {t} WHERE {t}.{parent} IN (SELECT {parent} FROM {stage}) "
                f"AND NOT EXISTS (SELECT FROM {stage} AS s "
                f"WHERE s.{parent} = {t}.{parent} AND s.{key} = {t}.{key})"
            )
            counts.deleted = gone.rowcount
            self._sql(f"DROP TABLE {stage}")
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
        for chunk in _chunks(codes, self._chunk):
            for row in self.session.execute(select(t).where(self._in(t.c.code, chunk))):
                out[row.code] = row
        return out

    def ids_by(
        self, model: type[SQLModel], col: str, values: Iterable[Any], **where: Any
    ) -> dict[Any, int]:
        t = table_of(model)
        vals = list(set(values))
        out: dict[Any, int] = {}
        for chunk in _chunks(vals, self._chunk):
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
        for chunk in _chunks(vins, self._chunk):
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
        for chunk in _chunks(ids, self._chunk):
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
        for chunk in _chunks(ids, self._chunk):
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
