"""What the ``firelane`` commands share: messages, refusals, tables and the database."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import typer

from app.core.config import get_settings
from app.core.db import Database


def say(message: str) -> None:
    """Tell the person at the terminal (standard error: standard output is for data)."""
    typer.echo(message, err=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``error: message`` and return the exit to raise."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def table(rows: Sequence[Sequence[str]]) -> None:
    """Print rows as columns aligned on their widest cell; the first row is the header."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        typer.echo("  ".join(cells).rstrip())


def minute(moment: datetime | None) -> str:
    """A stored time, in UTC to the minute, or ``-``."""
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def command() -> str:
    """How to call this ``firelane`` again: ``.venv/bin/firelane`` in a checkout, else its name."""
    called = Path(sys.argv[0]).absolute()
    if called.name != "firelane":
        return "firelane"
    try:
        return str(called.relative_to(Path.cwd()))
    except ValueError:
        return "firelane"


@contextmanager
def database() -> Iterator[Database]:
    """The configured database, for one command."""
    db = Database.from_url(get_settings().database_url)
    try:
        yield db
    finally:
        db.dispose()
