"""Message catalogs are complete and compiled; formatting follows the language."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from app.web import i18n

WEB = Path(__file__).parents[3] / "app" / "web"
ROOT = WEB.parents[1]
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT_LANGUAGE]


def _ids(catalog) -> set:  # type: ignore[no-untyped-def]
    return {m.id for m in catalog if m.id}


def _strings(catalog) -> dict:  # type: ignore[no-untyped-def]
    def key(value):  # type: ignore[no-untyped-def]
        return tuple(value) if isinstance(value, list | tuple) else value

    return {key(m.id): key(m.string) for m in catalog if m.id}


def test_the_template_lists_every_message_of_the_templates(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F",
         str(WEB / "babel.cfg"), "-o", str(fresh), "--no-location", "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with fresh.open("rb") as f, (WEB / "locales" / "messages.pot").open("rb") as g:
        assert _ids(read_po(f)) == _ids(read_po(g)), "run `make messages` and translate"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_language_translates_every_message_and_is_compiled(language: str) -> None:
    folder = WEB / "locales" / language / "LC_MESSAGES"
    with (WEB / "locales" / "messages.pot").open("rb") as f:
        wanted = _ids(read_po(f))
    with (folder / "messages.po").open("rb") as f:
        po = read_po(f, locale=language)
    untranslated = [
        m.id
        for m in po
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)) or m.fuzzy)
    ]
    assert not untranslated, untranslated
    assert _ids(po) == wanted
    with (folder / "messages.mo").open("rb") as f:
        mo = read_mo(io.BytesIO(f.read()))
    assert _strings(mo) == _strings(po), "the .mo is stale: run `make messages`"


def test_negotiation_prefers_the_user_then_the_cookie_then_the_browser() -> None:
    assert i18n.negotiate(user_language="uk", cookie="cs", accept_language="fi") == "uk"
    assert i18n.negotiate(user_language=None, cookie="cs-CZ", accept_language="fi") == "cs"
    assert (
        i18n.negotiate(user_language=None, cookie="xx", accept_language="de, ru;q=0.8, fi;q=0.9")
        == "fi"
    )
    assert i18n.negotiate(user_language=None, cookie=None, accept_language="q=;;,") == "en"


@pytest.mark.parametrize(
    ("language", "money", "distance_km", "distance_mi"),
    [
        ("en", "CZK2,400.50", "12,345 km", "7,671 mi"),
        ("cs", "2\xa0400,50\xa0Kč", "12\xa0345 km", "7\xa0671 mi"),
        ("fi", "2\xa0400,50\xa0CZK", "12\xa0345 km", "7\xa0671 mi"),
    ],
)
def test_numbers_money_and_distances_follow_the_language(
    language: str, money: str, distance_km: str, distance_mi: str
) -> None:
    i18n.set_language(language)
    try:
        assert i18n.fmt_money(2400.5, "CZK") == money
        assert i18n.fmt_distance(12345, "km") == distance_km
        assert i18n.fmt_distance(12345, "mi") == distance_mi
    finally:
        i18n.set_language("en")


def test_moments_are_shown_in_the_dealers_time_zone() -> None:
    i18n.set_language("cs")
    try:
        shown = i18n.fmt_datetime(datetime(2026, 1, 5, 8, 30, tzinfo=UTC), "Europe/Prague")
    finally:
        i18n.set_language("en")
    assert shown.startswith("5. 1. 2026")
    assert "9:30" in shown
