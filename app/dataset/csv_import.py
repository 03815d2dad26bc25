"""The dataset document as CSV files: one file per section, streamed, all or nothing.

A directory (or a multipart upload) holds ``<section>.csv`` files (``dealers.csv``,
``customers.csv``, ``vehicles.csv``, ``ownerships.csv``, ``appointments.csv``,
``repair_orders.csv``, ``odometer_readings.csv``, ``recalls.csv``, ``service_plans.csv``,
``seasonal_campaigns.csv``). Columns are the JSON field names of the section's records; nested
values are flattened (docs/integration.md):

* an object field by a dotted path: ``consent.do_not_call``, ``settings.holdout_pct``;
* a list of objects (``phones``, ``warranties``, ``lines``, ``vehicles`` of a recall) by one row
  per item, with the item's fields as ``lines.op_code``, ``lines.pay_type``...; the following
  rows of the same record repeat its key (``external_id``, ``vin``, ``campaign_code``, ``code``)
  and may leave its other columns empty;
* a list of codes (``service_types``) as one cell separated by ``|``;
* ``opening_hours`` as a JSON object in one cell.

An empty cell means the field is left out (the stored value is kept). Files are UTF-8 (with or
without BOM), Windows-1250 or Windows-1252 (detected, or named by the caller), delimited by ``,``
``;`` or a tab (detected from the header). Czech Excel writes Windows-1250 with ``;`` and decimal
commas, which are accepted in the money columns.

Records are read in blocks of ``BLOCK`` and each block goes through the JSON import's validation
and set-based upserts inside one transaction, so memory does not grow with the file; the
transaction is committed only when every row of every file is valid. Errors name the file and the
row (the header is row 1).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from charset_normalizer import from_bytes
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import audit
from app.audit import Actor
from app.dataset import service as dataset_service
from app.dataset.service import ImportResult, ImportScope
from app.dataset.validation import KnownDealer, StoredKeys
from app.errors import Conflict, ValidationFailed

# Dependency order: a block may refer to records of earlier sections (already applied).
SECTION_ORDER = (
    "dealers",
    "service_plans",
    "customers",
    "vehicles",
    "ownerships",
    "appointments",
    "repair_orders",
    "odometer_readings",
    "recalls",
    "seasonal_campaigns",
)
LIST_FIELDS = {
    "customers": "phones",
    "vehicles": "warranties",
    "repair_orders": "lines",
    "recalls": "vehicles",
}
RECORD_KEY = {
    "dealers": "code",
    "customers": "external_id",
    "vehicles": "vin",
    "repair_orders": "external_id",
    "recalls": "campaign_code",
}
CODE_LISTS = {"service_types"}
JSON_CELLS = {"opening_hours"}
DECIMAL_COMMA = {"labor_amount", "parts_amount"}
FREE_DICTS = {"settings"}  # values typed from the cell text (numbers, booleans)
BLOCK = 2000
MAX_ERRORS = 1000
SAMPLE_BYTES = 64 * 1024
ENCODINGS = ("utf-8", "utf-8-sig", "cp1250", "cp1252")
_DECIMAL = re.compile(r"^-?\d{1,3}([ \u00a0]?\d{3})*(,\d+)?$")

Progress = Callable[[int, int], None]


def detect_encoding(sample: bytes) -> str:
    """``utf-8-sig``, ``utf-8``, ``cp1250`` or ``cp1252`` for the first bytes of a file."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(sample, cp_isolation=["cp1250", "cp1252"]).best()
    return "cp1250" if best is None else best.encoding


def detect_delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


@dataclass(slots=True)
class _Record:
    data: dict[str, Any]
    row: int
    item_rows: list[int] = field(default_factory=list)


@dataclass(slots=True)
class _Errors:
    items: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False

    def add(self, error: dict[str, Any]) -> None:
        if len(self.items) >= MAX_ERRORS:
            self.truncated = True
            return
        self.items.append(error)


def _typed(text: str) -> Any:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


class _SectionReader:
    """Streams one section's CSV into records (consecutive rows of one key merged)."""

    def __init__(
        self, section: str, name: str, stream: IO[bytes], encoding: str | None, errors: _Errors
    ) -> None:
        self.section = section
        self.name = name
        self.stream = stream
        self.errors = errors
        sample = stream.read(SAMPLE_BYTES)
        stream.seek(0)
        self.encoding = encoding or detect_encoding(sample)
        self.text = io.TextIOWrapper(stream, encoding=self.encoding, newline="")
        self.list_field = LIST_FIELDS.get(section)
        self.key = RECORD_KEY.get(section)

    def _error(self, row: int, fld: str, message: str, index: int | None = None) -> None:
        self.errors.add(
            {
                "section": self.section,
                "file": self.name,
                "row": row,
                "index": index,
                "field": fld,
                "message": message,
            }
        )

    def _unflatten(self, cells: dict[str, str], row: int, decimal_comma: bool) -> tuple[Any, Any]:
        """(record fields, list item or None) of one row."""
        record: dict[str, Any] = {}
        item: dict[str, Any] = {}
        for column, raw in cells.items():
            value = raw.strip()
            if value == "":
                continue
            parts = column.split(".")
            leaf = parts[-1]
            converted: Any = value
            if decimal_comma and leaf in DECIMAL_COMMA and _DECIMAL.match(value):
                converted = value.replace(" ", "").replace("\u00a0", "").replace(",", ".")
            if leaf in CODE_LISTS and len(parts) == 1:
                converted = [v.strip() for v in value.split("|") if v.strip()]
            elif leaf in JSON_CELLS and len(parts) == 1:
                try:
                    converted = json.loads(value)
                except json.JSONDecodeError as exc:
                    self._error(row, column, f"not a JSON object: {exc.msg}")
                    continue
            elif parts[0] in FREE_DICTS:
                converted = _typed(value)
            if self.list_field and parts[0] == self.list_field and len(parts) > 1:
                target, path = item, parts[1:]
            else:
                target, path = record, parts
            for part in path[:-1]:
                nxt = target.setdefault(part, {})
                if not isinstance(nxt, dict):
                    self._error(row, column, f"{part!r} is both a value and an object")
                    break
                target = nxt
            else:
                target[path[-1]] = converted
        return record, (item or None)

    def records(self) -> Iterator[_Record]:
        try:
            first = self.text.readline()
        except UnicodeDecodeError as exc:
            self._error(1, "(file)", f"not {self.encoding}: {exc.reason}; pass the encoding")
            return
        if not first.strip():
            return
        delimiter = detect_delimiter(first)
        decimal_comma = delimiter == ";"
        header = next(csv.reader([first], delimiter=delimiter))
        header = [h.strip().lstrip("\ufeff") for h in header]
        if len(set(header)) != len(header):
            dup = sorted({h for h in header if header.count(h) > 1})
            self._error(1, ", ".join(dup), "column named more than once")
            return
        if self.key and self.key not in header:
            self._error(1, self.key, "required column is missing")
            return
        reader = csv.reader(self.text, delimiter=delimiter)
        current: _Record | None = None
        row = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError as exc:
                self._error(row + 1, "(file)", f"not {self.encoding}: {exc.reason}")
                return
            except csv.Error as exc:
                self._error(row + 1, "(row)", f"unreadable CSV: {exc}")
                return
            row = reader.line_num + 1  # the header was read before the reader started
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                self._error(
                    row, "(row)", f"{len(cells)} cells, but the header has {len(header)} columns"
                )
                continue
            record, item = self._unflatten(
                dict(zip(header, cells, strict=True)), row, decimal_comma
            )
            same = (
                current is not None
                and self.key is not None
                and self.list_field is not None
                and record.get(self.key) is not None
                and record.get(self.key) == current.data.get(self.key)
            )
            if same:
                assert current is not None
                for name, value in record.items():
                    if name in current.data and current.data[name] != value:
                        self._error(
                            row,
                            name,
                            f"differs from row {current.row} of the same {self.key} "
                            f"({current.data[name]!r} there)",
                        )
                    current.data.setdefault(name, value)
            else:
                if current is not None:
                    yield current
                current = _Record(record, row)
                if self.list_field:
                    current.data[self.list_field] = []
            if item is not None and self.list_field:
                assert current is not None
                current.data[self.list_field].append(item)
                current.item_rows.append(row)
        if current is not None:
            yield current


def section_of(filename: str) -> str | None:
    stem = Path(filename).name.lower().removesuffix(".csv")
    return stem if stem in SECTION_ORDER and filename.lower().endswith(".csv") else None


@dataclass(slots=True)
class _Known:
    """Keys of records in blocks that failed validation, so that later references to them are
    not reported as unknown a second time."""

    dealers: dict[str, KnownDealer] = field(default_factory=dict)
    vehicle_dealer: dict[str, str] = field(default_factory=dict)
    customers: set[str] = field(default_factory=set)
    appointments: set[str] = field(default_factory=set)

    def remember(self, section: str, records: list[dict[str, Any]]) -> None:
        for r in records:
            if section == "dealers" and isinstance(r.get("code"), str):
                self.dealers[r["code"]] = KnownDealer(
                    r["code"],
                    str(r.get("country", "")),
                    str(r.get("distance_unit", "km")),
                    str(r.get("time_zone", "UTC")),
                )
            elif section == "vehicles" and isinstance(r.get("vin"), str):
                self.vehicle_dealer[r["vin"].upper()] = str(r.get("dealer", ""))
            elif section == "customers" and isinstance(r.get("external_id"), str):
                self.customers.add(r["external_id"])
            elif section == "appointments" and isinstance(r.get("external_id"), str):
                self.appointments.add(r["external_id"])

    def add_to(self, stored: StoredKeys) -> StoredKeys:
        for code, d in self.dealers.items():
            stored.dealers.setdefault(code, d)
        for vin, code in self.vehicle_dealer.items():
            stored.vehicle_dealer.setdefault(vin, code)
        stored.customers |= self.customers
        stored.appointments |= self.appointments
        return stored


@dataclass(frozen=True, slots=True)
class _Context:
    source: str
    scope: ImportScope | None
    known: _Known
    errors: _Errors


def _apply_block(
    session: Session,
    reader: _SectionReader,
    block: list[_Record],
    first_index: int,
    ctx: _Context,
    result: ImportResult | None,
) -> ImportResult | None:
    """Validate and apply one block of records; on errors, list them with file and row."""
    section, name = reader.section, reader.name
    raw = {"source": ctx.source, section: [r.data for r in block]}
    try:
        part = dataset_service.apply_document(session, raw, scope=ctx.scope, known=ctx.known.add_to)
    except ValidationFailed as exc:
        ctx.known.remember(section, [r.data for r in block])
        for e in exc.errors:
            if e["index"] is None or e["section"] != section:
                ctx.errors.add({**e, "file": name, "row": None})
                continue
            rec = block[e["index"]]
            ctx.errors.add(
                {
                    **e,
                    "file": name,
                    "row": _field_row(rec, reader.list_field, e["field"]),
                    "index": first_index + e["index"],
                }
            )
        return result
    return dataset_service.merge_results(result, part)


def _field_row(rec: _Record, list_field: str | None, fld: str) -> int:
    if list_field:
        m = re.match(rf"^{re.escape(list_field)}\[(\d+)\]", fld)
        if m and int(m.group(1)) < len(rec.item_rows):
            return rec.item_rows[int(m.group(1))]
    return rec.row


def import_csv(
    session: Session,
    files: dict[str, tuple[str, IO[bytes]]],
    *,
    source: str,
    scope: ImportScope | None = None,
    actor: Actor = audit.SYSTEM,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import the CSV ``files`` (section -> (file name, binary stream)) in one transaction.

    Raises ``ValidationFailed`` listing every error with its file and row; nothing is stored then.
    """
    if encoding is not None and encoding.lower() not in ENCODINGS:
        raise ValidationFailed(
            "Unsupported encoding",
            [
                {
                    "section": "document",
                    "index": None,
                    "field": "encoding",
                    "message": f"must be one of {', '.join(ENCODINGS)}",
                }
            ],
        )
    errors = _Errors()
    known = _Known()
    sizes = {section: _size(stream) for section, (_, stream) in files.items()}
    total_bytes = sum(sizes.values())
    done_before = 0
    result: ImportResult | None = None
    try:
        for section in SECTION_ORDER:
            if section not in files:
                continue
            name, stream = files[section]
            reader = _SectionReader(section, name, stream, encoding, errors)
            ctx = _Context(source=source, scope=scope, known=known, errors=errors)
            index = 0
            block: list[_Record] = []

            for rec in reader.records():
                block.append(rec)
                if len(block) >= BLOCK:
                    result = _apply_block(session, reader, block, index, ctx, result)
                    index += len(block)
                    block = []
                    if progress:
                        progress(done_before + _position(stream), total_bytes)
                if errors.truncated:
                    break
            if block and not errors.truncated:
                result = _apply_block(session, reader, block, index, ctx, result)
            done_before += sizes[section]
            if progress:
                progress(done_before, total_bytes)
            if errors.truncated:
                break
        if errors.items:
            session.rollback()
            more = " (stopped after the first 1000)" if errors.truncated else ""
            raise ValidationFailed(
                f"The CSV import was rejected with {len(errors.items)} error(s){more}; "
                "nothing was stored",
                errors.items,
            )
        final = result or ImportResult(source=source, sections={})
        dataset_service.finish_import(session, final, scope=scope, actor=actor)
        return final
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(
            "The import conflicted with data changed at the same time; nothing was stored. "
            f"Retry the import. ({exc.orig.__class__.__name__})"
        ) from exc
    except BaseException:
        session.rollback()
        raise


def _size(stream: IO[bytes]) -> int:
    pos = stream.tell()
    end = stream.seek(0, io.SEEK_END)
    stream.seek(pos)
    return end


def _position(stream: IO[bytes]) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0


def files_in(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """(section -> path) of the CSV files in ``directory`` and the names it does not know."""
    found: dict[str, Path] = {}
    unknown: list[str] = []
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name == "source.txt":
            continue
        section = section_of(path.name)
        if section is None:
            unknown.append(path.name)
        else:
            found[section] = path
    return found, unknown
