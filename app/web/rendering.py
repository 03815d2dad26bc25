"""Jinja2 (autoescaping on) with the gettext extension bound to the request's language."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.web import i18n
from app.web.access import Viewer

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    env.filters.update(
        date=i18n.fmt_date,
        datetime=i18n.fmt_datetime,
        number=i18n.fmt_number,
        money=i18n.fmt_money,
        distance=i18n.fmt_distance,
        isodate=date.fromisoformat,
    )
    return env


templates = Jinja2Templates(env=_environment())


def language_of(request: Request, viewer: Viewer | None) -> str:
    return i18n.negotiate(
        user_language=viewer.user.language if viewer else None,
        cookie=request.cookies.get(i18n.LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


def render(
    request: Request,
    name: str,
    *,
    viewer: Viewer | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``name`` in the viewer's language; formatting filters follow the same language."""
    language = language_of(request, viewer)
    i18n.set_language(language)
    role = viewer.principal.role.value if viewer and viewer.principal.role else None
    return templates.TemplateResponse(
        request,
        name,
        {
            "viewer": viewer,
            "role": role,
            "csrf_token": viewer.csrf_token if viewer else "",
            "language": language,
            "languages": i18n.LANGUAGES,
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
        headers={"Cache-Control": "no-store", "Content-Language": language},
    )
