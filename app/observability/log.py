"""Structured logs: one JSON object per line (console lines in development), each carrying the
id of the request it belongs to.

``RequestContext`` (``app/observability/middleware.py``) sets ``REQUEST_ID`` for the request's
task; the handler installed by ``configure_logging`` adds it to every record it writes, whatever
the logger (the app's, SQLAlchemy's, uvicorn's). Phone numbers and e-mail addresses are masked
twice: in the message when the record is created (``app/security/redaction.py``) and in every
string field of the JSON object (extras and the formatted traceback).
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import IO, Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from app.security.redaction import install_log_redaction, redact
from app.settings import Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
HANDLER_NAME = "retention"
CONSOLE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"


def current_request_id() -> str | None:
    return REQUEST_ID.get()


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get() or "-"
        return True


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    return value


class RedactingJsonFormatter(JsonFormatter):
    """``time``, ``level``, ``logger``, ``message``, ``request_id``, then any ``extra`` fields."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            # uvicorn adds an ANSI-coloured copy of its messages.
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: _redact_value(value) for key, value in log_data.items()}


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record is emitted (test runners swap it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> IO[str]:
        return sys.stderr


def log_format(settings: Settings) -> str:
    if settings.log_format is not None:
        return settings.log_format
    return "console" if settings.environment == "development" else "json"


def configure_logging(settings: Settings, *, stream: IO[str] | None = None) -> logging.Handler:
    """Install the process's log handler on the root logger (replacing an earlier one of ours,
    keeping any other, such as a test runner's) and route uvicorn's loggers through it."""
    install_log_redaction()
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    )
    handler.set_name(HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    if log_format(settings) == "json":
        handler.setFormatter(RedactingJsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(CONSOLE_FORMAT))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == HANDLER_NAME:
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    # uvicorn installs its own plain-text handlers; one format per process is easier to ship.
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    # The app writes one access line per request (app.access, with the route and duration);
    # uvicorn's own would double every line. Without handlers uvicorn skips it altogether.
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False
    return handler
