"""The append-only audit log. Other features call ``audit.record(session, ...)`` before their
``session.commit()``::

    from app import audit

    audit.record(session, actor=caller.actor, action="consent.change", object_type="customer",
                 object_id=customer.id, dealer_id=customer.dealer_id,
                 before={"marketing_calls": True}, after={"marketing_calls": False})
    session.commit()
"""

from app.audit.models import ActorType
from app.audit.service import SYSTEM, Actor, record, record_now

__all__ = ["SYSTEM", "ActorType", "Actor", "record", "record_now"]
