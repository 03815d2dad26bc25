"""Phone numbers: parsed with the dealer's country as the default region and stored in E.164."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    pass


def to_e164(number: str, default_region: str) -> str:
    """Parse ``number`` (national or international form) and return it in E.164."""
    try:
        parsed = phonenumbers.parse(number, default_region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"{number!r} is not a phone number ({exc})") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone(
            f"{number!r} is not a valid phone number for {default_region.upper()} "
            "(write it in international form, e.g. +420 601 123 456)"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str) -> str:
    """A phone number safe for logs: country code and last two digits only."""
    return e164[:4] + "*" * max(len(e164) - 6, 0) + e164[-2:]
