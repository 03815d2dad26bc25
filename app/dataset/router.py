"""``POST /api/v1/import``: the dataset document of the public contract."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from app.auth.models import ApiScope
from app.dataset import service as dataset_service
from app.dataset.service import ImportResult, ImportScope
from app.deps import SessionDep, SettingsDep
from app.enums import Role
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
    scope = None if caller.dealer_ids is None else ImportScope(dealer_ids=caller.dealer_ids)
    return dataset_service.import_dataset(session, payload, scope=scope, actor=caller.actor)
