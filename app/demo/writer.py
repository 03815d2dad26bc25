"""Bulk row writers for the demo loader: PostgreSQL ``COPY``, SQLite ``executemany`` and a portable
SQLAlchemy Core fallback.

Rows arrive as tuples in the column order of ``COLUMNS`` with Python values (``int``, ``str``,
``bool``, ``None``, ``date``, timezone-aware ``datetime`` in UTC, ``Decimal`` amounts and JSON
columns as ``dict``/``list``); each writer converts only what its driver cannot take as is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Float,
    Numeric,
    Table,
    text,
)
from sqlmodel import SQLModel

import app.models  # noqa: F401 - registers every table on SQLModel.metadata

Row = tuple[Any, ...]
Converter = Callable[[Any], Any]

_TS = ("created_at", "updated_at")

# Insert order: parents before children, so foreign keys hold at every statement.
COLUMNS: dict[str, tuple[str, ...]] = {
    "dealer_group": ("id", "name", "settings", *_TS),
    "dealer": (
        "id", "code", "name", "group_id", "country", "time_zone", "locale", "distance_unit",
        "currency", "workshop_capacity_per_day", "opening_hours", "settings", *_TS,
    ),
    "service_plan": (
        "id", "make", "model", "fuel", "first_service_days", "first_service_km",
        "interval_months", "interval_km", *_TS,
    ),
    "recall_campaign": (
        "id", "campaign_code", "make", "title", "component", "remedy_available", "start_date",
        *_TS,
    ),
    "customer": (
        "id", "group_id", "dealer_id", "source", "external_id", "first_name", "last_name",
        "company_name", "email", "language", "marketing_calls", "do_not_call", "tyre_hotel",
        "status", "value_segment", *_TS,
    ),
    "customer_phone": ("id", "customer_id", "number", "type", "is_primary", "is_valid", *_TS),
    "vehicle": (
        "id", "vin", "dealer_id", "make", "model", "model_year", "fuel", "registration",
        "delivery_date", "sold_by_dealer", "delivery_odometer_km", "status", *_TS,
    ),
    "warranty": ("id", "vehicle_id", "kind", "start_date", "months", "km_limit", *_TS),
    "ownership": ("id", "vehicle_id", "customer_id", "start_date", "end_date", *_TS),
    "appointment": (
        "id", "source", "external_id", "dealer_id", "vehicle_id", "customer_id", "slot_start",
        "duration_minutes", "service_types", "status", "origin", *_TS,
    ),
    "repair_order": (
        "id", "source", "external_id", "dealer_id", "vehicle_id", "customer_id", "opened_date",
        "closed_date", "odometer_in_km", "appointment_id", *_TS,
    ),
    "repair_order_line": (
        "id", "repair_order_id", "line_no", "op_code", "description", "pay_type", "service_kind",
        "labor_amount", "parts_amount", "campaign_code", *_TS,
    ),
    "odometer_reading": (
        "id", "vehicle_id", "reading_date", "value_km", "source", "accepted", "odometer_replaced",
        *_TS,
    ),
    "recall_vehicle": ("id", "campaign_id", "vin", "status", *_TS),
}  # fmt: skip


class RowWriter(Protocol):
    def write(self, table: str, rows: Sequence[Row]) -> None: ...

    def finish(self) -> None: ...


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _converters(table: str, pick: Callable[[Any], Converter | None]) -> list[tuple[int, Converter]]:
    columns = _table(table).c
    found = []
    for index, name in enumerate(COLUMNS[table]):
        converter = pick(columns[name].type)
        if converter is not None:
            found.append((index, converter))
    return found


def _convert(rows: Sequence[Row], converters: list[tuple[int, Converter]]) -> Sequence[Row]:
    if not converters:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for index, converter in converters:
            value = values[index]
            if value is not None:
                values[index] = converter(value)
        out.append(tuple(values))
    return out


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def reset_sequences(connection: Connection) -> None:
    """Ids were assigned by the loader, so the sequences must catch up for later inserts."""
    for table in COLUMNS:
        connection.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table}")
        )


_CONSTRAINTS_SQL = text(
    """
    SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid)
    FROM pg_constraint c
    WHERE c.contype IN ('f', 'p', 'u')
      AND (c.conrelid = ANY(CAST(:tables AS regclass[]))
           OR c.confrelid = ANY(CAST(:tables AS regclass[])))
    ORDER BY c.conrelid::regclass::text, c.conname
    """
)
_INDEXES_SQL = text(
    """
    SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM pg_index i
    WHERE i.indrelid = ANY(CAST(:tables AS regclass[]))
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
    ORDER BY 1
    """
)


class PostgresCopyWriter:
    """Binary ``COPY ... FROM STDIN`` through psycopg 3, in the caller's transaction.

    Binary rather than text: psycopg dumps typed values without formatting them and the server
    skips parsing dates and timestamps. And, as ``pg_restore`` does, the keys, indexes and foreign
    keys of the loaded tables are dropped first and rebuilt at the end, exactly as the catalogue
    defined them: one sorted index build and one anti-join per foreign key are far cheaper than
    maintaining them row by row (a foreign-key check locks the parent row, a WAL record each).
    It all happens in the caller's transaction, so a failure leaves the schema untouched.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._raw: Any = connection.connection.driver_connection
        # Binary COPY needs every value dumped as the column's exact type: ask the database.
        self._types: dict[str, list[int]] = {}
        for table, columns in COLUMNS.items():
            result = connection.execute(
                text(
                    "SELECT attname, atttypid::int FROM pg_attribute "
                    "WHERE attrelid = CAST(:table AS regclass) AND attnum > 0"
                ),
                {"table": table},
            )
            found: dict[str, int] = {row[0]: row[1] for row in result}
            self._types[table] = [found[name] for name in columns]
        self._constraints: list[tuple[str, str, str, str]] = []
        self._indexes: list[tuple[str, str]] = []
        self._drop_keys_and_indexes()

    def _drop_keys_and_indexes(self) -> None:
        tables = {"tables": list(COLUMNS)}
        execute = self._connection.exec_driver_sql
        self._constraints = [
            (table, name, kind, definition)
            for table, name, kind, definition in self._connection.execute(_CONSTRAINTS_SQL, tables)
        ]
        self._indexes = [
            (name, definition)
            for name, definition in self._connection.execute(_INDEXES_SQL, tables)
        ]
        for name, _definition in self._indexes:
            execute(f"DROP INDEX {name}")
        # Foreign keys first: they depend on the referenced keys.
        for table, name, _kind, _definition in sorted(
            self._constraints, key=lambda found: found[2] != "f"
        ):
            execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')

    def _restore_keys_and_indexes(self) -> None:
        execute = self._connection.exec_driver_sql
        execute("SET LOCAL maintenance_work_mem = '512MB'")
        # Keys, then plain indexes, then the foreign keys that need the keys to validate.
        for table, name, kind, definition in self._constraints:
            if kind != "f":
                execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in self._indexes:
            execute(definition)
        for table, name, kind, definition in self._constraints:
            if kind == "f":
                execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    def write(self, table: str, rows: Sequence[Row]) -> None:
        if not rows:
            return
        statement = f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN (FORMAT BINARY)"
        with self._raw.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(self._types[table])
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def finish(self) -> None:
        self._restore_keys_and_indexes()
        reset_sequences(self._connection)


def _sqlite_date(value: date) -> str:
    return value.isoformat()


def _sqlite_datetime(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format; values are already in UTC.
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_pick(column_type: Any) -> Converter | None:
    if isinstance(column_type, Numeric) and not isinstance(column_type, Float):
        return str
    if isinstance(column_type, JSON):
        return _json_dumps
    if isinstance(column_type, DateTime):
        return _sqlite_datetime
    if isinstance(column_type, Date):
        return _sqlite_date
    return None


class SqliteWriter:
    """Plain DB-API ``executemany`` with values pre-converted to SQLAlchemy's storage formats."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._converters = {table: _converters(table, _sqlite_pick) for table in COLUMNS}
        self._statements = {
            table: f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            for table, cols in COLUMNS.items()
        }

    def write(self, table: str, rows: Sequence[Row]) -> None:
        if rows:
            self._connection.exec_driver_sql(
                self._statements[table], list(_convert(rows, self._converters[table]))
            )

    def finish(self) -> None:
        pass


class CoreWriter:
    """Portable fallback: SQLAlchemy Core ``insert()`` executemany."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def write(self, table: str, rows: Sequence[Row]) -> None:
        if rows:
            columns = COLUMNS[table]
            self._connection.execute(
                _table(table).insert(), [dict(zip(columns, row, strict=True)) for row in rows]
            )

    def finish(self) -> None:
        if self._connection.dialect.name == "postgresql":
            reset_sequences(self._connection)


def open_writer(connection: Connection) -> RowWriter:
    dialect = connection.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return PostgresCopyWriter(connection)
    if dialect.name == "sqlite":
        return SqliteWriter(connection)
    return CoreWriter(connection)
