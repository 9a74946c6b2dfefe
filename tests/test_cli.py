"""The ``firelane`` command's help reads cleanly, and a wrong setting is one line, not a trace."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from app.cli import EX_CONFIG, cli

ROOT = Path(__file__).parents[1]


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():  # a group's commands
        if not sub.hidden:
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(cli)))


def test_every_command_is_listed() -> None:
    for expected in [("user", "list"), ("user", "set-password"), ("user", "disable")]:
        assert expected in COMMANDS
    assert ("token", "list") in COMMANDS and ("token", "revoke") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "firelane")
def test_help_shows_no_type_after_flags_and_plain_argument_names(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(
        cli, [*path, "--help"], prog_name="firelane", env={"COLUMNS": "100"}
    )
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    usage = next(line for line in result.output.splitlines() if "Usage:" in line)
    assert "{" not in usage and "}" not in usage, usage


def test_usage_names_the_arguments() -> None:
    result = CliRunner().invoke(
        cli, ["user", "set-password", "--help"], prog_name="firelane", env={"COLUMNS": "100"}
    )
    assert "Usage: firelane user set-password [OPTIONS] NAME" in result.output
    assert "--password-stdin  " in result.output


def _firelane(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("FIRELANE_")}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--port", "1"],
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        cwd=tmp_path,  # no .env there
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"FIRELANE_ENVIRONMENT": "production"},
            "error: FIRELANE_SECRET_KEY is the public default; set it to a random value",
        ),
        (
            {"FIRELANE_SECRET_KEY": "x" * 32, "FIRELANE_TIMEZONE": "Mars/Olympus_Mons"},
            "error: FIRELANE_TIMEZONE: unknown IANA timezone 'Mars/Olympus_Mons'",
        ),
        (
            {"FIRELANE_SECRET_KEY": "x" * 32, "FIRELANE_HOOKS_CONCURRENCY": "0"},
            "error: FIRELANE_HOOKS_CONCURRENCY: must be at least 1",
        ),
    ],
)
def test_a_wrong_setting_is_one_line_and_a_failed_exit(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    result = _firelane(tmp_path, **env)
    assert result.returncode == EX_CONFIG
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "firelane.db").exists()  # refused before touching the database
