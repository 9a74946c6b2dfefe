"""``firelane report``: print or write one week's report; ``firelane report backfill``
stores the snapshots of past weeks."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from app.core.console import database, fail, say

report_cli = typer.Typer(
    help="The weekly automation-debt report (docs/report.md).", invoke_without_command=True
)


class CliFormat(StrEnum):
    md = "md"
    json = "json"
    html = "html"


@report_cli.callback()
def report(
    ctx: typer.Context,
    board: Annotated[str | None, typer.Option(help="A board's slug; default all boards.")] = None,
    week: Annotated[
        str | None, typer.Option(help="YYYY-Www; default the last complete week.")
    ] = None,
    output_format: Annotated[
        CliFormat, typer.Option("--format", help="Markdown, JSON or one HTML page.")
    ] = CliFormat.md,
    output: Annotated[
        Path | None, typer.Option(help="Write to this file instead of standard output.")
    ] = None,
) -> None:
    """Print one week's report: the stored one if the week has one, else computed now."""
    if ctx.invoked_subcommand is not None:
        return
    from app.core.config import get_settings
    from app.core.db import pk
    from app.core.errors import AppError
    from app.reports import snapshots
    from app.reports.models import DEFINITION_VERSION
    from app.reports.render.html import html
    from app.reports.render.markdown import markdown
    from app.reports.window import Week

    settings = get_settings()
    options = snapshots.report_options(settings)
    with database() as db, db.session(readonly=True) as session:
        try:
            found, stored = snapshots.weekly(
                session,
                week=Week.parse(week) if week is not None else None,
                board_slug=board,
                options=options,
            )
        except AppError as exc:
            raise fail(exc.detail) from exc
    link = snapshots.link(settings.base_url, pk(stored)) if stored is not None else None
    made_at = stored.made_at if stored is not None else None
    version = stored.definition_version if stored is not None else DEFINITION_VERSION
    if output_format is CliFormat.json:
        page = json.dumps(found.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
    elif output_format is CliFormat.html:
        page = html(found, link=link, made_at=made_at, definition_version=version)
    else:
        page = markdown(found, link=link, made_at=made_at, definition_version=version)
    if output is None:
        sys.stdout.write(page)
        return
    output.write_text(page, encoding="utf-8")
    origin = f"stored report #{stored.id}" if stored is not None else "computed now"
    say(f"wrote {found.week} ({found.board or 'all boards'}, {origin}) to {output}")


@report_cli.command("backfill")
def backfill(
    weeks: Annotated[
        int, typer.Option(min=1, max=520, help="How many complete weeks back, the last included.")
    ],
    board: Annotated[
        str | None, typer.Option(help="Only this board's reports (default: each board and all).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Compute stored weeks again (default: keep them).")
    ] = False,
) -> None:
    """Store the reports of the last N weeks, for each board and for all boards."""
    from sqlmodel import col, select

    from app.boards.models import Board
    from app.core.clock import now
    from app.core.config import get_settings
    from app.core.errors import AppError
    from app.reports import snapshots
    from app.reports.window import Week

    options = snapshots.report_options(get_settings())
    last = Week.last_complete(now(), options.zone)
    wanted = [last.shifted(-back) for back in range(weeks - 1, -1, -1)]
    with database() as db:
        with db.session(readonly=True) as session:
            slugs = list(session.exec(select(Board.slug).order_by(col(Board.id))))
        if board is not None:
            if board not in slugs:
                raise fail(f"No board has the slug {board!r}.")
            scopes: list[str | None] = [board]
        else:
            scopes = [None, *slugs]
        jobs = [(each, slug) for each in wanted for slug in scopes]
        made = kept = 0
        with typer.progressbar(
            jobs, label=f"{len(wanted)} week(s), {len(scopes)} report(s) each", file=sys.stderr
        ) as progress:
            for each, slug in progress:
                with db.session() as session:
                    try:
                        _, created = snapshots.make(
                            session,
                            week=each,
                            board_slug=slug,
                            options=options,
                            actor="cli",
                            replace=force,
                        )
                    except AppError as exc:
                        raise fail(f"{each} {slug or 'all boards'}: {exc.detail}") from exc
                    made += created or force
                    kept += not (created or force)
    say(
        f"stored {made} report(s) from {wanted[0]} to {wanted[-1]}"
        + (f"; {kept} already stored, kept (--force computes them again)" if kept else "")
    )
