"""The ``firelane`` command."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from app.core.config import get_settings
from app.core.db import Database
from app.core.errors import AppError
from app.schedules.cli import schedule_cli

cli = typer.Typer(
    help="Firelane: fires become cards, chores are scheduled, toil gets priced.",
    no_args_is_help=True,
    add_completion=False,
)
db_cli = typer.Typer(help="Database maintenance.", no_args_is_help=True)
user_cli = typer.Typer(help="Manage users.", no_args_is_help=True)
token_cli = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(user_cli, name="user")
cli.add_typer(token_cli, name="token")
cli.add_typer(schedule_cli, name="schedule")


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def _upgrade() -> None:
    from app.core.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to the newest version."""
    _upgrade()
    _say("database is at the newest schema")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_scheduler: Annotated[
        bool, typer.Option("--no-scheduler", help="Run no periodic jobs (for API replicas).")
    ] = False,
) -> None:
    """Upgrade the database, then serve the API and the UI."""
    import uvicorn

    from app.main import create_app

    settings = get_settings()
    _upgrade()
    scheduler = settings.scheduler and not no_scheduler
    app = create_app(settings, run_scheduler=scheduler)
    _say(f"Firelane on http://{host}:{port} (scheduler {'on' if scheduler else 'off'})")
    uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)


@cli.command()
def worker() -> None:
    """Run the scheduler and background jobs without serving HTTP."""
    from app.worker import run

    _upgrade()
    run(get_settings())


@user_cli.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="admin, member or viewer.")] = "member",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user; without --password-stdin it can use API tokens only."""
    from pydantic import ValidationError

    from app.auth import service
    from app.auth.schemas import UserCreate

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        data = UserCreate.model_validate({"name": name, "role": role, "password": password or None})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}", 2) from exc
    db = Database.from_url(get_settings().database_url)
    try:
        with db.session() as session:
            user = service.create_user(session, data=data)
    except AppError as exc:
        raise _fail(exc.detail) from exc
    finally:
        db.dispose()
    _say(f"created {user.role} {user.name!r} (id {user.id})")


@token_cli.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
) -> None:
    """Create an API token and print only the token on standard output."""
    from app.auth import service

    db = Database.from_url(get_settings().database_url)
    try:
        with db.session() as session:
            user = service.get_user_by_name(session, name)
            if user is None:
                raise _fail(f"no user is named {name!r}")
            _token, secret = service.create_token(session, user=user, label=label[:120])
    finally:
        db.dispose()
    typer.echo(secret)


@cli.command()
def demo() -> None:
    """Seed a realistic demo board (once; a second run changes nothing)."""
    from app.demo import seed

    _upgrade()
    db = Database.from_url(get_settings().database_url)
    try:
        seed(db, say=_say, settings=get_settings())
    finally:
        db.dispose()


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from app.jobs import wire

    wire()  # commands that change cards feed webhooks and rules like the API does
    cli()


if __name__ == "__main__":
    main()
