"""``Annotated`` dependency aliases used by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from app.db import get_session
from app.enums import Role
from app.security.access import ALL_ROLES, allow
from app.security.principal import Principal
from app.settings import Settings, get_settings

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
# Callers (each alias is also the route's access declaration; see app/security/access.py).
AnyUser = Annotated[Principal, Depends(allow(roles=ALL_ROLES))]
AdminUser = Annotated[Principal, Depends(allow(roles={Role.ADMIN}))]
