"""``POST /api/v1/import``: the dataset document of the public contract."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Form, UploadFile

from app.auth.models import ApiScope
from app.dataset import csv_import
from app.dataset import service as dataset_service
from app.dataset.service import ImportResult, ImportScope
from app.deps import SessionDep, SettingsDep
from app.enums import Role
from app.errors import ValidationFailed
from app.security.access import allow
from app.security.principal import Principal
from app.security.rate_limit import RateLimiterDep

router = APIRouter(prefix="/import", tags=["import"])

# An administrator, or a dealer's integration key with the import:write scope.
Importer = Annotated[Principal, Depends(allow(roles={Role.ADMIN}, scopes={ApiScope.IMPORT_WRITE}))]


@router.post(
    "",
    response_model=ImportResult,
    responses={
        413: {"description": "More than 5,000 records or 10 MB in one request"},
        422: {"description": "The document was rejected; every error is listed"},
        429: {"description": "Too many imports this minute; see Retry-After"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/DatasetDocument"}}
            },
        }
    },
)
def create_import(
    # Parsed as a plain object and validated by the service, so that every error of the whole
    # document is reported at once in the contract's shape (section, index, field, message).
    payload: Annotated[dict[str, Any], Body()],
    session: SessionDep,
    caller: Importer,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> ImportResult:
    """Validate and apply a dataset document in one transaction (all or nothing).

    A dealer-scoped caller may only write records of its own dealers; service plans and recalls
    (the global catalogue) need a platform administrator.
    """
    limiter.hit(
        f"import:{caller.kind.value}:{caller.id}",
        limit=settings.import_limit_per_minute,
        message="too many imports",
    )
    dataset_service.check_bulk_size(payload, max_records=settings.bulk_max_records)
    scope = None if caller.dealer_ids is None else ImportScope(dealer_ids=caller.dealer_ids)
    return dataset_service.import_dataset(session, payload, scope=scope, actor=caller.actor)


@router.post(
    "/csv",
    response_model=ImportResult,
    responses={
        422: {"description": "The files were rejected; every error is listed with file and row"},
        429: {"description": "Too many imports this minute; see Retry-After"},
    },
)
def create_csv_import(
    files: Annotated[list[UploadFile], File(description="one <section>.csv per section")],
    source: Annotated[str, Form(min_length=1, max_length=64, description="the sending system")],
    session: SessionDep,
    caller: Importer,
    settings: SettingsDep,
    limiter: RateLimiterDep,
    encoding: Annotated[
        str | None, Form(description="utf-8, cp1250 or cp1252; detected when left out")
    ] = None,
) -> ImportResult:
    """The dataset as CSV files (docs/integration.md), streamed and applied all or nothing."""
    limiter.hit(
        f"import:{caller.kind.value}:{caller.id}",
        limit=settings.import_limit_per_minute,
        message="too many imports",
    )
    by_section: dict[str, tuple[str, Any]] = {}
    problems = []
    for upload in files:
        name = upload.filename or ""
        section = csv_import.section_of(name)
        if section is None or section in by_section:
            why = "unknown file name" if section is None else "a second file for this section"
            problems.append(
                {
                    "section": "document",
                    "index": None,
                    "field": "files",
                    "message": f"{name!r}: {why}; expected one <section>.csv per section "
                    f"({', '.join(csv_import.SECTION_ORDER)})",
                }
            )
            continue
        by_section[section] = (name, upload.file)
    if problems:
        raise ValidationFailed("The upload was rejected; nothing was stored", problems)
    scope = None if caller.dealer_ids is None else ImportScope(dealer_ids=caller.dealer_ids)
    return csv_import.import_csv(
        session, by_section, source=source, scope=scope, actor=caller.actor, encoding=encoding
    )
