"""The schedules tick runs inside the real ``firelane worker`` and ``firelane serve``.

The CLI runs as subprocesses over one SQLite file; the test polls (never sleeps a fixed
time) until the chore card shows. A lead of a day makes a daily chore due at once, so
the tick each process runs when it starts makes its card.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
DEADLINE = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _until(what: str, check: Callable[[], Any]) -> Any:
    end = time.monotonic() + DEADLINE
    last: Any = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what} (last seen: {last!r})")


class Processes:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "FIRELANE_DATABASE_URL": f"sqlite:///{tmp_path / 'firelane.db'}",
            "FIRELANE_SECRET_KEY": "e2e-secret-key-0123456789abcdef",
        }
        self.running: list[subprocess.Popen[bytes]] = []
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return done.stdout.strip()

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.tmp_path / f"{args[0]}-{len(self.running)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.running.append(process)
        return process

    def serve(self, *extra: str) -> subprocess.Popen[bytes]:
        process = self.start("serve", "--port", str(self.port), *extra)

        def up() -> bool:
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        _until("firelane serve to answer", up)
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                self.stop(process)


@pytest.fixture
def firelane(tmp_path: Path) -> Iterator[Processes]:
    made = Processes(tmp_path)
    made.run("db", "upgrade")
    yield made
    made.stop_all()


def _chore_titles(api: httpx.Client) -> list[str]:
    response = api.get("/api/v1/cards", params={"kind": "maintenance", "limit": 200})
    response.raise_for_status()
    return sorted(card["title"] for card in response.json()["items"])


def test_worker_and_serve_run_due_schedules(firelane: Processes) -> None:
    firelane.run("user", "create", "root", "--role", "admin")
    token = firelane.run("token", "create", "root")
    api_only = firelane.serve("--no-scheduler")
    api = httpx.Client(base_url=firelane.url, headers={"Authorization": f"Bearer {token}"})
    board = api.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()

    def define(name: str) -> dict[str, Any]:
        body = {
            "name": name,
            "board_id": board["id"],
            "cron": "0 9 * * *",
            "lead_minutes": 1440,
            "title": f"{name} {{date}}",
            "checklist": ["Do it", "Check it"],
        }
        response = api.post("/api/v1/schedules", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    first = define("Test restores")
    assert _chore_titles(api) == []  # the API replica runs no scheduler

    worker = firelane.start("worker")
    titles = _until("the worker to make the chore card", lambda: _chore_titles(api))
    assert titles == [f"Test restores {first['next_occurrence_at'][:10]}"]
    firelane.stop(worker)

    second = define("Review access")
    firelane.stop(api_only)
    firelane.serve()  # with its scheduler this time
    _until("serve to make the second chore card", lambda: len(_chore_titles(api)) == 2)
    occurrences = api.get(f"/api/v1/schedules/{first['id']}/occurrences").json()["items"]
    assert [row["status"] for row in occurrences] == ["created"]
    assert api.get(f"/api/v1/schedules/{second['id']}/occurrences").json()["items"][0]["card_id"]
    listed = firelane.run("schedule", "list")
    assert "Test restores" in listed and "Review access" in listed
