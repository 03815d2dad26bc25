"""Redact phone numbers and e-mail addresses from free text (logs, audit values).

Names cannot be recognised in free text, so the rule for them is simpler: the application never
logs a payload, a customer or a user object; only ids.
"""

from __future__ import annotations

import logging
import re

PHONE_MASK = "[phone]"
EMAIL_MASK = "[email]"

# E.164 (+420601123456, +420 601 123 456, URL-encoded %2B...), international prefix 00, bare
# 9-15 digit runs and spaced national formats (601 123 456). Dates and short ids are left alone.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00|%2[Bb])\d[\d ().-]{6,20}\d"
    r"|(?<![\w.-])\d{9,15}(?![\w])"
    r"|(?<![\w.-])\d{3}[ .-]\d{3}[ .-]\d{3,4}(?![\w.-])"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def redact(text: str) -> str:
    return _PHONE.sub(PHONE_MASK, _EMAIL.sub(EMAIL_MASK, text))


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message with ``redact``."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def _redact_arg(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


def _redact_record(record: logging.LogRecord) -> None:
    """Redact the template and each string argument in place; the arguments keep their shape,
    because some formatters (uvicorn's access log) unpack them."""
    if getattr(record, "_redacted", False):
        return
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redact_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _redact_arg(v) for k, v in record.args.items()}
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    record._redacted = True


_installed = False


def install_log_redaction() -> None:
    """Redact every log record the process creates, whichever logger or handler it goes to.

    A record factory rather than a handler filter: records are redacted when they are created,
    so third-party handlers (uvicorn's access log, pytest's capture) never see a phone number.
    """
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
