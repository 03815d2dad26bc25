"""Call scripts: Jinja2 templates per language, one macro per invitation type.

``app/templates/call_scripts/<language>.txt.j2`` defines ``opening``, ``closing`` and one macro per
invitation type. A recall is a safety notice (DESIGN §5): its script has no sales talk, and for a
recall-only call no other reason is mentioned.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.contact.schemas import VehiclePublic

LANGUAGES = ("en", "cs", "fi", "uk", "ru")
FALLBACK = "en"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "call_scripts"


@lru_cache
def _environment() -> Environment:
    # Plain text read aloud by the agent: nothing is HTML, so there is nothing to escape.
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def language_of(language: str | None) -> str:
    """``cs-CZ`` → ``cs``; unsupported languages get English."""
    code = (language or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else FALLBACK


def render_script(
    *,
    kind: str,
    language: str | None,
    customer: Any,
    vehicles: Sequence[VehiclePublic],
    recall_only: bool,
) -> str:
    """The script for a call whose primary reason is ``kind``, with every other reason after it
    (none for a recall-only call)."""
    template = _environment().get_template(f"{language_of(language)}.txt.j2")
    reasons: list[dict[str, Any]] = [
        {"type": r.type, "vehicle": v, "due_date": r.due_date, "explanation": r.explanation}
        for v in vehicles
        for r in v.reasons
        if not recall_only or r.type == "recall"
    ]
    primary = next((r for r in reasons if r["type"] == kind), reasons[0] if reasons else None)
    others = [r for r in reasons if r is not primary]
    return template.render(
        customer=customer,
        primary=primary,
        others=others,
        recall_only=recall_only or kind == "recall",
    ).strip()
