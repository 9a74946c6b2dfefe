"""``firelane user`` and ``firelane token``: what an admin reaches for after creating users.

The commands run in this process (typer's runner) on the test database: a process per
command would cost seconds each; tests/test_cli.py runs the real executable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from app.cli import cli
from app.core.config import Settings, get_settings

Firelane = Callable[..., Result]


@pytest.fixture
def firelane(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Firelane]:
    """Run ``firelane ARGS`` (with ``stdin=``) on the test database."""
    monkeypatch.chdir(tmp_path)  # no .env but the environment's
    monkeypatch.setenv("FIRELANE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FIRELANE_SECRET_KEY", settings.secret_key)
    get_settings.cache_clear()

    def run(*args: str, stdin: str = "") -> Result:
        return CliRunner().invoke(cli, list(args), input=stdin)

    yield run
    get_settings.cache_clear()


def _login(anon: TestClient, name: str, password: str) -> int:
    response = anon.post("/api/v1/auth/login", json={"name": name, "password": password})
    return response.status_code


def _token(firelane: Firelane, name: str, label: str) -> str:
    issued = firelane("token", "create", name, "--label", label)
    assert issued.exit_code == 0, issued.stderr
    return issued.stdout.strip()


def _me(anon: TestClient, token: str) -> int:
    return anon.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_user_list_set_password_disable_and_enable(firelane: Firelane, anon: TestClient) -> None:
    made = firelane(
        "user", "create", "alice", "--role", "admin", "--password-stdin",
        stdin="first-password\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert firelane("user", "create", "bot", "--role", "viewer").exit_code == 0
    listed = firelane("user", "list")
    assert listed.exit_code == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["NAME", "ROLE", "STATE", "LOGIN", "CREATED"]
    assert [row.split()[:4] for row in rows] == [
        ["alice", "admin", "active", "password"],
        ["bot", "viewer", "active", "tokens"],
    ]

    changed = firelane(
        "user", "set-password", "alice", "--password-stdin", stdin="second-password\n"
    )
    assert changed.exit_code == 0, changed.stderr
    assert _login(anon, "alice", "first-password") == 401
    assert _login(anon, "alice", "second-password") == 200
    short = firelane("user", "set-password", "alice", "--password-stdin", stdin="short\n")
    assert short.exit_code == 2 and "at least 8 characters" in short.stderr
    # Without a terminal to ask at, the password must come from standard input.
    unasked = firelane("user", "set-password", "alice")
    assert unasked.exit_code == 2 and "--password-stdin" in unasked.stderr

    token = _token(firelane, "bot", "dashboards")
    assert _me(anon, token) == 200
    disabled = firelane("user", "disable", "bot")
    assert disabled.exit_code == 0, disabled.stderr
    assert _me(anon, token) == 401
    assert "disabled" in firelane("user", "list").stdout.splitlines()[2]
    again = firelane("user", "disable", "bot")
    assert again.exit_code == 0 and "disabled already" in again.stderr
    assert firelane("user", "enable", "bot").exit_code == 0
    assert _me(anon, token) == 200

    last_admin = firelane("user", "disable", "alice")
    assert last_admin.exit_code == 1 and "without an active admin" in last_admin.stderr
    assert _login(anon, "alice", "second-password") == 200
    nobody = firelane("user", "disable", "nobody")
    assert nobody.exit_code == 1 and "'nobody'" in nobody.stderr


def test_token_list_and_revoke(firelane: Firelane, anon: TestClient) -> None:
    assert firelane("user", "create", "ci", "--role", "member").exit_code == 0
    laptop = _token(firelane, "ci", "laptop")
    pipeline = _token(firelane, "ci", "pipeline")
    listed = firelane("token", "list", "ci")
    assert listed.exit_code == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split()[:3] == ["ID", "LABEL", "STARTS"]
    assert [row.split()[1:3] for row in rows] == [
        ["laptop", laptop[:10]],
        ["pipeline", pipeline[:10]],
    ]
    assert laptop not in listed.stdout and pipeline not in listed.stdout
    laptop_id = rows[0].split()[0]

    revoked = firelane("token", "revoke", laptop_id)
    assert revoked.exit_code == 0, revoked.stderr
    assert f"revoked token {laptop_id} (laptop) of 'ci'" in revoked.stderr
    assert _me(anon, laptop) == 401 and _me(anon, pipeline) == 200
    assert rows[0].endswith("-") and not firelane("token", "list", "ci").stdout.splitlines()[
        1
    ].endswith("-")
    twice = firelane("token", "revoke", laptop_id)
    assert twice.exit_code == 0 and "revoked already" in twice.stderr
    unknown = firelane("token", "revoke", "9999")
    assert unknown.exit_code == 1 and "9999" in unknown.stderr
    nobody = firelane("token", "list", "ghost")
    assert nobody.exit_code == 1 and nobody.stdout == ""
