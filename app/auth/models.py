"""Users of the UI and API, their dealer scopes, browser sessions and integration API keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import Column, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.audit.models import UtcDatetime
from app.enums import Role
from app.model_base import Timestamped, enum_check, tz_datetime, utcnow
from app.types import JsonType


class ApiScope(StrEnum):
    IMPORT_WRITE = "import:write"
    READ = "read"
    WEBHOOK = "webhook"


class User(Timestamped, table=True):
    """A person. Scope: ``group_id`` (every dealer of the group) plus the ``user_dealer`` rows;
    an admin with neither is a platform administrator (every dealer, the global catalogue)."""

    __tablename__ = "app_user"
    __table_args__ = (UniqueConstraint("email"), enum_check("role", Role))

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=16)
    group_id: int | None = Field(default=None, foreign_key="dealer_group.id", index=True)
    language: str = Field(default="en", max_length=16)
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": text("true")})


class UserDealer(SQLModel, table=True):
    """A dealer (rooftop) a user may work on, besides those of the user's group."""

    __tablename__ = "user_dealer"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    dealer_id: int = Field(foreign_key="dealer.id", primary_key=True, index=True)


class UserSession(SQLModel, table=True):
    """A browser session. Only the SHA-256 of the cookie's random token is stored."""

    __tablename__ = "user_session"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=tz_datetime())
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=tz_datetime())
    ip: str | None = Field(default=None, max_length=64)


class ApiKey(SQLModel, table=True):
    """An integration key of one dealer. The secret is shown once; its SHA-256 is kept, with a
    visible prefix to find the row."""

    __tablename__ = "api_key"
    __table_args__ = (UniqueConstraint("prefix"),)

    id: int | None = Field(default=None, primary_key=True)
    dealer_id: int = Field(foreign_key="dealer.id", index=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64)
    scopes: list[str] = Field(
        default_factory=list, sa_column=Column(JsonType, nullable=False, server_default="[]")
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=tz_datetime())
    created_by_user_id: int | None = Field(
        default=None, foreign_key="app_user.id", ondelete="SET NULL"
    )
    last_used_at: datetime | None = Field(default=None, sa_type=tz_datetime())
    revoked_at: datetime | None = Field(default=None, sa_type=tz_datetime())


# API models ------------------------------------------------------------------------------------


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = PydanticField(min_length=3, max_length=254)
    password: str = PydanticField(min_length=1, max_length=1024)


class UserPublic(BaseModel):
    id: int
    email: str
    display_name: str
    role: Role
    group_id: int | None
    dealer_ids: list[int] | None = PydanticField(
        description="the dealers the user may see; null means every dealer"
    )


class SessionPublic(BaseModel):
    user: UserPublic
    csrf_token: str = PydanticField(
        description="send it as X-CSRF-Token on every POST/PUT/PATCH/DELETE made with the cookie"
    )


class ApiKeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dealer_id: int = PydanticField(ge=1, le=2**31 - 1)
    name: str = PydanticField(min_length=1, max_length=100)
    scopes: list[ApiScope] = PydanticField(min_length=1, max_length=3)


class ApiKeyPublic(BaseModel):
    id: int
    dealer_id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: UtcDatetime
    last_used_at: UtcDatetime | None
    revoked_at: UtcDatetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = PydanticField(description="the secret; shown only in this response")


class ApiKeysPublic(BaseModel):
    data: list[ApiKeyPublic]
    count: int


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: str = PydanticField(pattern=r"^(en|cs|fi|uk|ru)$", description="the UI language")


class UserAdminPublic(BaseModel):
    id: int
    email: str
    display_name: str
    role: Role
    group_id: int | None
    dealer_ids: list[int] = PydanticField(description="dealers linked one by one (besides a group)")
    language: str
    is_active: bool


class UsersPublic(BaseModel):
    data: list[UserAdminPublic]
    count: int
    limit: int
    offset: int


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str = PydanticField(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    display_name: str = PydanticField(min_length=1, max_length=200)
    role: Role
    password: str = PydanticField(min_length=1, max_length=1024)
    dealer_ids: list[int] = PydanticField(
        default_factory=list,
        max_length=200,
        description="the dealers the user works on; none: a platform administrator (admins only)",
    )
    language: str = PydanticField(default="en", pattern=r"^(en|cs|fi|uk|ru)$")

    @field_validator("dealer_ids")
    @classmethod
    def _ids(cls, value: list[int]) -> list[int]:
        if any(not 1 <= v <= 2**31 - 1 for v in value):
            raise ValueError("dealer ids are positive integers")
        return sorted(set(value))


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    display_name: str | None = PydanticField(default=None, min_length=1, max_length=200)
    role: Role | None = None
    dealer_ids: list[int] | None = PydanticField(default=None, max_length=200)
    is_active: bool | None = None

    @field_validator("dealer_ids")
    @classmethod
    def _ids(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and any(not 1 <= v <= 2**31 - 1 for v in value):
            raise ValueError("dealer ids are positive integers")
        return None if value is None else sorted(set(value))
