"""Shared pieces of the end-to-end tests: free ports, polling, and Firelane CLI processes."""

from __future__ import annotations

import json
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

ROOT = Path(__file__).parents[2]
DEADLINE = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def until(what: str, check: Callable[[], Any], deadline: float = DEADLINE) -> Any:
    """Poll ``check`` until it answers something truthy; fail with ``what`` at the deadline."""
    end = time.monotonic() + deadline
    last: Any = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what} (last seen: {last!r})")


class Firelane:
    """``firelane`` CLI processes sharing one SQLite database in ``tmp_path``."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.tmp_path = tmp_path
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "FIRELANE_DATABASE_URL": f"sqlite:///{tmp_path / 'firelane.db'}",
            "FIRELANE_SECRET_KEY": "e2e-secret-key-0123456789abcdef",
            "FIRELANE_HOOKS_ALLOW_PRIVATE": "true",  # the receivers listen on 127.0.0.1
            **env,
        }
        self.running: list[subprocess.Popen[bytes]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def run(self, *args: str) -> str:
        """Run a command to its end and return what it printed."""
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

    def call(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a command to its end, whatever its exit status; its output and status."""
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """Start a long-running command (serve, worker); its output goes to a log file."""
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
        """Start ``firelane serve`` and wait until it answers."""
        process = self.start("serve", "--port", str(self.port), *extra)

        def up() -> bool:
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        until("firelane serve to answer", up)
        return process

    def admin_client(self) -> httpx.Client:
        """Create an admin with the CLI and return an API client using its token."""
        self.run("user", "create", "root", "--role", "admin")
        token = self.run("token", "create", "root")
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"})

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


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """A server-sent event stream's (event, data) pairs; heartbeats (comments) are skipped.
    The client's read timeout bounds each wait."""
    event = "message"
    for line in lines:
        if line.startswith("event:"):
            event = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            yield event, json.loads(line.removeprefix("data:"))
            event = "message"
