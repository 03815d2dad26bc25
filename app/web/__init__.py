"""The browser UI: server-rendered pages (Jinja2) and small ES modules that call the REST API.

``install(app)`` mounts ``/static``, adds the pages, renders errors of pages as HTML (``/api``
keeps its JSON) and refuses to start when a page declares no access rule.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import AppError
from app.web.access import NOT_PAGES, LoginRequired, check_page_declarations
from app.web.admin_pages import router as admin_pages_router
from app.web.agent_pages import router as agent_pages_router
from app.web.manager_pages import router as manager_pages_router
from app.web.pages import router as pages_router
from app.web.rendering import render

STATIC_DIR = Path(__file__).parent / "static"


def _is_page(request: Request) -> bool:
    """Whether errors on this path are shown as HTML pages (else JSON, as the API answers)."""
    path = request.url.path
    if path in NOT_PAGES:  # probes and /metrics are read by machines
        return False
    return not path.startswith(("/api", "/static", "/docs", "/redoc", "/openapi.json"))


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages_router)
    app.include_router(agent_pages_router)
    app.include_router(manager_pages_router)
    app.include_router(admin_pages_router)
    api_app_error = app.exception_handlers[AppError]
    api_validation_error = app.exception_handlers[RequestValidationError]

    async def app_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, LoginRequired):
            return RedirectResponse(exc.location, status_code=303)
        if not _is_page(request):
            return await _call(api_app_error, request, exc)
        assert isinstance(exc, AppError)
        return _error_page(request, exc.status_code, exc.message)

    async def validation_error(request: Request, exc: Exception) -> Response:
        if not _is_page(request):
            return await _call(api_validation_error, request, exc)
        return _error_page(request, 400, "the address is not valid")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not _is_page(request):
            from fastapi.exception_handlers import http_exception_handler

            return await http_exception_handler(request, exc)
        return _error_page(request, exc.status_code, str(exc.detail))

    app.add_exception_handler(AppError, app_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    check_page_declarations(app)


async def _call(handler: object, request: Request, exc: Exception) -> Response:
    result = handler(request, exc)  # type: ignore[operator]
    if hasattr(result, "__await__"):
        result = await result
    assert isinstance(result, Response)
    return result


def _error_page(request: Request, status_code: int, message: str) -> Response:
    return render(
        request,
        "error.html",
        viewer=None,
        status_code=status_code,
        status=status_code,
        message=message,
    )
