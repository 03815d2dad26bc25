"""Validation of a dealer's rule overrides (the dataset's ``settings`` object).

The names, defaults and value checks are the invitation engine's (``DealerPolicy``); this module
only turns its verdict into one message per setting for the import and the API.
"""

from __future__ import annotations

from typing import Any

from invitations.policy import POLICY_SETTING_NAMES, DealerPolicy


def setting_problems(settings: dict[str, Any]) -> list[tuple[str, str]]:
    """``(name, message)`` for every unknown name or unacceptable value in ``settings``."""
    problems: list[tuple[str, str]] = []
    for name, value in settings.items():
        if name not in POLICY_SETTING_NAMES:
            known = ", ".join(sorted(POLICY_SETTING_NAMES))
            problems.append((name, f"unknown setting; known settings are {known}"))
            continue
        try:
            DealerPolicy.from_settings({name: value})
        except ValueError as exc:
            problems.append((name, str(exc)))
    return problems


__all__ = ["POLICY_SETTING_NAMES", "setting_problems"]
