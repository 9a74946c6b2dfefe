"""``firelane user`` and ``firelane token``: what an admin does at the server's shell."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlmodel import Session

from app.auth import service
from app.auth.models import Role, User
from app.auth.schemas import UserCreate, UserUpdate
from app.core.console import database, fail, minute, say, table
from app.core.errors import AppError

user_cli = typer.Typer(help="Manage users.", no_args_is_help=True)
token_cli = typer.Typer(help="Manage API tokens.", no_args_is_help=True)

PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise fail("give --password-stdin to read the password from standard input", 2)
    password: str = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    return password


def _invalid(exc: ValidationError) -> typer.Exit:
    first = exc.errors()[0]
    return fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}", 2)


def _user(session: Session, name: str) -> User:
    user = service.get_user_by_name(session, name)
    if user is None:
        raise fail(f"no user is named {name!r} (see: firelane user list)")
    return user


def _update(name: str, data: UserUpdate) -> tuple[User, bool]:
    """Change a user; also tell whether the user was active before."""
    with database() as db, db.session() as session:
        user = _user(session, name)
        was_active = user.is_active
        try:
            return service.update_user(session, user=user, data=data), was_active
        except AppError as exc:
            raise fail(exc.detail) from exc


@user_cli.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")] = Role.member,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user; without --password-stdin it can use API tokens only."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        data = UserCreate.model_validate({"name": name, "role": role, "password": password or None})
    except ValidationError as exc:
        raise _invalid(exc) from exc
    with database() as db, db.session() as session:
        try:
            user = service.create_user(session, data=data)
        except AppError as exc:
            raise fail(exc.detail) from exc
        say(f"created {user.role} {user.name!r} (id {user.id})")


@user_cli.command("list")
def user_list() -> None:
    """List users: name, role, whether they may log in, and since when."""
    with database() as db, db.session(readonly=True) as session:
        users = service.list_users(session)
    rows = [("NAME", "ROLE", "STATE", "LOGIN", "CREATED")]
    for user in users:
        rows.append(
            (
                user.name,
                str(user.role),
                "active" if user.is_active else "disabled",
                "password" if user.password_hash else "tokens only",
                minute(user.created_at),
            )
        )
    table(rows)


@user_cli.command("set-password")
def user_set_password(
    name: Annotated[str, typer.Argument(help="Login name.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password (asked twice at a terminal); their browser sessions end."""
    try:
        data = UserUpdate(password=_read_password(password_stdin))
    except ValidationError as exc:
        raise _invalid(exc) from exc
    user, _ = _update(name, data)
    say(f"changed the password of {user.name!r}; their browser sessions were ended")


@user_cli.command("disable")
def user_disable(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Disable a user: no login, no API token works, sessions end (never the last admin)."""
    user, was_active = _update(name, UserUpdate(is_active=False))
    if not was_active:
        say(f"{user.name!r} was disabled already")
        return
    say(f"disabled {user.name!r}: their sessions ended and their API tokens stopped working")


@user_cli.command("enable")
def user_enable(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Enable a disabled user again (their tokens that were not revoked work again)."""
    user, was_active = _update(name, UserUpdate(is_active=True))
    say(f"{user.name!r} was active already" if was_active else f"enabled {user.name!r}")


@token_cli.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
) -> None:
    """Create an API token and print only the token on standard output."""
    with database() as db, db.session() as session:
        _token, secret = service.create_token(session, user=_user(session, name), label=label[:120])
    typer.echo(secret)


@token_cli.command("list")
def token_list(name: Annotated[str, typer.Argument(help="The user whose tokens to list.")]) -> None:
    """List a user's API tokens (their first characters, never the tokens)."""
    with database() as db, db.session(readonly=True) as session:
        tokens = service.list_tokens(session, user=_user(session, name))
    rows = [("ID", "LABEL", "STARTS WITH", "CREATED", "LAST USED", "REVOKED")]
    for token in tokens:
        rows.append(
            (
                str(token.id),
                token.label or "-",
                token.prefix,
                minute(token.created_at),
                minute(token.last_used_at),
                minute(token.revoked_at),
            )
        )
    table(rows)


@token_cli.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's ID (see token list).")],
) -> None:
    """Revoke an API token: it stops working at once; revoking twice is harmless."""
    with database() as db, db.session() as session:
        try:
            token = service.get_token(session, token_id=token_id, owner=None)
        except AppError as exc:
            raise fail(f"no API token has the id {token_id} (see: token list NAME)") from exc
        owner = session.get(User, token.user_id)
        assert owner is not None  # the token row references its user
        already = token.revoked_at is not None
        service.revoke_token(session, token=token)
        whose = f"token {token_id} ({token.label or 'no label'}) of {owner.name!r}"
    say(f"{whose} was revoked already" if already else f"revoked {whose}")
