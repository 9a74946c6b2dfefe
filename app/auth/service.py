"""Users, tokens and sessions: every public function owns one commit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.auth import credentials
from app.auth.exceptions import InvalidCredentials, LastAdmin, TokenNotFound, UserExists
from app.auth.models import ApiToken, Role, User, UserSession
from app.auth.schemas import UserCreate, UserUpdate
from app.core.clock import now
from app.core.db import pk

# last_used_at is written at most this often per token, so reads stay reads.
TOUCH_EVERY = timedelta(minutes=1)


def get_user_by_name(session: Session, name: str) -> User | None:
    return session.exec(select(User).where(User.name == name)).first()


def list_users(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.exec(select(User).order_by(col(User.name))))


def create_user(session: Session, *, data: UserCreate) -> User:
    """Create a user; the name is unique."""
    if get_user_by_name(session, data.name) is not None:
        raise UserExists(f"A user named {data.name!r} exists already.")
    user = User(
        name=data.name,
        role=data.role,
        password_hash=credentials.hash_password(data.password) if data.password else None,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError as exc:  # a concurrent create of the same name
        session.rollback()
        raise UserExists(f"A user named {data.name!r} exists already.") from exc
    return user


def _active_admins(session: Session) -> int:
    """Count the active admins, locking their rows until the commit: two admins demoting
    each other at once on PostgreSQL both saw two admins before (SQLite's write lock
    already serialised them)."""
    query = (
        select(User.id)
        .where(User.role == Role.admin, col(User.is_active).is_(True))
        .with_for_update()
    )
    return len(list(session.exec(query)))


def update_user(session: Session, *, user: User, data: UserUpdate) -> User:
    """Change a user's role, activity or password; never remove the last active admin."""
    demoting = data.role is not None and data.role != Role.admin
    disabling = data.is_active is False
    losing_admin = user.role == Role.admin and user.is_active and (demoting or disabling)
    if losing_admin and _active_admins(session) <= 1:
        raise LastAdmin()
    if data.role is not None:
        user.role = data.role
    if data.is_active is not None:
        user.is_active = data.is_active
        if not data.is_active:
            _end_all_sessions(session, user)
    if data.password is not None:
        user.password_hash = credentials.hash_password(data.password)
        _end_all_sessions(session, user)
    session.add(user)
    session.commit()
    return user


def _end_all_sessions(session: Session, user: User) -> None:
    for row in session.exec(select(UserSession).where(UserSession.user_id == user.id)):
        session.delete(row)


def authenticate(session: Session, *, name: str, password: str) -> User:
    """Return the active user with this name and password, or raise InvalidCredentials."""
    user = get_user_by_name(session, name)
    valid = credentials.verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        raise InvalidCredentials()
    return user


def create_token(session: Session, *, user: User, label: str = "") -> tuple[ApiToken, str]:
    """Create an API token for ``user``; the plaintext is returned here and never again."""
    secret = credentials.new_secret()
    token = ApiToken(
        user_id=pk(user),
        label=label,
        token_hash=credentials.hash_secret(secret),
        prefix=secret[:10],
    )
    session.add(token)
    session.commit()
    return token, secret


def list_tokens(session: Session, *, user: User) -> list[ApiToken]:
    """A user's API tokens, revoked ones included, oldest first."""
    query = select(ApiToken).where(ApiToken.user_id == pk(user)).order_by(col(ApiToken.id))
    return list(session.exec(query))


def get_token(session: Session, *, token_id: int, owner: User | None) -> ApiToken:
    """Load a token by id; with an owner, only that owner's tokens are found."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner is not None and token.user_id != owner.id):
        raise TokenNotFound()
    return token


def revoke_token(session: Session, *, token: ApiToken) -> ApiToken:
    """Revoke a token; revoking twice is harmless."""
    if token.revoked_at is None:
        token.revoked_at = now()
        session.add(token)
        session.commit()
    return token


def user_for_token(session: Session, secret: str) -> tuple[User, ApiToken] | None:
    """Find the active user behind an API token that is not revoked."""
    query = (
        select(User, ApiToken)
        .join(ApiToken, col(ApiToken.user_id) == col(User.id))
        .where(ApiToken.token_hash == credentials.hash_secret(secret))
        .where(col(ApiToken.revoked_at).is_(None), col(User.is_active).is_(True))
    )
    row = session.exec(query).first()
    return (row[0], row[1]) if row else None


def token_needs_touch(token: ApiToken) -> bool:
    return token.last_used_at is None or now() - token.last_used_at >= TOUCH_EVERY


def mark_token_used(session: Session, *, token: ApiToken) -> None:
    """Stamp last_used_at in the caller's unit of work (it commits with it)."""
    token.last_used_at = now()
    session.add(token)


def touch_token(session: Session, *, token_id: int) -> None:
    """Record that a token was just used."""
    token = session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = now()
        session.add(token)
        session.commit()


def start_session(session: Session, *, user: User, days: int) -> str:
    """Open a browser session for ``user`` and return the cookie secret."""
    secret = credentials.new_secret("fls_")
    started = now()
    session.add(
        UserSession(
            user_id=pk(user),
            token_hash=credentials.hash_secret(secret),
            created_at=started,
            last_seen_at=started,
            expires_at=started + timedelta(days=days),
        )
    )
    # Expired sessions of this user are swept on the way.
    for old in session.exec(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at < started)
    ):
        session.delete(old)
    session.commit()
    return secret


def user_for_session(session: Session, secret: str) -> User | None:
    """Find the active user behind a session cookie that has not expired."""
    query = (
        select(User)
        .join(UserSession, col(UserSession.user_id) == col(User.id))
        .where(UserSession.token_hash == credentials.hash_secret(secret))
        .where(UserSession.expires_at > now(), col(User.is_active).is_(True))
    )
    return session.exec(query).first()


def end_session(session: Session, secret: str) -> None:
    """Forget a browser session; unknown secrets are ignored."""
    query = select(UserSession).where(UserSession.token_hash == credentials.hash_secret(secret))
    for row in session.exec(query):
        session.delete(row)
    session.commit()


def purge_expired_sessions(session: Session) -> int:
    """Delete expired browser sessions; safe to run anywhere, any number of times."""
    rows = list(session.exec(select(UserSession).where(UserSession.expires_at <= now())))
    for row in rows:
        session.delete(row)
    session.commit()
    return len(rows)
