"""The pull connector for a REST DMS (docs/integration.md): per dealer and entity, fetch the
records changed since the watermark (minus a day of overlap), page by page, and apply each page
in its own transaction with the watermark moved to the page's newest update time. A run that
fails half-way keeps what it committed and the next run resumes from there.

The DMS API it expects::

    GET {pull_base_url}/{entity}?updated_since=<ISO 8601>&limit=<n>[&page_token=<token>]
    Authorization: Bearer <pull_token>
    200 {"items": [{...record as in the dataset..., "updated_at": "<ISO 8601>"}],
         "next_page_token": "<token>" | null}

Items must come in ascending ``updated_at`` order. 429 and 5xx answers (and network errors) are
retried with exponential backoff, honouring ``Retry-After``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import AwareDatetime, BaseModel, ValidationError
from sqlmodel import Session

from app.dms import service as dms_service
from app.dms.models import DmsIntegration
from app.dms.outbox import parse_retry_after
from app.dms.repository import DmsRepository
from app.dms.urls import check_outbound_url
from app.errors import AppError, ValidationFailed
from app.models import Dealer

log = logging.getLogger(__name__)

# Dependency order: references point to entities fetched before.
ENTITY_ORDER = (
    "customer",
    "vehicle",
    "ownership",
    "appointment",
    "repair_order",
    "odometer_reading",
)
PATHS = {
    "customer": "customers",
    "vehicle": "vehicles",
    "ownership": "ownerships",
    "appointment": "appointments",
    "repair_order": "repair-orders",
    "odometer_reading": "odometer-readings",
}
OVERLAP = timedelta(days=1)
PAGE_SIZE = 500
MAX_ATTEMPTS = 5
FIRST_BACKOFF = 0.5  # seconds
MAX_WAIT = 60.0

Sleep = Callable[[float], None]


class ConnectorError(AppError):
    status_code = 502


class _Page(BaseModel):
    items: list[dict[str, Any]]
    next_page_token: str | None = None


class _Stamp(BaseModel):
    updated_at: AwareDatetime


@dataclass(slots=True)
class EntityRun:
    entity: str
    fetched: int = 0
    applied: int = 0
    stale: int = 0
    pages: int = 0
    error: str | None = None


@dataclass(slots=True)
class ConnectorRun:
    dealer: str
    entities: list[EntityRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(e.error is None for e in self.entities)


def _get(
    client: httpx.Client,
    url: str,
    *,
    params: dict[str, Any],
    headers: dict[str, str],
    sleep: Sleep,
) -> httpx.Response:
    """GET with retries on network errors, 429 and 5xx (exponential backoff or Retry-After)."""
    last = "no attempt"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        wait = FIRST_BACKOFF * 2 ** (attempt - 1)
        try:
            response = client.get(url, params=params, headers=headers)
        except httpx.HTTPError as exc:
            last = f"{exc.__class__.__name__}: {exc}"
        else:
            if response.status_code != 429 and response.status_code < 500:
                return response
            last = f"HTTP {response.status_code}"
            told = parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
            if told is not None:
                wait = max(wait, told.total_seconds())
        if attempt < MAX_ATTEMPTS:
            sleep(min(wait, MAX_WAIT))
    raise ConnectorError(f"{url}: gave up after {MAX_ATTEMPTS} attempts ({last})")


def pull_dealer(
    session: Session,
    *,
    dealer: Dealer,
    integration: DmsIntegration,
    client: httpx.Client,
    now: datetime,
    allowed_networks: list[str],
    sleep: Sleep = time.sleep,
) -> ConnectorRun:
    """One connector run for one dealer; stops at the first entity that fails (later entities
    may refer to its records) and records the error on its watermark."""
    assert dealer.id is not None
    assert integration.pull_base_url
    run = ConnectorRun(dealer=dealer.code)
    repo = DmsRepository(session)
    base = integration.pull_base_url.rstrip("/")
    check_outbound_url(base, allowed_networks=allowed_networks, field="pull_base_url")
    headers = {"Accept": "application/json"}
    if integration.pull_token:
        headers["Authorization"] = f"Bearer {integration.pull_token}"
    for entity in ENTITY_ORDER:
        result = EntityRun(entity)
        run.entities.append(result)
        mark = repo.watermark(dealer.id, entity)
        since = None if mark.updated_since is None else _utc(mark.updated_since) - OVERLAP
        session.commit()
        token: str | None = None
        try:
            while True:
                params: dict[str, Any] = {"limit": PAGE_SIZE}
                if since is not None:
                    params["updated_since"] = since.isoformat()
                if token:
                    params["page_token"] = token
                response = _get(
                    client, f"{base}/{PATHS[entity]}", params=params, headers=headers, sleep=sleep
                )
                if response.status_code != 200:
                    raise ConnectorError(
                        f"{entity}: HTTP {response.status_code}: {response.text[:200]}"
                    )
                page = _page(response, entity)
                _apply_page(session, dealer, integration, entity, page, result, now)
                token = page.next_page_token
                if not token or not page.items:
                    break
        except (ConnectorError, ValidationFailed) as exc:
            session.rollback()
            result.error = _describe(exc)
            mark = repo.watermark(dealer.id, entity)
            mark.last_error = result.error
            mark.last_run_at = now
            session.add(mark)
            session.commit()
            log.warning("DMS pull %s/%s failed: %s", dealer.code, entity, result.error)
            break
    return run


def _describe(exc: AppError) -> str:
    if isinstance(exc, ValidationFailed):
        first = exc.errors[0] if exc.errors else {}
        return f"{exc.message}: {first.get('field')}: {first.get('message')}"
    return exc.message


def _page(response: httpx.Response, entity: str) -> _Page:
    try:
        return _Page.model_validate(response.json())
    except (ValueError, ValidationError) as exc:
        raise ConnectorError(f"{entity}: the DMS answered with an unexpected page: {exc}") from exc


def _apply_page(
    session: Session,
    dealer: Dealer,
    integration: DmsIntegration,
    entity: str,
    page: _Page,
    result: EntityRun,
    now: datetime,
) -> None:
    """Apply one page and move the watermark, in one transaction."""
    assert dealer.id is not None
    items: list[tuple[dict[str, Any], datetime]] = []
    for index, item in enumerate(page.items):
        try:
            stamp = _Stamp.model_validate({"updated_at": item.get("updated_at")}).updated_at
        except ValidationError as exc:
            raise ConnectorError(
                f"{entity}: item {index} has no valid updated_at (ISO 8601 with a zone)"
            ) from exc
        items.append(({k: v for k, v in item.items() if k != "updated_at"}, stamp))
    result.pages += 1
    result.fetched += len(items)
    if items:
        applied = dms_service.apply_versioned(
            session, integration=integration, dealer=dealer, entity=entity, items=items
        )
        result.applied += applied.applied
        result.stale += applied.stale
    mark = DmsRepository(session).watermark(dealer.id, entity)
    newest = max((s for _, s in items), default=None)
    if newest is not None and (mark.updated_since is None or _utc(mark.updated_since) < newest):
        mark.updated_since = newest
    mark.last_run_at = now
    mark.last_error = None
    session.add(mark)
    session.commit()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def pull_all(
    session: Session,
    *,
    client: httpx.Client,
    now: datetime,
    allowed_networks: list[str],
    dealer_code: str | None = None,
    sleep: Sleep = time.sleep,
) -> list[ConnectorRun]:
    """Run the connector of every dealer whose pull is enabled (or of one dealer)."""
    runs = []
    for dealer, integration in DmsRepository(session).pull_integrations():
        if dealer_code is not None and dealer.code != dealer_code:
            continue
        try:
            runs.append(
                pull_dealer(
                    session,
                    dealer=dealer,
                    integration=integration,
                    client=client,
                    now=now,
                    allowed_networks=allowed_networks,
                    sleep=sleep,
                )
            )
        except AppError as exc:  # e.g. a base URL no longer allowed
            session.rollback()
            runs.append(ConnectorRun(dealer.code, [EntityRun("*", error=exc.message)]))
    return runs
