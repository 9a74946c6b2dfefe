"""The delivery loop runs inside the real ``firelane serve`` and ``firelane worker`` processes.

Each test runs the CLI as subprocesses over a SQLite file, with a real HTTP receiver on
loopback, and polls (never sleeps a fixed time) until the effect shows.
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

from tests.hooks.receiver import Receiver

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
DEADLINE = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _until(what: str, check: Callable[[], Any], deadline: float = DEADLINE) -> Any:
    end = time.monotonic() + deadline
    last: Any = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what} (last seen: {last!r})")


class Firelane:
    """CLI processes sharing one SQLite database."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "FIRELANE_DATABASE_URL": f"sqlite:///{tmp_path / 'firelane.db'}",
            "FIRELANE_SECRET_KEY": "e2e-secret-key-0123456789abcdef",
            "FIRELANE_HOOKS_POLL_SECONDS": "0.5",
        }
        self.processes: list[subprocess.Popen[bytes]] = []
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
        log = (self.tmp_path / f"{args[0]}-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def serve(self, *extra: str) -> httpx.Client:
        self.start("serve", "--port", str(self.port), *extra)

        def up() -> bool:
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        _until("firelane serve to answer", up)
        self.run("user", "create", "root", "--role", "admin")
        token = self.run("token", "create", "root")
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"})

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def firelane(tmp_path: Path) -> Iterator[Firelane]:
    made = Firelane(tmp_path)
    made.run("db", "upgrade")
    yield made
    made.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


def _card_created(client: httpx.Client, receiver: Receiver) -> dict[str, Any]:
    hook = client.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["card.created"]})
    assert hook.status_code == 201, hook.text
    board = client.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
    card = client.post(f"/api/v1/boards/{board['id']}/cards", json={"title": "Disk full"})
    assert card.status_code == 201, card.text
    created: dict[str, Any] = card.json()
    return created


def test_serve_delivers_webhooks(firelane: Firelane, receiver: Receiver) -> None:
    with firelane.serve() as client:
        card = _card_created(client, receiver)
        _until("the receiver to get the card", lambda: receiver.requests)
        (request,) = receiver.requests
        assert request.headers["x-firelane-event"] == "card.created"
        assert f'"card_id":{card["id"]}' in request.body.decode()
        _until(
            "the delivery to be logged as delivered",
            lambda: client.get("/api/v1/deliveries", params={"status": "delivered"}).json()[
                "items"
            ],
        )


def test_worker_delivers_what_api_replicas_queue(firelane: Firelane, receiver: Receiver) -> None:
    with firelane.serve("--no-scheduler") as client:
        _card_created(client, receiver)
        (queued,) = client.get("/api/v1/deliveries").json()["items"]
        assert queued["status"] == "pending" and receiver.requests == []
        firelane.start("worker")
        _until("the worker to deliver", lambda: receiver.requests)
        _until(
            "the delivery to be logged as delivered",
            lambda: (
                client.get(f"/api/v1/deliveries/{queued['id']}").json()["status"] == "delivered"
            ),
        )
        assert len(receiver.requests) == 1
