"""The ``firelane`` command."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from app.auth.cli import token_cli, user_cli
from app.core import logs, metrics
from app.core.config import ConfigError, Settings, get_settings
from app.core.console import command, database, fail, say
from app.core.db import Database
from app.reports.cli import report_cli
from app.schedules.cli import schedule_cli

# sysexits.h: a configuration error
EX_CONFIG = 78

cli = typer.Typer(
    help="Firelane: fires become cards, chores are scheduled, toil gets priced.",
    no_args_is_help=True,
    add_completion=False,
)
db_cli = typer.Typer(help="Database maintenance.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(user_cli, name="user")
cli.add_typer(token_cli, name="token")
cli.add_typer(schedule_cli, name="schedule")
cli.add_typer(report_cli, name="report")


def _upgrade() -> None:
    from app.core.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Upgrade the database schema to the newest version."""
    _upgrade()
    say("database is at the newest schema")


@db_cli.command("backup")
def db_backup(
    path: Annotated[Path, typer.Argument(help="File to write (replaced whole if it exists).")],
) -> None:
    """Back up the database while Firelane serves (SQLite: online backup; PostgreSQL: pg_dump)."""
    from app.core.backup import BackupError, backup

    url = get_settings().database_url
    if not url.startswith("sqlite"):
        say("PostgreSQL: running pg_dump --format=custom (restore it with pg_restore)")
    try:
        done = backup(url, path)
    except BackupError as exc:
        raise fail(str(exc)) from None
    say(f"backed up to {done.path} ({done.size_bytes} bytes; {done.how})")


@db_cli.command("restore")
def db_restore(
    path: Annotated[Path, typer.Argument(help="A backup made by `firelane db backup`.")],
) -> None:
    """Replace the SQLite database with a backup; every Firelane process must be stopped."""
    from app.core.backup import BackupError, restore

    try:
        done = restore(get_settings().database_url, path)
    except BackupError as exc:
        raise fail(str(exc)) from None
    say(f"restored {done.path} ({done.size_bytes} bytes; {done.how}); `serve` upgrades it")


def _check_settings() -> Settings:
    """Read every group of settings now, so that a wrong one stops the start in one line."""
    from app.alerts.config import get_alert_settings
    from app.hooks.config import get_hooks_settings
    from app.reports.config import get_report_settings

    get_alert_settings()
    get_hooks_settings()
    get_report_settings()
    return get_settings()


def _serving(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"
    return f"Firelane is serving {url} (API docs: {url}/docs). Ctrl+C stops it."


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Options of every uvicorn server: our logging (``app.core.logs`` writes the access
    log), and forwarded headers believed only from FIRELANE_TRUSTED_PROXIES (uvicorn's own
    default believes any local process, e.g. for the login throttle)."""
    trusted = settings.trusted_proxies.strip()
    return {
        "log_config": logs.config(settings.log_format),
        "log_level": None,
        "access_log": False,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
    }


def _run_server(app: Any, settings: Settings, *, host: str, port: int) -> None:
    """Serve one process with uvicorn; say so once it listens, without uvicorn's chatter."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:
                say(_serving(host, port))

    # uvicorn stops on SIGTERM, then raises it again for the handler it found: this one
    # makes that an exit 0 (a stop asked for, done), as docker stop and systemd expect.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    Server(uvicorn.Config(app, host=host, port=port, **_uvicorn_options(settings))).run()


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
    from app.main import create_app

    settings = _check_settings()
    if not access_log:  # the HTTP processes of --workers read it from the environment
        os.environ["FIRELANE_ACCESS_LOG"] = "false"
        settings = settings.model_copy(update={"access_log": False})
    _upgrade()
    scheduler = settings.scheduler and not no_scheduler
    if ingest_writer or workers > 1:
        _serve_with_writer(settings, host=host, port=port, workers=workers, scheduler=scheduler)
        return
    app = create_app(settings, run_scheduler=scheduler)
    _run_server(app, settings, host=host, port=port)


@cli.command("ingest-writer", hidden=True)
def ingest_writer_process(
    socket_path: Annotated[str, typer.Argument(help="Unix socket to listen on.")],
    parent: Annotated[int | None, typer.Option(help="Stop when this process is gone.")] = None,
    standby: Annotated[bool, typer.Option(help="Wait for a line on stdin to start.")] = False,
) -> None:
    """Store the alerts the HTTP processes receive (started by `serve`, not by hand)."""
    from app.alerts.ingest import writer

    writer.run(get_settings().database_url, socket_path, parent=parent, standby=standby)


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _metrics_directory() -> tuple[str, bool]:
    """Where the processes of this ``serve`` write their metrics (prometheus-client's
    multi-process mode): PROMETHEUS_MULTIPROC_DIR if set, else a new private directory."""
    given = os.environ.get(metrics.MULTIPROCESS_ENV)
    if given:
        return given, False
    return tempfile.mkdtemp(prefix="firelane-metrics-", dir=os.environ.get("XDG_RUNTIME_DIR")), True


def _serve_with_writer(
    settings: Settings, *, host: str, port: int, workers: int, scheduler: bool
) -> None:
    """Serve with an ingest writer process, ``workers`` HTTP processes, the jobs once."""
    import uvicorn

    from app.alerts.config import get_alert_settings
    from app.alerts.ingest.process import WRITER_SOCKET_ENV, WriterProcess
    from app.jobs import start_jobs
    from app.main import create_app
    from app.wiring import wire

    # Before any metric holds a value: every process of this serve adds up in /metrics.
    directory, made = _metrics_directory()
    metrics.use_directory(directory)
    writer = WriterProcess([sys.executable, "-m", "app.cli", "ingest-writer"])
    writer.start()
    # uvicorn shuts down on SIGTERM, then raises it again for the handler it found: this
    # one turns it into an exit that runs the clean-up below (the writer, its socket).
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    say(
        f"{workers} HTTP process(es), ingest writer [{writer.pid}], "
        f"scheduler {'on' if scheduler else 'off'}"
    )
    try:
        if workers == 1:  # this process serves, and runs the jobs as `serve` does
            alerts = get_alert_settings().model_copy(update={"writer_socket": writer.path})
            app = create_app(settings, run_scheduler=scheduler, alert_settings=alerts)
            _run_server(app, settings, host=host, port=port)
            return
        # The HTTP processes are started afresh (uvicorn calls create_app in each): they
        # inherit this environment, so it tells them to run no jobs and where the writer is.
        os.environ["FIRELANE_SCHEDULER"] = "false"
        os.environ[WRITER_SOCKET_ENV] = writer.path
        wire()  # this process runs the jobs: their events must reach rules and webhooks
        jobs_db = Database.from_url(settings.database_url)
        stop_jobs = start_jobs(jobs_db, settings) if scheduler else None
        options = _uvicorn_options(settings)
        try:
            factory = "app.main:create_app"
            uvicorn.run(factory, factory=True, workers=workers, host=host, port=port, **options)
        finally:
            if stop_jobs is not None:
                stop_jobs()
            jobs_db.dispose()
    finally:
        writer.stop()
        if made:
            shutil.rmtree(directory, ignore_errors=True)


@cli.command()
def worker() -> None:
    """Run the scheduler and background jobs without serving HTTP."""
    from app.worker import run

    settings = _check_settings()
    _upgrade()
    run(settings)


def _must_read(line: str) -> bool:
    """What --quiet keeps of the demo's output: its own lines (the result, a password), and
    of the indented progress lines under them those with a URL or a token to copy."""
    return not line.startswith(" ") or "://" in line or "Bearer " in line


@cli.command()
def demo(
    quiet: Annotated[
        bool, typer.Option("--quiet", help="Print only credentials, URLs and the result.")
    ] = False,
) -> None:
    """Seed a realistic demo board (once; a second run changes nothing)."""
    from app.demo import seed
    from app.reports.config import get_report_settings
    from app.reports.jobs import publish_due
    from app.schedules.jobs import tick

    told: list[str] = []

    def tell(message: str) -> None:
        told.append(message)
        if not quiet or _must_read(message):
            say(message)

    _upgrade()
    with database() as db:
        seed(db, say=tell, settings=get_settings())
        # The chores already due get their cards now rather than from the server's first
        # tick, whose note would follow the line that says where Firelane serves.
        chores = tick(db).created
        # Likewise last week's report: stored and published now, not by the first run.
        report = publish_due(db, get_settings(), get_report_settings())
    if chores:
        tell(f"  schedule: {chores} chore card(s) due now")
    if report.published:
        tell(f"  report: {report.week} stored and published for each board and all boards")
    if quiet and not any("password" in line for line in told):
        say(f"(admin's password was shown once; a new one: {command()} user set-password admin)")


def _configure_logs() -> None:
    """Log at INFO, less what a person running Firelane does not need to read, in the
    format of FIRELANE_LOG_FORMAT (text until the settings are read; a wrong setting is
    reported by the command that reads them)."""
    logs.configure("text")
    try:
        log_format = get_settings().log_format
    except ConfigError:
        return
    if log_format != "text":
        logs.configure(log_format)


def main() -> None:
    _configure_logs()
    from app.wiring import wire

    wire()  # commands that change cards feed webhooks and rules like the API does
    try:
        cli()
    except ConfigError as exc:
        fail(str(exc))
        sys.exit(EX_CONFIG)


if __name__ == "__main__":
    main()
