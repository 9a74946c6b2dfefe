"""The deployment guide's PostgreSQL shape, run on this machine without Docker.

compose.yaml's firelane services (``migrate``, ``api1``, ``api2``, ``worker``) run as
processes with their own commands and environment; what Docker would provide differently
is swapped: the database (a fresh PostgreSQL database of the test server instead of the
``db`` service), the replicas' ports (free ports on 127.0.0.1 instead of 0.0.0.0:8000 in
their own containers) and the proxy (requests go to each replica directly). Then: an
alert sent through one replica is seen through the other, and a schedule fires once.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.e2e.processes import ROOT, Firelane, free_port, sse_events, until
from tests.support import need, postgres_database

pytestmark = pytest.mark.e2e

SERVICES = ("migrate", "api1", "api2", "worker")


def _interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error}."""

    def one(match: re.Match[str]) -> str:
        name, how, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        if name in variables:
            return variables[name]
        assert how != ":?", f"compose.yaml needs {name}: {rest}"
        return rest

    return re.sub(r"\$\{(\w+)(:[-?])?([^}]*)\}", one, value)


def compose_services(variables: dict[str, str]) -> dict[str, dict[str, Any]]:
    """compose.yaml's services as Compose reads them (anchors merged, variables set)."""
    document = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services: dict[str, dict[str, Any]] = document["services"]
    for service in services.values():
        env = service.get("environment", {})
        service["environment"] = {k: _interpolate(str(v), variables) for k, v in env.items()}
    return services


@pytest.fixture
def postgres() -> Iterator[str]:
    base = os.environ.get("FIRELANE_TEST_DATABASE_URL")
    need(base is not None, "PostgreSQL (FIRELANE_TEST_DATABASE_URL)")
    assert base is not None
    with postgres_database(base, "firelane_deploy") as url:
        yield url


class Shape:
    """The compose services as processes."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        variables = {"POSTGRES_PASSWORD": "unused", "FIRELANE_SECRET_KEY": "d" * 48}
        self.services = compose_services(variables)
        self.database_url = database_url
        self.tmp_path = tmp_path
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.urls: dict[str, str] = {}

    def env(self, name: str) -> dict[str, str]:
        env = dict(self.services[name]["environment"])
        assert "@db:5432/firelane" in env["FIRELANE_DATABASE_URL"]
        env["FIRELANE_DATABASE_URL"] = self.database_url  # the `db` service
        if "FIRELANE_WORKER_LISTEN" in env:  # a container's port: a free one here
            assert env["FIRELANE_WORKER_LISTEN"] == "0.0.0.0:9000"
            self.urls.setdefault(name, f"http://127.0.0.1:{free_port()}")
            env["FIRELANE_WORKER_LISTEN"] = self.urls[name].removeprefix("http://")
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}

    def argv(self, name: str) -> list[str]:
        command = list(self.services[name]["command"])
        assert command[0] == "firelane"
        if "--port" in command:
            port = free_port()
            command[command.index("--port") + 1] = str(port)
            command[command.index("--host") + 1] = "127.0.0.1"
            self.urls[name] = f"http://127.0.0.1:{port}"
        return [sys.executable, "-m", "app.cli", *command[1:]]

    def run(self, name: str) -> None:
        subprocess.run(self.argv(name), env=self.env(name), cwd=ROOT, check=True, timeout=300)

    def start(self, name: str) -> None:
        log = (self.tmp_path / f"{name}.log").open("wb")
        self.running[name] = subprocess.Popen(
            self.argv(name), env=self.env(name), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )

    def firelane(self, name: str) -> Firelane:
        """The CLI as `docker compose exec NAME firelane …` runs it."""
        made = Firelane(self.tmp_path)
        made.env = self.env(name)
        return made

    def stop(self) -> dict[str, int]:
        codes = {}
        for name, process in self.running.items():
            process.terminate()
            try:
                codes[name] = process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = process.wait()
        return codes


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_compose_shape_runs(tmp_path: Path, postgres: str) -> None:
    shape = Shape(tmp_path, postgres)
    assert set(SERVICES) <= set(shape.services) and {"db", "proxy"} <= set(shape.services)
    assert shape.services["api1"]["command"] == shape.services["api2"]["command"]
    try:
        shape.run("migrate")
        for name in ("api1", "api2", "worker"):
            shape.start(name)
        for name in ("api1", "api2", "worker"):
            until(f"{name} to be ready", lambda n=name: _ready(shape.urls[n]), deadline=120)
        cli = shape.firelane("api1")
        cli.run("user", "create", "alice", "--role", "admin")
        token = cli.run("token", "create", "alice")
        auth = {"Authorization": f"Bearer {token}"}
        one = httpx.Client(base_url=shape.urls["api1"], headers=auth, timeout=30)
        two = httpx.Client(base_url=shape.urls["api2"], headers=auth, timeout=30)

        # An alert through one replica is seen through the other.
        board = one.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
        body = {"name": "am", "kind": "alertmanager", "board_id": board["id"]}
        integration = one.post("/api/v1/integrations", json=body).json()
        alert = {
            "version": "4",
            "status": "firing",
            "alerts": [
                {"status": "firing", "fingerprint": "f1", "labels": {"alertname": "DiskFull"}}
            ],
        }
        # ... and live: a board stream open on the other replica hears of its card (the tail
        # of card_event woken by NOTIFY from another process).
        with two.stream("GET", f"/api/v1/boards/{board['id']}/stream") as stream:
            assert stream.headers["x-accel-buffering"] == "no"
            frames = sse_events(stream.iter_lines())
            assert next(frames)[0] == "ready"
            sent = one.post(
                f"/api/v1/ingest/{integration['id']}",
                json=alert,
                headers={"Authorization": f"Bearer {integration['token']}"},
            )
            assert sent.status_code == 202, sent.text
            (card_id,) = sent.json()["cards"]
            heard = next(data for event, data in frames if event == "card")
            assert heard["card_id"] == card_id and heard["card"]["id"] == card_id
        seen = two.get("/api/v1/cards", params={"board_id": board["id"], "kind": "fire"})
        assert [card["id"] for card in seen.json()["items"]] == [card_id]

        # A schedule made through the other fires once: the worker makes its card.
        schedule = {
            "name": "Check the backups",
            "board_id": board["id"],
            "cron": "0 8 * * *",
            "lead_minutes": 1440,  # due at once
            "title": "Check the backups {date}",
        }
        made = two.post("/api/v1/schedules", json=schedule)
        assert made.status_code == 201, made.text

        def chores() -> list[dict[str, Any]]:
            params = {"board_id": board["id"], "kind": "maintenance"}
            items: list[dict[str, Any]] = one.get("/api/v1/cards", params=params).json()["items"]
            return items

        until("the worker to make the chore's card", chores, deadline=120)
        cli.run("schedule", "tick")  # another scheduler at the same moment makes nothing
        occurrences = two.get(f"/api/v1/schedules/{made.json()['id']}/occurrences").json()
        assert [row["status"] for row in occurrences["items"]] == ["created"]
        assert len(chores()) == 1
        # The database's gauges are the same through either replica, and the worker's.
        for url in (shape.urls["api1"], shape.urls["api2"], shape.urls["worker"]):
            text = httpx.get(f"{url}/metrics", headers=auth, timeout=30).text
            assert re.search(r'^firelane_cards_open\{board="ops",.*kind="fire"\} 1.0$', text, re.M)
        assert 'firelane_loop_last_tick_timestamp_seconds{loop="scheduler"}' in text
        one.close()
        two.close()
    finally:
        codes = shape.stop()
    assert codes == {"api1": 0, "api2": 0, "worker": 0}, codes
    for name in ("api1", "api2", "worker"):
        log = (tmp_path / f"{name}.log").read_text()
        assert "Traceback" not in log, log
