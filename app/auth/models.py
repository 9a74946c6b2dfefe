"""Users, their API tokens and browser sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.clock import now
from app.core.db import UTCDateTime


class Role(StrEnum):
    """What a user may do: viewers read, members work cards, admins manage everything."""

    viewer = "viewer"
    member = "member"
    admin = "admin"

    @property
    def level(self) -> int:
        return _LEVELS[self]

    def allows(self, needed: Role) -> bool:
        return self.level >= needed.level


_LEVELS = {Role.viewer: 0, Role.member: 1, Role.admin: 2}


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    role: Role = Field(sa_type=sa.String(16))
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = True
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)

    @property
    def actor(self) -> str:
        return f"user:{self.name}"


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    label: str = Field(default="", max_length=120)
    token_hash: str = Field(max_length=64, unique=True)
    # The first characters of the token, so a user can tell tokens apart in a list.
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserSession(SQLModel, table=True):
    """A browser login; the cookie holds the secret, the row holds its hash."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    last_seen_at: datetime = Field(default_factory=now, sa_type=UTCDateTime)
