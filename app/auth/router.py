"""Login, users and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlmodel import col, select

from app.auth import credentials, service
from app.auth.dependencies import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    Admin,
    CurrentUser,
    UserDep,
    Viewer,
)
from app.auth.models import ApiToken, User
from app.auth.schemas import (
    LoginRequest,
    SessionPublic,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from app.auth.throttle import LoginThrottle
from app.core.config import SettingsDep
from app.core.db import SessionDep
from app.core.pagination import Cursor, Limit, Page, decode_cursor, encode_cursor
from app.core.schemas import Id

router = APIRouter(tags=["auth"])


@router.post("/auth/login", response_model=SessionPublic)
def login(
    data: LoginRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
) -> SessionPublic:
    """Log in with name and password; sets the session cookie and returns the CSRF token."""
    throttle: LoginThrottle = request.app.state.login_throttle
    address = request.client.host if request.client else "unknown"
    user = throttle.authenticate(session, name=data.name, password=data.password, address=address)
    secret = service.start_session(session, user=user, days=settings.session_days)
    csrf = credentials.csrf_token(settings.secret_key, secret)
    max_age = settings.session_days * 86400
    secure = settings.secure_cookies
    response.set_cookie(
        SESSION_COOKIE, secret, max_age=max_age, httponly=True, samesite="lax", secure=secure
    )
    response.set_cookie(CSRF_COOKIE, csrf, max_age=max_age, samesite="strict", secure=secure)
    return SessionPublic(user=UserPublic.model_validate(user), csrf_token=csrf)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, session: SessionDep, _user: CurrentUser) -> None:
    """End the browser session."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        service.end_session(session, cookie)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)


@router.get("/auth/me", response_model=SessionPublic)
def me(request: Request, user: CurrentUser, settings: SettingsDep) -> SessionPublic:
    """Return the calling user (and, for a browser session, its CSRF token)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    use_cookie = cookie and "authorization" not in request.headers
    csrf = credentials.csrf_token(settings.secret_key, cookie) if use_cookie and cookie else None
    return SessionPublic(user=UserPublic.model_validate(user), csrf_token=csrf)


@router.get("/users", response_model=Page[UserPublic])
def list_users(
    session: SessionDep, _user: Viewer, limit: Limit = 50, cursor: Cursor = None
) -> Page[UserPublic]:
    """List users by name (every role can see who can be assigned)."""
    query = select(User).order_by(col(User.name)).limit(limit + 1)
    if cursor:
        (after,) = decode_cursor(cursor, "user", (str,))
        query = query.where(User.name > after)
    rows = list(session.exec(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[UserPublic.model_validate(u) for u in rows],
        next_cursor=encode_cursor("user", rows[-1].name) if more else None,
    )


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(data: UserCreate, session: SessionDep, _admin: Admin) -> User:
    """Create a user (admin)."""
    return service.create_user(session, data=data)


@router.get("/users/{user_id:int}", response_model=UserPublic)
def get_user(user: UserDep) -> User:
    """Read one user (every role, as in the list: who can be assigned)."""
    return user


@router.patch("/users/{user_id:int}", response_model=UserPublic)
def update_user(data: UserUpdate, user: UserDep, session: SessionDep, _admin: Admin) -> User:
    """Change a user's role, activity or password (admin)."""
    return service.update_user(session, user=user, data=data)


@router.get("/tokens", response_model=Page[TokenPublic])
def list_tokens(
    session: SessionDep, user: CurrentUser, limit: Limit = 50, cursor: Cursor = None
) -> Page[TokenPublic]:
    """List your own API tokens (never the tokens themselves)."""
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(col(ApiToken.id).desc())
        .limit(limit + 1)
    )
    if cursor:
        (before,) = decode_cursor(cursor, "token", (int,))
        query = query.where(col(ApiToken.id) < before)
    rows = list(session.exec(query))
    more = len(rows) > limit
    rows = rows[:limit]
    last_id = rows[-1].id if rows else None
    return Page(
        items=[TokenPublic.model_validate(t) for t in rows],
        next_cursor=encode_cursor("token", last_id) if more and last_id is not None else None,
    )


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(data: TokenCreate, session: SessionDep, user: CurrentUser) -> TokenCreated:
    """Create an API token for yourself; the response is the only time it is shown."""
    token, secret = service.create_token(session, user=user, label=data.label)
    return TokenCreated(**TokenPublic.model_validate(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id:int}", response_model=TokenPublic)
def revoke_token(token_id: Id, session: SessionDep, user: CurrentUser) -> ApiToken:
    """Revoke one of your tokens (admins may revoke anyone's)."""
    owner = None if user.role == "admin" else user
    token = service.get_token(session, token_id=token_id, owner=owner)
    return service.revoke_token(session, token=token)
