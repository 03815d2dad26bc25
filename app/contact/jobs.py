"""Contact-centre jobs for the scheduler (plain functions; ``app/scheduler`` wires them)."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from app.contact import supervisor as supervisor_service
from app.db import session_scope
from app.model_base import utcnow

log = logging.getLogger(__name__)

# How often the scheduler should run it: a lease lasts 5 minutes (app/contact/service.py LEASE).
RELEASE_EVERY_SECONDS = 60


def release_expired_leases(engine: Engine | None = None) -> int:
    """Return every call task whose lease has expired to the queue; the number released.

    ``next-call`` also releases expired leases as it claims, so this job only keeps the
    supervisor's figures (tasks held per agent, queue depth) true when nobody is claiming.
    """
    with session_scope(engine) as session:
        released = supervisor_service.release_expired_leases(session, now=utcnow())
    if released:
        log.info("released %d expired call-task lease(s)", released)
    return released
