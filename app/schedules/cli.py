"""``firelane schedule``: list schedules and run the due ones from the command line."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from app.core.config import get_settings
from app.core.db import Database

schedule_cli = typer.Typer(help="Recurring maintenance schedules.", no_args_is_help=True)


def _local(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


@schedule_cli.command("list")
def list_command(
    board: Annotated[
        str | None, typer.Option(help="Only the schedules of this board slug.")
    ] = None,
    paused: Annotated[
        bool | None, typer.Option("--paused/--enabled", help="Only paused or only enabled ones.")
    ] = None,
) -> None:
    """List schedules with their recurrence and next run (in each schedule's timezone)."""
    from sqlmodel import col, select

    from app.boards.models import Board
    from app.boards.service import get_board_by_slug
    from app.core.errors import AppError
    from app.schedules import service

    db = Database.from_url(get_settings().database_url)
    try:
        with db.session(readonly=True) as session:
            try:
                board_id = get_board_by_slug(session, board).id if board else None
            except AppError as exc:
                typer.secho(f"error: {exc.detail}", err=True, fg=typer.colors.RED)
                raise typer.Exit(1) from exc
            enabled = None if paused is None else not paused
            rows = []
            cursor: str | None = None
            while True:
                page, cursor = service.list_schedules(
                    session, board_id=board_id, enabled=enabled, limit=200, cursor=cursor
                )
                rows += page
                if cursor is None:
                    break
            slugs = {
                board_row.id: board_row.slug
                for board_row in session.exec(
                    select(Board).where(col(Board.id).in_({row.board_id for row in rows}))
                )
            }
    finally:
        db.dispose()
    if not rows:
        hint = "No schedules match." if board or paused is not None else "No schedules yet:"
        typer.echo(f"{hint} create one with POST /api/v1/schedules (see README).", err=True)
        return
    table = [("ID", "NAME", "BOARD", "RECURRENCE", "TIMEZONE", "NEXT CARD", "STATE")]
    for row in rows:
        rule = row.cron if row.cron is not None else f"every {row.interval_minutes} min"
        state = "enabled" if row.enabled else "paused"
        if row.enabled and row.next_run_at is None:
            state = "ended"
        table.append(
            (
                str(row.id),
                row.name,
                slugs.get(row.board_id, str(row.board_id)),
                rule,
                row.timezone,
                _local(row.next_run_at, row.timezone),
                state,
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )


@schedule_cli.command("tick")
def tick_command() -> None:
    """Run the due schedules once now (what the scheduler does every 30 seconds)."""
    from app.schedules.jobs import tick

    db = Database.from_url(get_settings().database_url)
    try:
        report = tick(db)
    finally:
        db.dispose()
    typer.echo(
        f"{report.schedules} schedule(s) run: {report.created} created, "
        f"{report.skipped} skipped, {report.missed} missed, {len(report.failed)} failed",
        err=True,
    )
    for schedule_id, reason in report.failed.items():
        typer.echo(f"schedule {schedule_id}: {reason}", err=True)
    if report.failed:
        raise typer.Exit(1)
