"""The demo-data generator, on its own throwaway databases (SQLite always, PostgreSQL when
``RETENTION_TEST_DATABASE_URL`` names a server the tests may create databases on)."""

from __future__ import annotations

import json
import os
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.db import build_engine
from app.demo.generator import DemoSummary, load_demo
from app.demo.writer import COLUMNS
from app.migrations import upgrade_to_head
from app.vehicle.vin import VIN_ALPHABET, check_digit, is_north_american

AS_OF = date(2026, 11, 23)
VEHICLES = 500
PG_ENV = "RETENTION_TEST_DATABASE_URL"


def _migrated_sqlite(folder: Path) -> Engine:
    url = f"sqlite:///{folder}/demo-{uuid.uuid4().hex[:8]}.sqlite3"
    upgrade_to_head(url)
    return build_engine(url)


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table: [
                tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            ]
            for table in COLUMNS
        }


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(sql)))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def loaded(folder: Path) -> Iterator[tuple[Engine, DemoSummary]]:
    engine = _migrated_sqlite(folder)
    calls: list[tuple[int, int]] = []
    summary = load_demo(
        engine, vehicles=VEHICLES, seed=7, as_of=AS_OF, progress=lambda *a: calls.append(a)
    )
    assert calls[-1] == (VEHICLES, VEHICLES)
    yield engine, summary
    engine.dispose()


@pytest.fixture(scope="module")
def engine(loaded: tuple[Engine, DemoSummary]) -> Engine:
    return loaded[0]


class TestDeterminism:
    def test_the_same_seed_and_date_give_identical_rows(self, folder: Path, engine: Engine) -> None:
        again = _migrated_sqlite(folder)
        load_demo(again, vehicles=VEHICLES, seed=7, as_of=AS_OF)
        assert _dump(again) == _dump(engine)
        again.dispose()

    def test_another_seed_gives_other_rows(self, folder: Path, engine: Engine) -> None:
        other = _migrated_sqlite(folder)
        load_demo(other, vehicles=VEHICLES, seed=8, as_of=AS_OF)
        vins = {row[0] for row in _rows(engine, "SELECT vin FROM vehicle")}
        other_vins = {row[0] for row in _rows(other, "SELECT vin FROM vehicle")}
        assert not vins & other_vins
        other.dispose()


def test_the_summary_counts_the_rows_of_every_table(
    loaded: tuple[Engine, DemoSummary],
) -> None:
    engine, summary = loaded
    counts = {table: _rows(engine, f"SELECT count(*) FROM {table}")[0][0] for table in COLUMNS}
    assert summary.by_table() == counts
    assert summary.vehicles == VEHICLES
    assert summary.total == sum(counts.values())
    assert summary.repair_orders > 3 * VEHICLES


def test_a_database_with_dealers_is_refused_and_left_alone(engine: Engine) -> None:
    before = _rows(engine, "SELECT count(*) FROM vehicle")[0][0]
    with pytest.raises(ValueError, match="already holds dealers"):
        load_demo(engine, vehicles=10, seed=1, as_of=AS_OF)
    assert _rows(engine, "SELECT count(*) FROM vehicle")[0][0] == before


def test_dealers_cover_three_countries_with_their_zone_language_and_currency(
    engine: Engine,
) -> None:
    dealers = _rows(
        engine, "SELECT country, time_zone, locale, currency, distance_unit FROM dealer"
    )
    assert {tuple(d) for d in dealers} == {
        ("CZ", "Europe/Prague", "cs", "CZK", "km"),
        ("FI", "Europe/Helsinki", "fi", "EUR", "km"),
        ("UA", "Europe/Kyiv", "uk", "UAH", "km"),
    }
    overrides = _rows(engine, "SELECT settings FROM dealer WHERE settings != '{}'")
    assert len(overrides) == 1
    assert len(_rows(engine, "SELECT id FROM dealer_group")) == 3


def test_about_forty_percent_of_active_vehicles_had_no_visit_in_the_last_year(
    engine: Engine,
) -> None:
    year_ago = (AS_OF - timedelta(days=365)).isoformat()
    active, orphans = _rows(
        engine,
        f"""
        SELECT count(*), sum(CASE WHEN NOT EXISTS (
                   SELECT 1 FROM repair_order r
                   WHERE r.vehicle_id = v.id AND r.opened_date > '{year_ago}'
               ) THEN 1 ELSE 0 END)
        FROM vehicle v WHERE v.status = 'active'
        """,
    )[0]
    assert active > 0.85 * VEHICLES
    assert 0.32 <= orphans / active <= 0.48


def test_vins_are_unique_valid_and_carry_the_check_digit(engine: Engine) -> None:
    vins = [row[0] for row in _rows(engine, "SELECT vin FROM vehicle")]
    vins += [row[0] for row in _rows(engine, "SELECT vin FROM recall_vehicle")]
    assert len(set(_rows(engine, "SELECT vin FROM vehicle"))) == VEHICLES
    for vin in vins:
        assert len(vin) == 17
        assert set(vin) <= set(VIN_ALPHABET), vin
        assert check_digit(vin) == vin[8], vin
    north_american = [vin for vin in vins if is_north_american(vin)]
    assert north_american  # Tesla (5YJ), BMW X5 (5UX), Ford Mustang Mach-E (3FM)


def test_the_check_digit_matches_published_examples() -> None:
    assert check_digit("1M8GDM9AXKP042788") == "X"
    assert check_digit("1HGCM82633A004352") == "3"


def test_phones_are_valid_e164_numbers_of_the_dealers_country(engine: Engine) -> None:
    phones = _rows(
        engine,
        """
        SELECT p.number, p.type, d.country FROM customer_phone p
        JOIN customer c ON c.id = p.customer_id JOIN dealer d ON d.id = c.dealer_id
        """,
    )
    assert len(phones) > 0.9 * VEHICLES * 0.8
    for number, kind, country in phones:
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
        assert phonenumbers.region_code_for_number(parsed) == country
        expected = (
            phonenumbers.PhoneNumberType.MOBILE
            if kind == "mobile"
            else phonenumbers.PhoneNumberType.FIXED_LINE
        )
        assert phonenumbers.number_type(parsed) == expected, number
    primaries = _rows(
        engine,
        "SELECT customer_id FROM customer_phone WHERE is_primary GROUP BY 1 HAVING count(*) > 1",
    )
    assert primaries == []


def test_customers_speak_their_countrys_language_and_some_opt_out(engine: Engine) -> None:
    languages = _rows(
        engine,
        "SELECT DISTINCT d.country, c.language FROM customer c JOIN dealer d ON d.id = c.dealer_id",
    )
    assert {tuple(row) for row in languages} == {("CZ", "cs"), ("FI", "fi"), ("UA", "uk")}
    total, opted_out, dnc, tyre_hotel = _rows(
        engine,
        "SELECT count(*), sum(CASE WHEN marketing_calls THEN 0 ELSE 1 END), "
        "sum(CASE WHEN do_not_call THEN 1 ELSE 0 END), sum(CASE WHEN tyre_hotel THEN 1 ELSE 0 END) "
        "FROM customer",
    )[0]
    assert 0.03 < opted_out / total < 0.14
    assert 0 < dnc / total < 0.06
    assert 0.08 < tyre_hotel / total < 0.22
    names = {row[0] for row in _rows(engine, "SELECT last_name FROM customer")}
    assert any(not name.isascii() for name in names if name)


def test_odometer_never_decreases_along_a_vehicles_history(engine: Engine) -> None:
    readings = _rows(
        engine,
        """
        SELECT vehicle_id, opened_date AS day, odometer_in_km AS km FROM repair_order
        WHERE odometer_in_km IS NOT NULL
        UNION ALL
        SELECT vehicle_id, reading_date, value_km FROM odometer_reading
        UNION ALL
        SELECT id, delivery_date, delivery_odometer_km FROM vehicle
        ORDER BY 1, 2, 3
        """,
    )
    history: dict[int, list[int]] = defaultdict(list)
    for vehicle_id, _day, km in readings:
        history[vehicle_id].append(km)
    assert len(history) == VEHICLES
    for vehicle_id, values in history.items():
        assert values == sorted(values), vehicle_id
    rates = _rows(
        engine,
        """
        SELECT v.id, max(r.odometer_in_km) - v.delivery_odometer_km,
               julianday(max(r.opened_date)) - julianday(v.delivery_date)
        FROM vehicle v JOIN repair_order r ON r.vehicle_id = v.id
        GROUP BY v.id HAVING julianday(max(r.opened_date)) - julianday(v.delivery_date) > 365
        """,
    )
    for _vehicle_id, km, days in rates:
        assert 3_000 <= km / days * 365 <= 45_000


def test_repair_orders_are_dated_before_as_of_with_lines_and_amounts(engine: Engine) -> None:
    assert _rows(engine, f"SELECT count(*) FROM repair_order WHERE opened_date > '{AS_OF}'") == [
        (0,)
    ]
    assert _rows(
        engine,
        "SELECT count(*) FROM repair_order r WHERE NOT EXISTS "
        "(SELECT 1 FROM repair_order_line l WHERE l.repair_order_id = r.id)",
    ) == [(0,)]
    kinds = dict(_rows(engine, "SELECT service_kind, count(*) FROM repair_order_line GROUP BY 1"))
    assert kinds["maintenance"] > max(kinds["repair"], kinds["tyres"])
    assert {"inspection", "recall"} <= set(kinds)
    pays = dict(_rows(engine, "SELECT pay_type, count(*) FROM repair_order_line GROUP BY 1"))
    assert pays["customer_pay"] > pays["warranty"] > 0
    assert 0 < pays["internal"] < 0.1 * sum(pays.values())
    assert set(_rows(engine, "SELECT DISTINCT source FROM repair_order")) == {("demo-dms",)}


def test_appointments_fall_within_the_dealers_opening_hours(engine: Engine) -> None:
    appointments = _rows(
        engine,
        """
        SELECT a.slot_start, a.duration_minutes, a.status, d.time_zone, d.opening_hours
        FROM appointment a JOIN dealer d ON d.id = a.dealer_id
        """,
    )
    statuses: dict[str, int] = defaultdict(int)
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    for slot_start, _duration, status, zone, hours in appointments:
        statuses[status] += 1
        start = datetime.fromisoformat(slot_start).replace(tzinfo=ZoneInfo("UTC"))
        local = start.astimezone(ZoneInfo(zone))
        opening = json.loads(hours)[days[local.weekday()]]
        minute = local.hour * 60 + local.minute
        assert any(
            int(a[:2]) * 60 + int(a[3:]) <= minute < int(b[:2]) * 60 + int(b[3:])
            for a, b in opening
        ), (slot_start, zone)
        if status in ("booked", "confirmed"):
            assert local.date() > AS_OF
        if status in ("arrived", "no_show"):
            assert local.date() <= AS_OF
    assert statuses["arrived"] > statuses["booked"] > 0
    assert statuses["no_show"] > 0


def test_ownerships_change_hands_and_end_for_cars_that_left(engine: Engine) -> None:
    open_per_vehicle = _rows(
        engine,
        "SELECT vehicle_id FROM ownership WHERE end_date IS NULL GROUP BY 1 HAVING count(*) > 1",
    )
    assert open_per_vehicle == []
    changed = _rows(engine, "SELECT vehicle_id FROM ownership GROUP BY 1 HAVING count(*) = 2")
    assert changed
    left = _rows(
        engine,
        """
        SELECT count(*) FROM vehicle v WHERE v.status != 'active' AND EXISTS (
            SELECT 1 FROM ownership o WHERE o.vehicle_id = v.id AND o.end_date IS NULL)
        """,
    )
    assert left == [(0,)]


def test_recalls_have_open_and_completed_vehicles(engine: Engine) -> None:
    statuses = dict(_rows(engine, "SELECT status, count(*) FROM recall_vehicle GROUP BY 1"))
    assert statuses.get("open", 0) > 0
    assert statuses.get("completed_here", 0) + statuses.get("completed_elsewhere", 0) > 0
    codes = {row[0] for row in _rows(engine, "SELECT campaign_code FROM recall_campaign")}
    assert "24V117000" in codes
    assert _rows(engine, "SELECT count(*) FROM recall_campaign WHERE NOT remedy_available") == [
        (1,)
    ]


# -- PostgreSQL --------------------------------------------------------------------------------


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"set {PG_ENV} to run the PostgreSQL loader test")
    url = make_url(base)
    name = f"demo_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_postgresql_load_matches_sqlite_and_keeps_the_schema(
    postgresql_url: str, engine: Engine
) -> None:
    upgrade_to_head(postgresql_url)
    pg = build_engine(postgresql_url)
    schema_sql = """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
        UNION ALL SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
        ORDER BY 1, 2, 3
    """
    schema = _rows(pg, schema_sql)
    summary = load_demo(pg, vehicles=VEHICLES, seed=7, as_of=AS_OF)
    assert _rows(pg, schema_sql) == schema
    assert summary.vehicles == VEHICLES
    for sql in (
        "SELECT vin, registration, delivery_date FROM vehicle ORDER BY id",
        "SELECT external_id, odometer_in_km, opened_date FROM repair_order ORDER BY id",
        "SELECT number FROM customer_phone ORDER BY id",
    ):
        expected = [tuple(str(value) for value in row) for row in _rows(engine, sql)]
        assert [tuple(str(value) for value in row) for row in _rows(pg, sql)] == expected
    # The sequences caught up: a plain insert gets the next id.
    with pg.begin() as connection:
        new_id = connection.execute(
            text("INSERT INTO dealer_group (name) VALUES ('Another group') RETURNING id")
        ).scalar_one()
    assert new_id == summary.dealer_groups + 1
    pg.dispose()
