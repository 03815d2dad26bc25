"""The FastAPI application: routers, error handlers, OpenAPI. No business logic here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from app.audit.router import router as audit_router
from app.auth.router import keys_router as api_keys_router
from app.auth.router import router as auth_router
from app.auth.router import users_router
from app.contact.router import router as contact_router
from app.customer.router import router as customer_router
from app.dataset.router import router as import_router
from app.dataset.schema import DatasetDocument
from app.db_faults import UNAVAILABLE_ERRORS, database_unavailable
from app.dealer.router import router as dealer_router
from app.dms.router import router as dms_router
from app.dms.router import webhook_router as dms_webhook_router
from app.errors import AppError
from app.health import router as health_router
from app.invitation.router import catalogue_router
from app.invitation.router import router as invitation_router
from app.observability.log import configure_logging
from app.observability.middleware import RequestContext
from app.observability.router import router as metrics_router
from app.privacy.router import router as privacy_router
from app.reporting.router import router as reports_router
from app.scheduler.router import router as job_runs_router
from app.security.access import check_declarations
from app.security.middleware import BodySizeLimit, SameOriginWrites, SecurityHeaders
from app.security.redaction import install_log_redaction
from app.settings import get_settings
from app.vehicle.router import router as vehicle_router
from app.web import install as install_web_ui

API_PREFIX = "/api/v1"
# Bulk JSON endpoints: at most settings.bulk_max_bytes a request (and bulk_max_records).
BULK_PATHS = (f"{API_PREFIX}/import", f"{API_PREFIX}/dms/star/repair-orders")
ERROR_RESPONSE: dict[str, Any] = {
    "title": "ErrorResponse",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}


UNAVAILABLE_RESPONSE: dict[str, Any] = {
    "description": "The database is unavailable or busy; retry after the Retry-After seconds",
    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
}


def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    body: dict[str, Any] = {"detail": exc.message}
    if exc.extra is not None:
        body["errors"] = exc.extra
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def _request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": ".".join(str(p) for p in err["loc"][1:]) or str(err["loc"][0]),
            "location": str(err["loc"][0]),
            "message": str(err["msg"]),
        }
        for err in exc.errors()
    ]
    return JSONResponse({"detail": "The request is invalid", "errors": errors}, status_code=422)


def _custom_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
    doc = DatasetDocument.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(doc.pop("$defs", {}))
    components["DatasetDocument"] = doc
    # Every 422 has the application's shape (see _request_validation_error and ValidationFailed),
    # not FastAPI's default one; the contract must say what the API really returns.
    components["ErrorResponse"] = ERROR_RESPONSE
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            response = responses.get("422")
            if response is not None:
                response["content"] = error_content
            # Any operation that reaches the database answers 503 (with Retry-After) while the
            # database is down or busy (app/db_faults.py); the contract says so.
            if path.startswith("/api") and "503" not in responses:
                responses["503"] = UNAVAILABLE_RESPONSE
    app.openapi_schema = schema
    return schema


def _lifespan(tokens: int) -> Any:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The limiter belongs to the event loop, so it is set once the loop runs.
        anyio.to_thread.current_default_thread_limiter().total_tokens = tokens
        yield

    return lifespan


def create_app() -> FastAPI:
    settings = get_settings()
    app = FastAPI(
        lifespan=_lifespan(settings.threadpool_tokens),
        title="Service retention",
        version="0.1.0",
        description="Due service invitations, the contact-centre queue and service-funnel reports.",
    )
    install_log_redaction()
    configure_logging(settings)
    # Added last runs first: the body limit, then the origin check, then the headers on the way out.
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    app.add_middleware(SameOriginWrites, trusted_origins=settings.trusted_origins)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        path_limits=dict.fromkeys(BULK_PATHS, settings.bulk_max_bytes),
    )
    app.add_middleware(RequestContext)  # outermost: every answer gets a request id and a timing
    app.add_exception_handler(AppError, _app_error)
    for error in UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, database_unavailable)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(auth_router, prefix=API_PREFIX)
    app.include_router(api_keys_router, prefix=API_PREFIX)
    app.include_router(import_router, prefix=API_PREFIX)
    app.include_router(privacy_router, prefix=API_PREFIX)
    app.include_router(audit_router, prefix=API_PREFIX)
    app.include_router(reports_router, prefix=API_PREFIX)
    app.include_router(contact_router, prefix=API_PREFIX)
    app.include_router(invitation_router, prefix=API_PREFIX)
    app.include_router(catalogue_router, prefix=API_PREFIX)
    app.include_router(users_router, prefix=API_PREFIX)
    app.include_router(customer_router, prefix=API_PREFIX)
    app.include_router(dealer_router, prefix=API_PREFIX)
    app.include_router(dms_router, prefix=API_PREFIX)
    app.include_router(dms_webhook_router, prefix=API_PREFIX)
    app.include_router(vehicle_router, prefix=API_PREFIX)
    app.include_router(job_runs_router, prefix=API_PREFIX)
    check_declarations(app, prefix="/api")  # deny by default: every /api route declares access
    install_web_ui(app)  # pages, /static, HTML error pages; pages are deny-by-default too
    app.openapi = lambda: _custom_openapi(app)  # type: ignore[method-assign]
    return app


app = create_app()
