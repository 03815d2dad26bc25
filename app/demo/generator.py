"""A realistic synthetic dataset for demos and benchmarks: dealers in Czechia, Finland and Ukraine,
their customers, vehicles, service histories, recalls and appointments.

The data is shaped to exercise every invitation rule of DESIGN.md §3: cars just delivered (first
service), cars due for their next service by date or by mileage, warranties ending, about 40 % of
the active fleet without a visit for more than a year (lapsed tiers), customers drifting away
(churn risk), open recalls with and without a remedy, tyre-hotel customers, recent no-shows,
appointments booked in the coming weeks, do-not-call and marketing opt-outs, deceased customers,
sold and scrapped cars and ownership changes.

It is deterministic: one ``random.Random(seed)`` drives everything, ids come from counters starting
at 1 (the database must be empty), and the timestamps derive from ``as_of``. The same seed and
``as_of`` give byte-identical rows.

Rows are generated in chunks of vehicles and written with PostgreSQL ``COPY`` or SQLite
``executemany`` in one transaction, so memory stays bounded and a failed load leaves nothing behind.
"""

from __future__ import annotations

import gc
import math
import queue
import random
import threading
import unicodedata
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import accumulate
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from app.dealer.models import Dealer
from app.demo import catalogue as cat
from app.demo.writer import COLUMNS, Row, RowWriter, open_writer
from app.vehicle.vin import VIN_ALPHABET, model_year_code, vin_weighted_sum

SOURCE = "demo-dms"
CHUNK_VEHICLES = 5_000

# Behaviour shares, tuned so that about 40 % of active vehicles have no repair order in the twelve
# months before ``as_of`` (the "orphans" of DESIGN §4).
P_NEVER = 0.08  # serviced elsewhere from the start
P_LAPSED = 0.175  # came, then stopped (recently lost, lost, defected)
P_SKIP = 0.12  # a due service done elsewhere (a gap of two intervals)
P_NO_SHOW_RECENT = 0.10  # a service due in the last three weeks became a no-show
P_FIRST_CHECK = 0.4  # a car sold here came for its free first check

_VIN_SPACE = 33 * 1_000_000  # positions 11-17: one alphabet character and six digits
_VIN_MULTIPLIER = 2_654_435_761  # prime, so x -> x * m + c (mod space) is a permutation
_FOREIGN_VIN_BASE = 30_000_000  # recall VINs of cars this dealer has never seen
_DAYS_PER_MONTH = 30.4375
_TWO_PI = 2.0 * math.pi
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RO_PREFIX = "RO"


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """Rows written per table."""

    dealer_groups: int = 0
    dealers: int = 0
    service_plans: int = 0
    recall_campaigns: int = 0
    customers: int = 0
    customer_phones: int = 0
    vehicles: int = 0
    warranties: int = 0
    ownerships: int = 0
    appointments: int = 0
    repair_orders: int = 0
    repair_order_lines: int = 0
    odometer_readings: int = 0
    recall_vehicles: int = 0

    def by_table(self) -> dict[str, int]:
        return {table: getattr(self, name) for table, name in _SUMMARY_FIELDS.items()}

    @property
    def total(self) -> int:
        return sum(getattr(self, field.name) for field in fields(self))


_SUMMARY_FIELDS = {
    "dealer_group": "dealer_groups",
    "dealer": "dealers",
    "service_plan": "service_plans",
    "recall_campaign": "recall_campaigns",
    "customer": "customers",
    "customer_phone": "customer_phones",
    "vehicle": "vehicles",
    "warranty": "warranties",
    "ownership": "ownerships",
    "appointment": "appointments",
    "repair_order": "repair_orders",
    "repair_order_line": "repair_order_lines",
    "odometer_reading": "odometer_readings",
    "recall_vehicle": "recall_vehicles",
}


def load_demo(
    engine: Engine,
    *,
    vehicles: int = 2000,
    seed: int = 42,
    as_of: date,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Write the demo dataset (``vehicles`` cars) into an empty, migrated database.

    ``progress(done, total)`` is called as chunks of vehicles are written, last with
    ``(vehicles, vehicles)``. Raises ``ValueError`` when the database already holds dealers.
    """
    if vehicles < 0:
        raise ValueError("vehicles must not be negative")
    generator = _Generator(seed=seed, as_of=as_of)
    # Millions of short-lived tuples would trigger the cyclic collector over and over; they hold
    # no cycles, so it is paused for the load.
    collecting = gc.isenabled()
    gc.disable()
    try:
        summary = _load(engine, generator, vehicles, progress)
    finally:
        if collecting:
            gc.enable()
    with engine.begin() as connection:
        # Fresh statistics, so the first queries after a bulk load get sensible plans.
        connection.exec_driver_sql("ANALYZE")
    return summary


def _load(
    engine: Engine,
    generator: _Generator,
    vehicles: int,
    progress: Callable[[int, int], None] | None,
) -> DemoSummary:
    with engine.begin() as connection:
        if connection.execute(select(func.count()).select_from(Dealer)).scalar_one():
            raise ValueError(
                "the database already holds dealers; load the demo into an empty migrated database"
            )
        writer = open_writer(connection)
        for table, rows in generator.reference_rows().items():
            writer.write(table, rows)
        with _Pipeline(writer) as pipeline:
            for chunk, chunk_vehicles in generator.chunks(vehicles, CHUNK_VEHICLES):
                pipeline.put(chunk, chunk_vehicles)
                if progress is not None:
                    progress(pipeline.written, vehicles)
        if progress is not None:
            progress(vehicles, vehicles)
        writer.finish()
    return generator.summary()


class _Pipeline:
    """Writes chunks on a second thread while the next one is generated.

    The database works while Python generates: the writer thread waits for the server with the
    GIL released (libpq network I/O, SQLite steps). At most two chunks are in flight, so memory
    stays bounded. An error on the writer thread is raised in the caller's thread.
    """

    def __init__(self, writer: RowWriter) -> None:
        self._writer = writer
        self._queue: queue.Queue[tuple[dict[str, list[Row]], int] | None] = queue.Queue(1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-writer", daemon=True)
        self.written = 0

    def __enter__(self) -> _Pipeline:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            while (item := self._queue.get()) is not None:
                chunk, vehicles = item
                for table in COLUMNS:
                    self._writer.write(table, chunk[table])
                self.written += vehicles
        except BaseException as error:  # re-raised in the caller's thread
            self._error = error
            # Keep draining so that the producer never blocks on a full queue.
            while self._queue.get() is not None:
                pass

    def put(self, chunk: dict[str, list[Row]], vehicles: int) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((chunk, vehicles))

    def __exit__(self, *exc_info: object) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc_info[0] is None:
            raise self._error


# ---------------------------------------------------------------------------------------------


def _ascii(text: str) -> str:
    lowered = text.lower()
    translit = "".join(cat.UA_TRANSLIT.get(char, char) for char in lowered)
    folded = unicodedata.normalize("NFKD", translit)
    return "".join(char for char in folded if char.isascii() and char.isalnum())


@dataclass(slots=True)
class _DealerInfo:
    id: int
    code: str
    group_id: int
    country: str
    spec: cat.CountrySpec
    zone: ZoneInfo
    region: str
    # Per weekday (0 = Monday): slot start minutes (every 30 min) that fit a one-hour job.
    slots: tuple[tuple[int, ...], ...]
    siblings: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class _Variant:
    """One make/model/fuel combination with everything the per-vehicle loop needs."""

    model: cat.ModelSpec
    make: cat.MakeSpec
    fuel: str
    first_days: int
    interval_days: float
    interval_km: int
    maintenance_op: str
    mileage_factor: float
    electrified: bool
    campaigns: tuple[int, ...]  # indexes into RECALLS


_FUEL_MILEAGE = {
    "petrol": 0.9,
    "diesel": 1.3,
    "hybrid": 1.0,
    "plugin_hybrid": 1.0,
    "electric": 1.05,
    "cng": 1.25,
    "lpg": 1.25,
}


class _Generator:
    def __init__(self, *, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.today = as_of.toordinal()
        self.stamp = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
        self.vin_offset = self.rng.randrange(_VIN_SPACE)
        self.counts = dict.fromkeys(COLUMNS, 0)
        self.next_id = dict.fromkeys(COLUMNS, 1)
        self.foreign_vins = 0
        self.email_cache: dict[str, str] = {}
        self.vin_partial: dict[str, int] = {}
        self.price_cache: dict[
            tuple[int, str], dict[str, tuple[str, float, float, float, float, str]]
        ] = {}
        self.dealers: list[_DealerInfo] = []
        self._reference: dict[str, list[Row]] = {table: [] for table in COLUMNS}
        self._build_reference()

    # -- ids and bookkeeping ------------------------------------------------------------------

    def _id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def summary(self) -> DemoSummary:
        return DemoSummary(**{name: self.counts[table] for table, name in _SUMMARY_FIELDS.items()})

    # -- reference data -----------------------------------------------------------------------

    def _build_reference(self) -> None:
        ts = self.stamp
        rows = self._reference
        group_ids: dict[str, int] = {}
        for name in cat.GROUPS:
            group_id = self._id("dealer_group")
            group_ids[name] = group_id
            rows["dealer_group"].append((group_id, name, {}, ts, ts))
        for spec in cat.DEALERS:
            country_spec = cat.COUNTRIES[spec.country]
            dealer_id = self._id("dealer")
            rows["dealer"].append(
                (
                    dealer_id, spec.code, spec.name, group_ids[spec.group], spec.country,
                    country_spec.time_zone, country_spec.locale, "km", country_spec.currency,
                    spec.capacity, spec.opening_hours, spec.settings, ts, ts,
                )
            )  # fmt: skip
            self.dealers.append(
                _DealerInfo(
                    id=dealer_id,
                    code=spec.code,
                    group_id=group_ids[spec.group],
                    country=spec.country,
                    spec=country_spec,
                    zone=ZoneInfo(country_spec.time_zone),
                    region=spec.city_letters,
                    slots=_slot_minutes(spec.opening_hours),
                )
            )
        for dealer in self.dealers:
            dealer.siblings = tuple(
                other.id
                for other in self.dealers
                if other.group_id == dealer.group_id and other.id != dealer.id
            )
        self.dealer_by_id = {dealer.id: dealer for dealer in self.dealers}
        self.dealer_cum = list(accumulate(spec.capacity for spec in cat.DEALERS))

        for plan in cat.SERVICE_PLANS:
            rows["service_plan"].append(
                (self._id("service_plan"), *plan,
                 ts, ts)
            )  # fmt: skip

        self.campaign_ids: list[int] = []
        for code, make, _models, _years, title, component, remedy, days, _share in cat.RECALLS:
            campaign_id = self._id("recall_campaign")
            self.campaign_ids.append(campaign_id)
            start = date.fromordinal(self.today - days)
            rows["recall_campaign"].append(
                (campaign_id, code, make, title, component, remedy, start, ts, ts)
            )

        self.variants: dict[str, tuple[list[_Variant], list[float]]] = {}
        for country, shares in cat.MAKE_SHARES.items():
            variants: list[_Variant] = []
            weights: list[float] = []
            for make_name, share in shares:
                models = [m for m in cat.MODELS if m.make == make_name]
                model_total = sum(m.weight for m in models)
                for model in models:
                    fuel_total = sum(w for _, w in model.fuels)
                    for fuel, fuel_weight in model.fuels:
                        variants.append(self._variant(model, fuel))
                        weights.append(
                            share * model.weight / model_total * fuel_weight / fuel_total
                        )
            self.variants[country] = (variants, list(accumulate(weights)))

        for table, table_rows in rows.items():
            self.counts[table] += len(table_rows)

    def _variant(self, model: cat.ModelSpec, fuel: str) -> _Variant:
        best: tuple[int, int, int] | None = None
        best_score = -1
        for make, plan_model, plan_fuel, first_days, _first_km, months, km in cat.SERVICE_PLANS:
            if make not in ("*", model.make) or plan_model not in ("*", model.model):
                continue
            if plan_fuel not in ("*", fuel):
                continue
            score = (make != "*") * 4 + (plan_model != "*") * 2 + (plan_fuel != "*")
            if score > best_score:
                best_score, best = score, (first_days, months, km)
        assert best is not None  # the generic plan matches everything
        campaigns = tuple(
            index
            for index, recall in enumerate(cat.RECALLS)
            if recall[1] == model.make and model.model in recall[2]
        )
        electrified = fuel in ("electric", "plugin_hybrid", "hybrid")
        return _Variant(
            model=model,
            make=cat.MAKES[model.make],
            fuel=fuel,
            first_days=best[0],
            interval_days=best[1] * _DAYS_PER_MONTH,
            interval_km=best[2],
            maintenance_op="SRV-EV" if fuel == "electric" else "SRV-A",
            mileage_factor=_FUEL_MILEAGE.get(fuel, 1.0),
            electrified=electrified,
            campaigns=campaigns,
        )

    def reference_rows(self) -> dict[str, list[Row]]:
        return self._reference

    # -- chunks -------------------------------------------------------------------------------

    def chunks(self, vehicles: int, size: int) -> Iterator[tuple[dict[str, list[Row]], int]]:
        remaining = vehicles
        while remaining > 0:
            chunk: dict[str, list[Row]] = {table: [] for table in COLUMNS}
            target = min(size, remaining)
            made = 0
            while made < target:
                made += self._customer(chunk, target - made)
            remaining -= made
            for table, rows in chunk.items():
                self.counts[table] += len(rows)
            yield chunk, made

    # -- customers ----------------------------------------------------------------------------

    def _pick_dealer(self) -> _DealerInfo:
        cum = self.dealer_cum
        return self.dealers[bisect(cum, self.rng.random() * cum[-1])]

    def _customer_row(
        self, chunk: dict[str, list[Row]], dealer: _DealerInfo, *, company: bool
    ) -> tuple[int, bool]:
        """Writes a customer with phones; returns its id and whether they use the tyre hotel."""
        r = self.rng.random
        country = dealer.country
        males, females, surnames = cat.NAMES[country]
        customer_id = self._id("customer")
        first: str | None
        last: str | None
        email: str | None
        company_name: str | None = None
        if company:
            first = last = None
            patterns = cat.COMPANY_PATTERNS[country]
            company_name = patterns[int(r() * len(patterns))].format(
                surnames[int(r() * len(surnames))][0]
            )
            email = f"servis@{_ascii(company_name.split()[0])[:20] or 'firma'}.{country.lower()}"
        else:
            female = r() < 0.42
            names = females if female else males
            first = names[int(r() * len(names))]
            last = surnames[int(r() * len(surnames))][1 if female else 0]
            email = self._email(first, last, dealer.spec.email_domain, r)
        if r() < 0.28:
            email = None
        language = dealer.spec.language
        marketing = r() >= 0.08
        dnc = r() < 0.02
        tyre_hotel = r() < 0.15
        status = "deceased" if (not company and r() < 0.006) else "active"
        ts = self.stamp
        chunk["customer"].append(
            (
                customer_id, dealer.group_id, dealer.id, SOURCE, f"C{customer_id:08d}", first,
                last, company_name, email, language, marketing, dnc, tyre_hotel, status,
                "standard", ts, ts,
            )
        )  # fmt: skip
        self._phones(chunk, customer_id, country, r)
        return customer_id, tyre_hotel

    def _email(self, first: str, last: str, domain: str, r: Callable[[], float]) -> str:
        key = first + "|" + last
        base = self.email_cache.get(key)
        if base is None:
            base = f"{_ascii(first)}.{_ascii(last)}"
            self.email_cache[key] = base
        style = r()
        if style < 0.55:
            return f"{base}@{domain}"
        if style < 0.85:
            return f"{base}{int(r() * 90) + 10}@{domain}"
        return f"{base[0]}{base[base.index('.') :]}{int(r() * 9000) + 1000}@{domain}"

    def _phones(
        self, chunk: dict[str, list[Row]], customer_id: int, country: str, r: Callable[[], float]
    ) -> None:
        ts = self.stamp
        phones = chunk["customer_phone"]
        code = cat.COUNTRY_CODES[country]
        kind = r()
        if kind < 0.015:
            return  # no phone at all: the invitation is suppressed as "no valid phone"
        has_mobile = kind >= 0.03
        if has_mobile:
            prefixes = cat.MOBILE_PREFIXES[country]
            digits = cat.MOBILE_DIGITS[country]
            number = (
                code + prefixes[int(r() * len(prefixes))] + str(int(r() * 10**digits)).zfill(digits)
            )
            phones.append(
                (self._id("customer_phone"), customer_id, number, "mobile", True, r() >= 0.01,
                 ts, ts)
            )  # fmt: skip
        if not has_mobile or r() < 0.12:
            prefix, digits = cat.LANDLINE_PREFIXES[country][
                int(r() * len(cat.LANDLINE_PREFIXES[country]))
            ]
            # A subscriber number starts with 1-8: never 0, and a Finnish one starting with 9 is
            # a national service number, not a landline.
            number = code + prefix + str(int(r() * 8 * 10 ** (digits - 1)) + 10 ** (digits - 1))
            phones.append(
                (self._id("customer_phone"), customer_id, number, "landline", not has_mobile,
                 True, ts, ts)
            )  # fmt: skip

    def _customer(self, chunk: dict[str, list[Row]], room: int) -> int:
        """One customer with their vehicles; returns the number of vehicles written."""
        r = self.rng.random
        dealer = self._pick_dealer()
        company = r() < 0.04
        u = r()
        count = 1 if u < 0.8 else 2 if u < 0.96 else 3
        count = min(count, room)
        customer_id, tyre_hotel = self._customer_row(chunk, dealer, company=company)
        for _ in range(count):
            vehicle_dealer = dealer
            if dealer.siblings and r() < 0.08:
                vehicle_dealer = self.dealer_by_id[dealer.siblings[int(r() * len(dealer.siblings))]]
            self._vehicle(chunk, vehicle_dealer, customer_id, tyre_hotel)
        return count

    # -- vehicles -----------------------------------------------------------------------------

    def _vin(self, variant: _Variant, model_year: int, serial_index: int) -> str:
        r = self.rng.random
        model = variant.model
        vds = model.vds[int(r() * len(model.vds))]
        permuted = (serial_index * _VIN_MULTIPLIER + self.vin_offset) % _VIN_SPACE
        block, serial = divmod(permuted, 1_000_000)
        # Position 11 (the plant) carries the high part of the permuted serial number, so every
        # VIN is unique while looking random.
        plant = VIN_ALPHABET[block]
        head = model.wmi + vds
        tail = f"{model_year_code(model_year)}{plant}{serial:06d}"
        # The check digit is a weighted sum; the first eight positions repeat, so cache them.
        key = head + tail[:2]
        partial = self.vin_partial.get(key)
        if partial is None:
            partial = vin_weighted_sum(key + "0" * 6)
            self.vin_partial[key] = partial
        total = partial
        weight = 7
        for char in tail[2:]:
            total += (ord(char) - 48) * weight
            weight -= 1
        remainder = total % 11
        return f"{head}{'X' if remainder == 10 else remainder}{tail}"

    def _registration(self, dealer: _DealerInfo) -> str:
        r = self.rng.random
        if dealer.country == "CZ":
            third = VIN_ALPHABET[int(r() * len(VIN_ALPHABET))]
            return f"{int(r() * 9) + 1}{dealer.region}{third} {int(r() * 10000):04d}"
        if dealer.country == "FI":
            fi = "ABCDEFGHIJKLMNOPRSTUVXYZ"
            head = "".join(fi[int(r() * len(fi))] for _ in range(3))
            return f"{head}-{int(r() * 999) + 1}"
        cyr_latin = "ABCEHIKMOPTX"
        tail = cyr_latin[int(r() * 12)] + cyr_latin[int(r() * 12)]
        return f"{dealer.region}{int(r() * 10000):04d}{tail}"

    def _vehicle(
        self, chunk: dict[str, list[Row]], dealer: _DealerInfo, customer_id: int, tyre_hotel: bool
    ) -> None:
        rng = self.rng
        r = rng.random
        today = self.today
        ts = self.stamp
        variants, cum = self.variants[dealer.country]
        variant = variants[bisect(cum, r() * cum[-1])]
        model = variant.model
        make = variant.make

        # Age: triangular, young cars most common, up to 15 years; not before the model existed.
        max_age = min(15 * 365, today - date(model.since, 3, 1).toordinal())
        age = int(max_age * (1.0 - math.sqrt(r())))
        delivery = today - age
        delivery_date = date.fromordinal(delivery)
        model_year = delivery_date.year + (1 if delivery_date.month >= 9 and r() < 0.5 else 0)
        model_year = max(model.since, min(model_year, self.as_of.year + 1))

        vehicle_id = self._id("vehicle")
        vin = self._vin(variant, model_year, vehicle_id - 1)
        sold_here = r() < 0.6
        odo0 = 5 + int(r() * 46)

        # Status: most active; sold, scrapped, exported or stolen at least a year after delivery.
        end = today
        status = "active"
        u = r()
        if age > 400 and u < 0.075:
            status = (
                "sold" if u < 0.04 else "scrapped" if u < 0.062 else "exported" if u < 0.071
                else "stolen"
            )  # fmt: skip
            low = max(delivery + 365, today - 3 * 365)
            end = low + int(r() * max(1, today - 30 - low))

        # Ownership: a second owner (with the first one in our data), a used purchase from
        # elsewhere, or one owner since delivery.
        owner_start = delivery
        change = 0
        previous_id = 0
        if age > 3 * 365 and r() < 0.08 and end - delivery > 400:
            change = delivery + int((end - delivery) * (0.3 + 0.5 * r()))
            owner_start = change
            previous_id, _ = self._customer_row(chunk, dealer, company=False)
        elif not sold_here and age > 365 and r() < 0.3:
            owner_start = delivery + int((end - delivery) * (0.1 + 0.6 * r()))
        history_start = delivery if change else owner_start
        end_date = date.fromordinal(end) if status != "active" else None
        ownerships = chunk["ownership"]
        if change:
            ownerships.append(
                (self._id("ownership"), vehicle_id, previous_id, delivery_date,
                 date.fromordinal(change), ts, ts)
            )  # fmt: skip
        ownerships.append(
            (self._id("ownership"), vehicle_id, customer_id, date.fromordinal(owner_start),
             end_date, ts, ts)
        )  # fmt: skip

        chunk["vehicle"].append(
            (
                vehicle_id, vin, dealer.id, model.make, model.model, model_year, variant.fuel,
                self._registration(dealer), delivery_date, sold_here, odo0, status, ts, ts,
            )
        )  # fmt: skip

        # Warranties: the make's basic terms, a battery/powertrain warranty for electrified cars,
        # and an extended warranty for some.
        warranties = chunk["warranty"]
        warranties.append(
            (self._id("warranty"), vehicle_id, "basic", delivery_date, make.warranty_months,
             make.warranty_km, ts, ts)
        )  # fmt: skip
        if variant.electrified and make.powertrain:
            warranties.append(
                (self._id("warranty"), vehicle_id, "powertrain", delivery_date,
                 make.powertrain[0], make.powertrain[1], ts, ts)
            )  # fmt: skip
        if make.warranty_months <= 36 and r() < 0.18:
            extended_start = _add_months(delivery_date, make.warranty_months)
            warranties.append(
                (self._id("warranty"), vehicle_id, "extended", extended_start,
                 (1 + int(r() * 3)) * 12, (100 + int(r() * 5) * 25) * 1000, ts, ts)
            )  # fmt: skip
        warranty_end = delivery + int(make.warranty_months * _DAYS_PER_MONTH)
        warranty_km = make.warranty_km or 10**9

        # Mileage: lognormal around 15,000 km a year, with a seasonal wobble (more in summer) that
        # keeps the odometer strictly increasing.
        yearly = rng.lognormvariate(9.55, 0.42) * variant.mileage_factor
        yearly *= dealer.spec.mileage_factor
        yearly = min(40_000.0, max(5_000.0, yearly))
        rate = yearly / 365.25
        amplitude = rate * 0.12 * 365.25 / _TWO_PI
        phase = _TWO_PI * (delivery_date.timetuple().tm_yday - 200) / 365.25
        sin_phase = math.sin(phase)
        omega = _TWO_PI / 365.25

        def odometer(day: int) -> int:
            elapsed = day - delivery
            return odo0 + int(
                rate * elapsed + amplitude * (math.sin(omega * elapsed + phase) - sin_phase)
            )

        # Behaviour: never here, lapsed at some point, or loyal until today (or until the car left).
        u = r()
        if u < P_NEVER:
            stop = history_start
            loyal = False
        elif u < P_NEVER + P_LAPSED and today - 395 - history_start > 120:
            stop = history_start + 60 + int(r() * (today - 455 - history_start))
            loyal = False
        else:
            stop = end
            loyal = True

        # Events: (day, kind, detail); kinds: F first check, M maintenance, R repair, T tyres,
        # I inspection, C recall.
        events: list[tuple[int, str, int]] = []
        appointments = chunk["appointment"]
        if sold_here and change == 0 and r() < P_FIRST_CHECK:
            day = delivery + variant.first_days - 7 + int(r() * 25)
            if day <= stop and day <= today:
                events.append((day, "F", 0))
        base = history_start
        interval_days = variant.interval_days
        days_per_interval_km = variant.interval_km / rate
        due_gap = min(interval_days, days_per_interval_km)
        serial = 0
        while True:
            jitter = int(r() * 60) - 20
            if r() < 0.12:
                jitter += 30 + int(r() * 90)
            visit = base + int(due_gap) + jitter
            if visit > stop:
                if loyal and status == "active" and visit - today <= 42 and r() < 0.35:
                    self._future_appointment(appointments, dealer, vehicle_id, customer_id, visit)
                break
            if r() < P_SKIP:
                base = visit
                continue
            if visit >= today - 21 and r() < P_NO_SHOW_RECENT and status == "active":
                self._appointment(
                    appointments, dealer, vehicle_id, customer_id, visit, "no_show", "maintenance"
                )
                break
            events.append((visit, "M", serial))
            serial += 1
            base = visit

        if stop > history_start:
            # Repairs: about one every three to four years, more for older cars.
            day = history_start + int(rng.expovariate(0.22 / 365.0))
            while day <= stop:
                events.append((day, "R", 0))
                day += int(rng.expovariate((0.15 + 0.02 * (day - delivery) / 365.0) / 365.0)) + 1
            # Seasonal tyre changes: every season for tyre-hotel customers, now and then otherwise.
            spring, autumn = cat.TYRE_SEASONS[dealer.country]
            share = 0.6 if tyre_hotel else 0.03
            first_year = date.fromordinal(history_start).year
            last_year = date.fromordinal(stop).year
            for year in range(first_year, last_year + 1):
                for season, (month, day_of_month) in enumerate((spring, autumn)):
                    if r() < share:
                        day = date(year, month, day_of_month).toordinal() + int(r() * 24) - 12
                        if history_start < day <= stop:
                            events.append((day, "T", 2 if tyre_hotel and season else 0))
            # Technical inspection preparation (CZ "STK"), every two years from year four.
            if dealer.country == "CZ":
                day = delivery + 4 * 365
                while day <= stop:
                    if day > history_start and r() < 0.2:
                        events.append((max(day - int(r() * 30), history_start + 1), "I", 0))
                    day += 2 * 365

        # Recalls naming this VIN.
        if variant.campaigns:
            self._recalls(chunk, variant, model_year, vin, history_start, stop, loyal, events)

        # Telematics odometer readings for connected cars.
        if status == "active" and model_year >= 2019 and r() < make.telematics:
            span = min(365, today - delivery)
            if span > 1:
                days = sorted({today - int(r() * span) for _ in range(2 + int(r() * 6))})
                readings = chunk["odometer_reading"]
                for day in days:
                    readings.append(
                        (self._id("odometer_reading"), vehicle_id, date.fromordinal(day),
                         odometer(day), "telematics", True, False, ts, ts)
                    )  # fmt: skip

        if events:
            self._repair_orders(
                chunk, dealer, variant, vehicle_id, customer_id, previous_id, change, events,
                odometer, warranty_end, warranty_km,
            )  # fmt: skip

    def _recalls(
        self,
        chunk: dict[str, list[Row]],
        variant: _Variant,
        model_year: int,
        vin: str,
        delivery: int,
        stop: int,
        loyal: bool,
        events: list[tuple[int, str, int]],
    ) -> None:
        r = self.rng.random
        today = self.today
        ts = self.stamp
        recall_rows = chunk["recall_vehicle"]
        for index in variant.campaigns:
            _code, _make, _models, years, _title, _comp, remedy, days, share = cat.RECALLS[index]
            if not years[0] <= model_year <= years[1] or r() >= share:
                continue
            start = max(today - days, delivery + 1)
            status = "open"
            if remedy and start < today:
                done = 1.0 - math.exp(-(today - start) / 150.0)
                if r() < done * (0.9 if loyal else 0.35):
                    day = start + int(r() * (today - start))
                    if loyal and delivery < day <= stop:
                        status = "completed_here"
                        events.append((day, "C", index))
                    else:
                        status = "completed_elsewhere"
            campaign_id = self.campaign_ids[index]
            recall_rows.append((self._id("recall_vehicle"), campaign_id, vin, status, ts, ts))
            if r() < 0.05:
                # A car named by the manufacturer that this dealer has never seen.
                foreign = self._vin(variant, model_year, _FOREIGN_VIN_BASE + self.foreign_vins)
                self.foreign_vins += 1
                recall_rows.append(
                    (self._id("recall_vehicle"), campaign_id, foreign,
                     "open" if r() < 0.7 else "completed_elsewhere", ts, ts)
                )  # fmt: skip

    # -- repair orders and appointments -------------------------------------------------------

    def _repair_orders(
        self,
        chunk: dict[str, list[Row]],
        dealer: _DealerInfo,
        variant: _Variant,
        vehicle_id: int,
        customer_id: int,
        previous_id: int,
        change: int,
        events: list[tuple[int, str, int]],
        odometer: Callable[[int], int],
        warranty_end: int,
        warranty_km: int,
    ) -> None:
        r = self.rng.random
        today = self.today
        ts = self.stamp
        orders = chunk["repair_order"]
        lines = chunk["repair_order_line"]
        appointments = chunk["appointment"]
        prices = self._prices(dealer, variant.make)
        whole_units = dealer.spec.whole_units
        next_id = self.next_id
        line_id = next_id["repair_order_line"]
        events.sort()
        open_days = dealer.slots
        current_day = -1
        order_id = 0
        line_no = 0
        for day, kind, detail in events:
            # Workshops are closed on Sundays (and on Saturdays where they do not open).
            while not open_days[(day - 1) % 7]:
                day += 1
            if day > today:
                day -= 1
                while not open_days[(day - 1) % 7]:
                    day -= 1
            km = odometer(day)
            if day != current_day:
                current_day = day
                order_id = next_id["repair_order"]
                next_id["repair_order"] = order_id + 1
                line_no = 0
                ro_dealer = dealer.id
                if dealer.siblings and r() < 0.1:
                    sibling = dealer.siblings[int(r() * len(dealer.siblings))]
                    if self.dealer_by_id[sibling].slots[(day - 1) % 7]:
                        ro_dealer = sibling
                customer = previous_id if change and day < change else customer_id
                u = r()
                length = 0 if u < 0.75 or kind in "FT" else 1 if u < 0.9 else 2 + int(r() * 3)
                closed = day + length
                closed_date = date.fromordinal(closed) if closed <= today else None
                appointment_id = None
                if day >= today - 540:
                    if r() < 0.35:
                        appointment_id = self._appointment(
                            appointments, self.dealer_by_id[ro_dealer], vehicle_id, customer,
                            day, "arrived", _KIND_TYPES[kind], exact=True,
                        )  # fmt: skip
                    elif kind == "M" and r() < 0.03:
                        self._appointment(
                            appointments, self.dealer_by_id[ro_dealer], vehicle_id, customer,
                            day - 7 - int(r() * 14), "no_show", "maintenance",
                        )  # fmt: skip
                orders.append(
                    (order_id, SOURCE, f"{_RO_PREFIX}{order_id:09d}", ro_dealer, vehicle_id,
                     customer, date.fromordinal(day), closed_date, km if r() >= 0.01 else None,
                     appointment_id, ts, ts)
                )  # fmt: skip
            in_warranty = day <= warranty_end and km <= warranty_km
            for op, pay in _operations(kind, detail, in_warranty, variant, r):
                kind_name, labour_lo, labour_span, parts_lo, parts_span, description = prices[op]
                campaign = None
                if kind == "C":
                    campaign = cat.RECALLS[detail][0]
                    description = f"{description} {campaign}"
                line_no += 1
                labour: int | Decimal = int(labour_lo + labour_span * r())
                parts: int | Decimal = int(parts_lo + parts_span * r())
                if not whole_units:  # euros: cents, labour rounded to ten cents
                    labour = Decimal(labour // 10 * 10).scaleb(-2)
                    parts = Decimal(parts).scaleb(-2)
                lines.append(
                    (line_id, order_id, line_no, op, description, pay, kind_name, labour, parts,
                     campaign, ts, ts)
                )  # fmt: skip
                line_id += 1
        next_id["repair_order_line"] = line_id

    def _prices(
        self, dealer: _DealerInfo, make: cat.MakeSpec
    ) -> dict[str, tuple[str, float, float, float, float, str]]:
        """Per operation: kind, labour and parts ranges (in whole units or in cents, as the
        currency is invoiced), the description."""
        key = (dealer.id, make.make)
        found = self.price_cache.get(key)
        if found is None:
            unit = 100 if dealer.spec.whole_units else 1
            rate = dealer.spec.labour_rate_cents * make.price_factor / unit
            parts = dealer.spec.parts_factor * make.price_factor * 100 / unit
            found = {
                op: (kind, h_lo * rate, (h_hi - h_lo) * rate, p_lo * parts, (p_hi - p_lo) * parts,
                     texts[dealer.spec.language])
                for op, (kind, h_lo, h_hi, p_lo, p_hi, texts) in cat.OPS.items()
            }  # fmt: skip
            self.price_cache[key] = found
        return found

    def _slot(self, dealer: _DealerInfo, day: int, *, exact: bool = False) -> tuple[int, int]:
        slots = dealer.slots
        while not slots[(day - 1) % 7]:
            day = day + 1
        options = slots[(day - 1) % 7]
        # Arrivals with a repair order that day come in the morning.
        if exact:
            options = options[: max(1, len(options) // 3)]
        return day, options[int(self.rng.random() * len(options))]

    def _appointment(
        self,
        appointments: list[Row],
        dealer: _DealerInfo,
        vehicle_id: int,
        customer_id: int,
        day: int,
        status: str,
        service_type: str,
        *,
        exact: bool = False,
    ) -> int:
        day, minute = self._slot(dealer, day, exact=exact)
        if exact is False and status in ("arrived", "no_show") and day > self.today:
            day = self.today - 1
            while not dealer.slots[(day - 1) % 7]:
                day -= 1
        local = date.fromordinal(day)
        start = datetime(
            local.year, local.month, local.day, minute // 60, minute % 60, tzinfo=dealer.zone
        ).astimezone(UTC)
        appointment_id = self._id("appointment")
        ts = self.stamp
        appointments.append(
            (appointment_id, SOURCE, f"AP{appointment_id:09d}", dealer.id, vehicle_id,
             customer_id, start, _DURATIONS[service_type], _SERVICE_TYPES[service_type], status,
             "dms", ts, ts)
        )  # fmt: skip
        return appointment_id

    def _future_appointment(
        self, appointments: list[Row], dealer: _DealerInfo, vehicle_id: int, customer_id: int,
        visit: int,
    ) -> None:  # fmt: skip
        day = max(visit, self.today + 1)
        r = self.rng.random
        u = r()
        status = (
            "cancelled"
            if u < 0.03
            else "confirmed"
            if day - self.today <= 10 and u < 0.6
            else "booked"
        )
        self._appointment(appointments, dealer, vehicle_id, customer_id, day, status, "maintenance")


_KIND_TYPES = {
    "F": "inspection",
    "M": "maintenance",
    "R": "repair",
    "T": "tyres",
    "I": "inspection",
    "C": "recall",
}
_SERVICE_TYPES: dict[str, list[str]] = {kind: [kind] for kind in _KIND_TYPES.values()}
_DURATIONS = {"inspection": 60, "maintenance": 90, "repair": 120, "tyres": 30, "recall": 60}


def _operations(
    kind: str, detail: int, in_warranty: bool, variant: _Variant, r: Callable[[], float]
) -> list[tuple[str, str]]:
    """The (op code, pay type) lines of one event."""
    if kind == "M":
        major = detail % 2 == 1 and variant.fuel != "electric"
        pay = "internal" if r() < 0.015 else "customer_pay"
        ops = [("SRV-B" if major else variant.maintenance_op, pay)]
        u = r()
        # Extra work: brake fluid every other service, now and then a filter, wipers, an A/C
        # service or brake pads found worn.
        if detail % 2 == 1 and u < 0.7:
            ops.append(("BRK-FLD", "customer_pay"))
        elif u < 0.12:
            ops.append(("FLT-CAB", "customer_pay"))
        elif u < 0.16:
            ops.append(("WIP-BLD", "customer_pay"))
        elif u < 0.22:
            ops.append(("AC-SRV", "customer_pay"))
        elif u < 0.28:
            ops.append(("BRK-PAD", "customer_pay"))
        return ops
    if kind == "R":
        op = cat.REPAIR_OPS[int(r() * len(cat.REPAIR_OPS))]
        wear = op in ("BAT-12V", "WSC-REP", "BRK-PAD")
        pay = "warranty" if in_warranty and not wear and r() < 0.8 else "customer_pay"
        return [(op, pay)]
    if kind == "T":
        u = r()
        # Tyre-hotel storage is billed once a year, with the autumn change.
        if detail == 2:
            return [("TYR-SWAP", "customer_pay"), ("TYR-HOTEL", "customer_pay")]
        if u < 0.1:
            return [("TYR-SWAP", "customer_pay"), ("TYR-NEW", "customer_pay")]
        return [("TYR-SWAP", "customer_pay")]
    if kind == "F":
        return [("FIRST-CHK", "internal")]
    if kind == "I":
        return [("INSP-TECH", "customer_pay")]
    return [("RECALL", "warranty")]


def _slot_minutes(hours: dict[str, list[list[str]]]) -> tuple[tuple[int, ...], ...]:
    days = []
    for name in _WEEKDAYS:
        starts: list[int] = []
        for opening, closing in hours.get(name, []):
            begin = int(opening[:2]) * 60 + int(opening[3:])
            finish = int(closing[:2]) * 60 + int(closing[3:])
            starts.extend(range(begin, finish - 60 + 1, 30))
        days.append(tuple(starts))
    return tuple(days)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")
