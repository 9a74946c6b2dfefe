"""The ``firelane`` command."""

from __future__ import annotations

import logging
import os
import signal
import sys
from typing import Annotated, Any

import typer

from app.core.config import Settings, get_settings
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
    workers: Annotated[
        int, typer.Option(min=1, help="HTTP processes; 2 or more imply --ingest-writer.")
    ] = 1,
    ingest_writer: Annotated[
        bool,
        typer.Option(
            "--ingest-writer",
            help="Store incoming alerts in one process of their own (see the README).",
        ),
    ] = False,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = True,
) -> None:
    """Upgrade the database, then serve the API (and, unless told not to, the jobs)."""
    import uvicorn

    from app.main import create_app

    settings = get_settings()
    _upgrade()
    scheduler = settings.scheduler and not no_scheduler
    if ingest_writer or workers > 1:
        _serve_with_writer(
            settings,
            host=host,
            port=port,
            workers=workers,
            scheduler=scheduler,
            access_log=access_log,
        )
        return
    app = create_app(settings, run_scheduler=scheduler)
    _say(f"Firelane on http://{host}:{port} (scheduler {'on' if scheduler else 'off'})")
    uvicorn.run(
        app, host=host, port=port, log_level="info", access_log=access_log, **_proxies(settings)
    )


@cli.command("ingest-writer", hidden=True)
def ingest_writer_process(
    socket_path: Annotated[str, typer.Argument(help="Unix socket to listen on.")],
    parent: Annotated[int | None, typer.Option(help="Stop when this process is gone.")] = None,
) -> None:
    """Store the alerts the HTTP processes receive (started by `serve`, not by hand)."""
    from app.alerts import writer

    writer.run(get_settings().database_url, socket_path, parent=parent)


def _proxies(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for forwarded headers: believed only from FIRELANE_TRUSTED_PROXIES
    (uvicorn's own default believes any local process, e.g. for the login throttle)."""
    trusted = settings.trusted_proxies.strip()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _serve_with_writer(
    settings: Settings, *, host: str, port: int, workers: int, scheduler: bool, access_log: bool
) -> None:
    """Serve with an ingest writer process, ``workers`` HTTP processes, the jobs once."""
    import uvicorn

    from app.alerts.config import get_alert_settings
    from app.alerts.serving import WRITER_SOCKET_ENV, WriterProcess
    from app.jobs import start_jobs
    from app.main import create_app

    writer = WriterProcess([sys.executable, "-m", "app.cli", "ingest-writer"])
    writer.start()
    # uvicorn shuts down on SIGTERM, then raises it again for the handler it found: this
    # one turns it into an exit that runs the clean-up below (the writer, its socket).
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    os.environ[WRITER_SOCKET_ENV] = writer.path  # read by the HTTP processes' settings
    get_alert_settings.cache_clear()
    _say(
        f"Firelane on http://{host}:{port}: {workers} HTTP process(es), ingest writer "
        f"[{writer.pid}], scheduler {'on' if scheduler else 'off'}"
    )
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "access_log": access_log,
        **_proxies(settings),
    }
    try:
        if workers == 1:  # this process serves, and runs the jobs as `serve` does
            uvicorn.run(create_app(settings, run_scheduler=scheduler), **options)
            return
        # The HTTP processes are started afresh, run no jobs, and find the writer by env.
        os.environ["FIRELANE_SCHEDULER"] = "false"
        jobs_db = Database.from_url(settings.database_url)
        stop_jobs = start_jobs(jobs_db, settings) if scheduler else None
        try:
            uvicorn.run("app.main:create_app", factory=True, workers=workers, **options)
        finally:
            if stop_jobs is not None:
                stop_jobs()
            jobs_db.dispose()
    finally:
        writer.stop()


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
