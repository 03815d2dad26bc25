"""The UI's languages: Babel message catalogs, the request's language, locale-aware formatting.

Catalogs live in ``app/web/locales/<lang>/LC_MESSAGES/messages.po`` with their compiled ``.mo``
committed beside them (so ``pip install`` needs no build step); ``docs/i18n.md`` describes the
``pybabel`` extract / update / compile workflow (``make messages``).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations
from babel.units import format_unit

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGES: dict[str, str] = {
    "en": "English",
    "cs": "Čeština",
    "fi": "Suomi",
    "uk": "Українська",
    "ru": "Русский",
}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "retention_lang"
KM_PER_MILE = Decimal("1.609344")

_current: ContextVar[str] = ContextVar("ui_language", default=DEFAULT_LANGUAGE)


def supported(language: str | None) -> str | None:
    """``language`` (or its base, ``cs_CZ`` → ``cs``) when the UI has it, else None."""
    if not language:
        return None
    base = language.replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else None


def negotiate(*, user_language: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The user's stored language, then the cookie, then the browser's preference, then English."""
    for candidate in (user_language, cookie):
        found = supported(candidate)
        if found:
            return found
    weighted: list[tuple[float, str]] = []
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if supported(tag):
            weighted.append((q, tag))
    for _, tag in sorted(weighted, key=lambda item: -item[0]):
        found = supported(tag)
        if found:
            return found
    return DEFAULT_LANGUAGE


@lru_cache
def translations(language: str) -> NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    return Translations.load(str(LOCALES_DIR), [language], domain="messages")


def set_language(language: str) -> None:
    _current.set(supported(language) or DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ungettext(singular, plural, n)


# Formatting ------------------------------------------------------------------------------------


def _locale() -> Locale:
    return Locale.parse(_current.get())


def fmt_date(value: date | None) -> str:
    return "" if value is None else format_date(value, format="medium", locale=_locale())


def fmt_datetime(value: datetime | None, time_zone: str | None = None) -> str:
    """A moment in the dealer's time zone (UTC when unknown); naive values are UTC."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    zone = ZoneInfo(time_zone or "UTC")
    return format_datetime(value, format="medium", tzinfo=zone, locale=_locale())


def fmt_number(value: int | float | Decimal | None) -> str:
    return "" if value is None else format_decimal(value, locale=_locale())


def fmt_money(value: int | float | Decimal | None, currency: str) -> str:
    return "" if value is None else format_currency(value, currency, locale=_locale())


def fmt_distance(km: int | float | Decimal | None, unit: str = "km") -> str:
    """A distance stored in km, shown in the dealer's unit (``km`` or ``mi``)."""
    if km is None:
        return ""
    value = Decimal(str(km))
    if unit == "mi":
        return format_unit(
            round(value / KM_PER_MILE), "length-mile", length="short", locale=_locale()
        )
    return format_unit(round(value), "length-kilometer", length="short", locale=_locale())


def compiled_catalogs() -> Iterable[Path]:
    return sorted(LOCALES_DIR.glob("*/LC_MESSAGES/messages.mo"))
