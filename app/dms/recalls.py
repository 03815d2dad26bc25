"""Recall imports: an OEM recall list (CSV of campaign code, VIN, status) and the NHTSA
``FLAT_RCL`` campaign file (tab-separated, 29 fields, no header, latin-1) for campaign titles,
components, makes, dates and remedies. Both go through the dataset import (recalls section),
in blocks inside one transaction, all or nothing; recall VINs are a global catalogue, so only a
platform administrator (the CLI) imports them.

A recall list names campaigns that may not be known yet: they are created with the title
"Recall campaign <code>" until the campaign file (or a dataset's ``recalls``) gives the real one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app import audit
from app.audit import Actor
from app.dataset import service as dataset_service
from app.dataset.csv_import import detect_delimiter, detect_encoding
from app.dataset.repository import table_of
from app.dataset.service import ImportResult
from app.enums import RecallStatus
from app.errors import Conflict, ValidationFailed
from app.models import RecallCampaign

BLOCK = 5000
MAX_ERRORS = 1000
FLAT_RCL_FIELDS = 29
SOURCE = "recalls"
STATUS_WORDS = {
    "open": RecallStatus.OPEN,
    "incomplete": RecallStatus.OPEN,
    "completed_here": RecallStatus.COMPLETED_HERE,
    "completed_elsewhere": RecallStatus.COMPLETED_ELSEWHERE,
    "completed": RecallStatus.COMPLETED_ELSEWHERE,
    "closed": RecallStatus.COMPLETED_ELSEWHERE,
    "remedied": RecallStatus.COMPLETED_ELSEWHERE,
    "not_applicable": RecallStatus.NOT_APPLICABLE,
}
HEADERS = {
    "campaign_code": ("campaign_code", "campaign", "campaign_number", "campno"),
    "vin": ("vin",),
    "status": ("status", "recall_status"),
}


@dataclass(slots=True)
class _Errors:
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, file: str, row: int | None, fld: str, message: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append(
                {"section": "recalls", "file": file, "row": row, "index": None, "field": fld,
                 "message": message}
            )  # fmt: skip


def _titles(session: Session, codes: set[str]) -> dict[str, str]:
    t = table_of(RecallCampaign)
    rows = session.execute(select(t.c.campaign_code, t.c.title).where(t.c.campaign_code.in_(codes)))
    return dict(rows.tuples().all())


def _apply(session: Session, recalls: list[dict[str, Any]]) -> ImportResult:
    return dataset_service.apply_document(session, {"source": SOURCE, "recalls": recalls})


def _finish(
    session: Session, errors: _Errors, result: ImportResult | None, what: str, actor: Actor
) -> ImportResult:
    if errors.items:
        session.rollback()
        raise ValidationFailed(
            f"The {what} was rejected with {len(errors.items)} error(s); nothing was stored",
            errors.items,
        )
    final = result or ImportResult(source=SOURCE, sections={})
    dataset_service.finish_import(session, final, scope=None, actor=actor)
    return final


def import_recall_list(
    session: Session,
    stream: IO[bytes],
    *,
    name: str,
    encoding: str | None = None,
    actor: Actor = audit.SYSTEM,
) -> ImportResult:
    """Import an OEM recall list (columns ``campaign_code``, ``vin``, ``status``)."""
    errors = _Errors()
    sample = stream.read(64 * 1024)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding or detect_encoding(sample), newline="")
    result: ImportResult | None = None
    try:
        header_line = text.readline()
        delimiter = detect_delimiter(header_line)
        header = [
            h.strip().lower().lstrip("\ufeff")
            for h in next(csv.reader([header_line], delimiter=delimiter))
        ]
        columns: dict[str, int] = {}
        for key, names in HEADERS.items():
            found = [i for i, h in enumerate(header) if h in names]
            if not found and key != "status":
                errors.add(name, 1, key, f"required column is missing (one of {', '.join(names)})")
            elif found:
                columns[key] = found[0]
        if errors.items:
            return _finish(session, errors, None, "recall list", actor)
        for block in _blocks(csv.reader(text, delimiter=delimiter), columns, name, errors):
            result = _apply_list_block(session, block, name, errors, result)
        return _finish(session, errors, result, "recall list", actor)
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("The recall list conflicted with a concurrent change; retry it") from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        text.detach()


def _blocks(
    reader: Any, columns: dict[str, int], name: str, errors: _Errors
) -> Iterator[list[tuple[int, str, str, str]]]:
    block: list[tuple[int, str, str, str]] = []
    for cells in reader:
        row = reader.line_num + 1  # the header was read before the reader started
        if not any(c.strip() for c in cells):
            continue
        try:
            code = cells[columns["campaign_code"]].strip()
            vin = cells[columns["vin"]].strip().upper()
            raw_status = cells[columns["status"]].strip() if "status" in columns else "open"
        except IndexError:
            errors.add(name, row, "(row)", "fewer cells than the header has columns")
            continue
        status = STATUS_WORDS.get(raw_status.lower().replace(" ", "_") or "open")
        if status is None:
            errors.add(name, row, "status", f"unknown status {raw_status!r}; use one of "
                       f"{', '.join(sorted(STATUS_WORDS))}")  # fmt: skip
            continue
        if not code:
            errors.add(name, row, "campaign_code", "required")
            continue
        block.append((row, code, vin, status.value))
        if len(block) >= BLOCK:
            yield block
            block = []
    if block:
        yield block


def _apply_list_block(
    session: Session,
    block: list[tuple[int, str, str, str]],
    name: str,
    errors: _Errors,
    result: ImportResult | None,
) -> ImportResult | None:
    titles = _titles(session, {code for _, code, _, _ in block})
    recalls: dict[str, dict[str, Any]] = {}
    rows: dict[str, list[int]] = {}
    for row, code, vin, status in block:
        recall = recalls.setdefault(
            code,
            {
                "campaign_code": code,
                "title": titles.get(code, f"Recall campaign {code}"),
                "vehicles": [],
            },
        )
        recall["vehicles"].append({"vin": vin, "status": status})
        rows.setdefault(code, []).append(row)
    order = list(recalls)
    try:
        part = _apply(session, list(recalls.values()))
    except ValidationFailed as exc:
        for e in exc.errors:
            where: int | None = None
            if e["index"] is not None and e["field"].startswith("vehicles["):
                n = int(e["field"].split("[", 1)[1].split("]", 1)[0])
                where = rows[order[e["index"]]][n]
            elif e["index"] is not None:
                where = rows[order[e["index"]]][0]
            fld = e["field"].split(".", 1)[1] if e["field"].startswith("vehicles[") else e["field"]
            errors.add(name, where, fld, e["message"])
        return result
    return dataset_service.merge_results(result, part)


# NHTSA FLAT_RCL ----------------------------------------------------------------------------------


def _yyyymmdd(value: str) -> str | None:
    value = value.strip()
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:])).isoformat()
    except ValueError:
        return None


def import_flat_rcl(
    session: Session, stream: IO[bytes], *, name: str, actor: Actor = audit.SYSTEM
) -> ImportResult:
    """Import NHTSA campaigns (one per ``CAMPNO``, its first row's make; components joined)."""
    errors = _Errors()
    campaigns: dict[str, dict[str, Any]] = {}
    components: dict[str, list[str]] = {}
    text = io.TextIOWrapper(stream, encoding="latin-1", newline="")
    try:
        # The file has quote characters inside fields: no quoting at all (QUOTE_NONE).
        reader = csv.reader(text, delimiter="\t", quoting=csv.QUOTE_NONE)
        for cells in reader:
            row = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != FLAT_RCL_FIELDS:
                errors.add(name, row, "(row)", f"{len(cells)} fields; FLAT_RCL rows have 29")
                continue
            code = cells[1].strip()
            if not code:
                errors.add(name, row, "CAMPNO", "required")
                continue
            component = cells[6].strip()
            if component and component not in components.setdefault(code, []):
                components[code].append(component)
            if code in campaigns:
                continue
            summary = " ".join(cells[19].split())
            remedy = cells[21].strip()
            campaigns[code] = {
                "campaign_code": code,
                "make": cells[2].strip()[:32] or None,
                "title": (summary or f"NHTSA campaign {code}")[:500],
                "remedy_available": bool(remedy),
                "start_date": _yyyymmdd(cells[12]) or _yyyymmdd(cells[15]),
            }
    finally:
        text.detach()
    result: ImportResult | None = None
    items = list(campaigns.values())
    for item in items:
        joined = "; ".join(components.get(item["campaign_code"], []))
        if joined:
            item["component"] = joined[:200]
    try:
        for start in range(0, len(items), BLOCK):
            block = items[start : start + BLOCK]
            try:
                part = _apply(
                    session, [{k: v for k, v in i.items() if v is not None} for i in block]
                )
            except ValidationFailed as exc:
                for e in exc.errors:
                    which = block[e["index"]]["campaign_code"] if e["index"] is not None else "?"
                    errors.add(name, None, e["field"], f"campaign {which}: {e['message']}")
                continue
            result = dataset_service.merge_results(result, part)
        return _finish(session, errors, result, "NHTSA campaign file", actor)
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("The campaign file conflicted with a concurrent change; retry it") from exc
    except BaseException:
        session.rollback()
        raise
