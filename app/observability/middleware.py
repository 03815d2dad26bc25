"""Per-request context: the request id, one access log line, and the latency histogram.

Plain ASGI like ``app/security/middleware.py``. The id is the caller's ``X-Request-ID`` when it
is a short token (a proxy's or a client's correlation id), otherwise a new UUID; it is echoed in
the response's ``X-Request-ID``, written in every log line of the request and in the audit log.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.observability.log import REQUEST_ID
from app.observability.metrics import HTTP_REQUEST_DURATION

REQUEST_ID_HEADER = "X-Request-ID"
UNMATCHED_ROUTE = "<unmatched>"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
access_log = logging.getLogger("app.access")


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    for key, value in headers:
        if key.lower() == b"x-request-id":
            sent = value.decode("latin-1")
            if _VALID_ID.match(sent):
                return sent
    return uuid.uuid4().hex


def route_templates(app: Any) -> dict[int, str]:
    """id(route) -> full path template of every route of ``app``, through included routers
    (FastAPI keeps an included route's path relative to its router's prefix)."""
    from app.security.access import api_routes

    return {id(route): path for path, route in api_routes(app)}


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._templates: dict[int, str] | None = None

    def route_template(self, scope: Scope) -> str:
        """The matched route's path template (``/api/v1/customers/{customer_id}``), never the
        raw path: raw paths hold ids and would make one metric label per object."""
        route = scope.get("route")
        if route is None:
            return UNMATCHED_ROUTE
        if self._templates is None and "app" in scope:
            self._templates = route_templates(scope["app"])
        template = (self._templates or {}).get(id(route)) or getattr(route, "path", None)
        return template if isinstance(template, str) else UNMATCHED_ROUTE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))
        # Not reset afterwards on purpose: each request runs in its own task (and so its own
        # context), and the server's own "Exception in ASGI application" line, written after
        # this returns, then still carries the id.
        REQUEST_ID.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            method = str(scope.get("method", ""))
            route = self.route_template(scope)
            HTTP_REQUEST_DURATION.labels(method=method, route=route, status=str(status)).observe(
                elapsed
            )
            access_log.info(
                "%s %s %d %.1f ms",
                method,
                scope.get("path", ""),
                status,
                elapsed * 1000,
                extra={
                    "method": method,
                    "path": scope.get("path", ""),
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
