"""Request and response shapes of users, tokens and sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.auth.models import Role
from app.core.schemas import Patch, StrictModel

UserName = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")
]
Password = Annotated[str, Field(min_length=8, max_length=256)]


class UserCreate(StrictModel):
    name: UserName
    role: Role = Role.member
    password: Password | None = None


class UserUpdate(Patch):
    role: Role | None = None
    is_active: bool | None = None
    password: Password | None = None


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Role
    is_active: bool
    created_at: datetime


class TokenCreate(StrictModel):
    label: str = Field(default="", max_length=120)


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    label: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenPublic):
    """The one response that carries the token itself; it is never shown again."""

    token: str


class LoginRequest(StrictModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class SessionPublic(BaseModel):
    user: UserPublic
    csrf_token: str | None = None
