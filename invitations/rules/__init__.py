"""One module per invitation type. Each exposes ``evaluate(vehicle, *, customer, today, policy)``
returning a list of :class:`~invitations.model.Invitation` with status ``due`` (the engine applies
the contact policy afterwards), and ``MESSAGES``, the explanation msgids it uses."""

from invitations.rules import (
    churn_risk,
    first_service,
    lapsed,
    next_service,
    no_show,
    recall,
    seasonal,
    warranty_expiry,
)

__all__ = [
    "churn_risk",
    "first_service",
    "lapsed",
    "next_service",
    "no_show",
    "recall",
    "seasonal",
    "warranty_expiry",
]
