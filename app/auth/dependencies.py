"""Who is calling, and may they: the dependencies every router uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from app.auth import credentials, service
from app.auth.exceptions import CsrfFailed, UserNotFound
from app.auth.models import Role, User
from app.core.config import app_settings
from app.core.db import SAFE_METHODS, SessionDep, get_database
from app.core.errors import Forbidden, NotAuthenticated
from app.core.schemas import Id

SESSION_COOKIE = "firelane_session"
CSRF_COOKIE = "firelane_csrf"
CSRF_HEADER = "X-CSRF-Token"


# Declared here so that the OpenAPI document names them (the docs' "Authorize" button).
API_TOKEN = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    description="An API token (`firelane token create NAME`, or `POST /api/v1/tokens`).",
)
BROWSER_SESSION = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="browserSession",
    description="Set by `POST /api/v1/auth/login`; writes also need the X-CSRF-Token header.",
)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated("Send the API token as 'Authorization: Bearer <token>'.")
    return value.strip()


def get_current_user(
    request: Request,
    session: SessionDep,
    _api_token: Annotated[HTTPAuthorizationCredentials | None, Security(API_TOKEN)] = None,
    _browser_session: Annotated[str | None, Security(BROWSER_SESSION)] = None,
) -> User:
    """Authenticate by Bearer token, or by session cookie with CSRF on writes.

    The credentials are read from the request (this is also called outside a route); the
    two security parameters only name them in the OpenAPI document.
    """
    secret = _bearer(request)
    if secret is not None:
        found = service.user_for_token(session, secret)
        if found is None:
            raise NotAuthenticated("The API token is unknown or revoked, or its user is disabled.")
        user, token = found
        if service.token_needs_touch(token) and token.id is not None:
            if request.method in SAFE_METHODS:
                # A write of its own, so that a reading request stays a reading transaction.
                with get_database(request).session() as writer:
                    service.touch_token(writer, token_id=token.id)
            else:
                # This request holds the write lock already: the touch commits with its work.
                service.mark_token_used(session, token=token)
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        user_or_none = service.user_for_session(session, cookie)
        if user_or_none is None:
            raise NotAuthenticated("The session has expired; log in again.")
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            expected = credentials.csrf_token(app_settings(request).secret_key, cookie)
            if not credentials.same(sent, expected):
                raise CsrfFailed()
        return user_or_none
    raise NotAuthenticated()


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(needed: Role) -> Callable[[User], User]:
    """Build a dependency that lets through users whose role is at least ``needed``."""

    def _check(user: CurrentUser) -> User:
        if not Role(user.role).allows(needed):
            raise Forbidden(f"This needs the {needed.value} role; you are a {user.role}.")
        return user

    return _check


Viewer = Annotated[User, Depends(require_role(Role.viewer))]
Member = Annotated[User, Depends(require_role(Role.member))]
Admin = Annotated[User, Depends(require_role(Role.admin))]


def get_user_or_404(user_id: Id, session: SessionDep, _user: Viewer) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise UserNotFound()
    return user


UserDep = Annotated[User, Depends(get_user_or_404)]
