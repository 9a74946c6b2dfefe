"""``firelane schedule``: list schedules and run the due ones from the command line."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from app.core.console import database, fail, say, table

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

    with database() as db, db.session(readonly=True) as session:
        try:
            board_id = get_board_by_slug(session, board).id if board else None
        except AppError as exc:
            raise fail(exc.detail) from exc
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
    if not rows:
        hint = "No schedules match." if board or paused is not None else "No schedules yet:"
        say(f"{hint} create one with POST /api/v1/schedules (see README).")
        return
    lines = [("ID", "NAME", "BOARD", "RECURRENCE", "TIMEZONE", "NEXT CARD", "STATE")]
    for row in rows:
        rule = row.cron if row.cron is not None else f"every {row.interval_minutes} min"
        state = "enabled" if row.enabled else "paused"
        if row.enabled and row.next_run_at is None:
            state = "ended"
        lines.append(
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
    table(lines)


@schedule_cli.command("tick")
def tick_command() -> None:
    """Run the due schedules once now (what the scheduler does every 30 seconds)."""
    from app.schedules.jobs import tick

    with database() as db:
        report = tick(db)
    say(
        f"{report.schedules} schedule(s) run: {report.created} created, "
        f"{report.skipped} skipped, {report.missed} missed, {len(report.failed)} failed"
    )
    for schedule_id, reason in report.failed.items():
        say(f"schedule {schedule_id}: {reason}")
    if report.failed:
        raise typer.Exit(1)
