"""Phone numbers and e-mail addresses never reach the logs."""

from __future__ import annotations

import logging

import pytest

from app.security.redaction import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("calling +420601123456 now", "calling [phone] now"),
        ("calling +420 601 123 456.", "calling [phone]."),
        ("dial 00420601123456", "dial [phone]"),
        ("national 601 123 456", "national [phone]"),
        ("bare 420601123456", "bare [phone]"),
        ("mail jana.novakova@example.cz", "mail [email]"),
        ("due 2026-11-23, 15000 km, task 12345", "due 2026-11-23, 15000 km, task 12345"),
    ],
)
def test_redact_masks_phone_numbers_and_emails_but_not_dates_or_ids(
    text: str, expected: str
) -> None:
    assert redact(text) == expected


def test_log_records_are_redacted_whatever_the_logger(caplog: pytest.LogCaptureFixture) -> None:
    from app.main import create_app

    create_app()  # installs the redaction
    with caplog.at_level(logging.INFO):
        logging.getLogger("app.call").info("customer %s on %s", 42, "+420 601 123 456")
        logging.getLogger("uvicorn.access").info('"GET /x?phone=%2B420601123456" 200')
        try:
            raise ValueError("bad number +420601123456")
        except ValueError:
            logging.getLogger("app").exception("failed")

    text = caplog.text
    assert "601" not in text.replace("[phone]", "")
    assert "customer 42 on [phone]" in text
