"""Dealers and their settings: rule overrides, calling windows, capacity and opening hours."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app import audit
from app.audit import Actor
from app.dealer.models import (
    Dealer,
    DealerPublic,
    DealerSettingsPublic,
    DealerSettingsUpdate,
    DealersPublic,
)
from app.dealer.repository import DealerRepository
from app.dealer.rule_settings import POLICY_SETTING_NAMES, setting_problems
from app.errors import NotFound, ValidationFailed
from app.security.principal import DealerScope
from invitations.policy import DealerPolicy


def list_dealers(
    session: Session, *, dealer_ids: DealerScope, limit: int, offset: int
) -> DealersPublic:
    dealers, total = DealerRepository(session).dealers(
        dealer_ids=dealer_ids, limit=limit, offset=offset
    )
    return DealersPublic(
        data=[DealerPublic.model_validate(d) for d in dealers],
        count=total,
        limit=limit,
        offset=offset,
    )


def rule_defaults() -> dict[str, Any]:
    policy = DealerPolicy()
    return {name: getattr(policy, name) for name in sorted(POLICY_SETTING_NAMES)}


def _settings_public(repo: DealerRepository, dealer: Dealer) -> DealerSettingsPublic:
    group = repo.group(dealer.group_id)
    return DealerSettingsPublic(
        **DealerPublic.model_validate(dealer).model_dump(),
        workshop_capacity_per_day=dealer.workshop_capacity_per_day,
        opening_hours=dealer.opening_hours,
        calling_windows=dealer.calling_windows,
        settings=dict(dealer.settings or {}),
        group_settings=dict(group.settings or {}) if group else {},
        defaults=rule_defaults(),
    )


def _dealer(repo: DealerRepository, dealer_id: int, dealer_ids: DealerScope) -> Dealer:
    dealer = repo.dealer(dealer_id, dealer_ids=dealer_ids)
    if dealer is None:
        raise NotFound("dealer not found")
    return dealer


def read_dealer_settings(
    session: Session, *, dealer_id: int, dealer_ids: DealerScope
) -> DealerSettingsPublic:
    repo = DealerRepository(session)
    return _settings_public(repo, _dealer(repo, dealer_id, dealer_ids))


def _check_rules(settings: dict[str, Any], group_settings: dict[str, Any]) -> None:
    errors = [
        {"field": f"settings.{name}", "location": "body", "message": message}
        for name, message in setting_problems(settings)
    ]
    if not errors:
        try:
            DealerPolicy.from_settings({**group_settings, **settings})
        except ValueError as exc:
            errors.append({"field": "settings", "location": "body", "message": str(exc)})
    if errors:
        raise ValidationFailed("invalid rule settings", errors)


def update_dealer_settings(
    session: Session,
    *,
    dealer_id: int,
    change: DealerSettingsUpdate,
    dealer_ids: DealerScope,
    actor: Actor,
) -> DealerSettingsPublic:
    """Apply the given fields (validated like the import) and audit what changed."""
    repo = DealerRepository(session)
    dealer = _dealer(repo, dealer_id, dealer_ids)
    group = repo.group(dealer.group_id)
    fields = ("workshop_capacity_per_day", "opening_hours", "calling_windows", "settings")
    before = {name: getattr(dealer, name) for name in fields}
    if change.settings is not None:
        _check_rules(change.settings, dict(group.settings or {}) if group else {})
        dealer.settings = dict(change.settings)
    if change.workshop_capacity_per_day is not None:
        dealer.workshop_capacity_per_day = change.workshop_capacity_per_day
    for name in ("opening_hours", "calling_windows"):
        value = getattr(change, name)
        if value is not None:
            setattr(
                dealer, name, {day: [list(span) for span in spans] for day, spans in value.items()}
            )
        if name in change.clear:
            setattr(dealer, name, None)
    after = {name: getattr(dealer, name) for name in fields}
    if after != before:
        changed = [name for name in fields if after[name] != before[name]]
        session.add(dealer)
        audit.record(
            session,
            actor=actor,
            action="dealer.update",
            object_type="dealer",
            object_id=dealer_id,
            dealer_id=dealer_id,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
        session.commit()
    return _settings_public(repo, dealer)
