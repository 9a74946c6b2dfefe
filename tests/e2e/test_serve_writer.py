"""``firelane serve --workers N`` / ``--ingest-writer``: real processes, one ingest writer.

Each test runs the CLI as subprocesses over a SQLite file and polls (never sleeps a fixed
time) until the effect shows. (The writer over PostgreSQL is tested in
tests/alerts/test_writer.py, with the same writer process.)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.alerts.conftest import load
from tests.e2e.processes import Firelane, sse_events, until
from tests.hooks.receiver import Receiver

pytestmark = pytest.mark.e2e


def _descendants(pid: int) -> list[int]:
    found = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    return [child for text in found for child in (int(text), *_descendants(int(text)))]


def _command(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except FileNotFoundError:
        return []


def _environment(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
    return dict(pair.split("=", 1) for pair in pairs if "=" in pair)


def _writers(serving: subprocess.Popen[bytes]) -> list[int]:
    """The serving process's writer (not its spare): the one its pid file names."""
    processes = [pid for pid in _descendants(serving.pid) if "ingest-writer" in _command(pid)]
    paths = {arg for pid in processes for arg in _command(pid) if arg.endswith("writer.sock")}
    named = set()
    for path in paths:
        with contextlib.suppress(FileNotFoundError, ValueError):
            named.add(int(Path(path).with_suffix(".pid").read_text()))
    return [pid for pid in processes if pid in named]


def _integration(client: httpx.Client) -> dict[str, Any]:
    board = client.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
    body = {"name": "prometheus", "kind": "alertmanager", "board_id": board["id"]}
    created = client.post("/api/v1/integrations", json=body)
    assert created.status_code == 201, created.text
    integration: dict[str, Any] = created.json()
    return integration


def _send(firelane: Firelane, integration: dict[str, Any], payload: Any) -> httpx.Response:
    path = integration["ingest_url"].split("://", 1)[1].split("/", 1)[1]
    bearer = {"Authorization": f"Bearer {integration['token']}"}
    return httpx.post(f"{firelane.url}/{path}", json=payload, headers=bearer, timeout=30)


def test_workers_share_one_writer_and_the_jobs_run_once(
    firelane: Firelane, receiver: Receiver
) -> None:
    serving = firelane.serve("--workers", "2")
    payload = load("alertmanager_firing")
    payload["alerts"] = payload["alerts"][:1]
    with firelane.admin_client() as client:
        hook = {"url": receiver.url, "events": ["card.created"]}
        assert client.post("/api/v1/webhooks", json=hook).status_code == 201
        integration = _integration(client)
        # Streams open meanwhile (on either HTTP process) hear of the card the writer made.
        path = f"/api/v1/boards/{integration['board_id']}/stream"
        wait = httpx.Timeout(5, read=60)  # a card event, or a heartbeat, within a minute
        with (
            client.stream("GET", path, timeout=wait) as one,
            client.stream("GET", path, timeout=wait) as two,
        ):
            streams = [sse_events(stream.iter_lines()) for stream in (one, two)]
            assert [next(events)[0] for events in streams] == ["ready", "ready"]
            answered = [_send(firelane, integration, payload) for _ in range(6)]
            assert {response.status_code for response in answered} == {202}
            (card_id,) = {card for response in answered for card in response.json()["cards"]}
            for events in streams:
                heard = next(data for event, data in events if event == "card")
                assert heard["card_id"] == card_id
        alert = client.get(f"/api/v1/cards/{card_id}").json()["alert"]
        assert alert["occurrences"] == 6
        # The card made by the writer is delivered by the serving process's delivery loop.
        until("the receiver to get the card", lambda: receiver.requests)
        assert f'"card_id":{card_id}' in receiver.requests[0].body.decode()

    (writer,) = _writers(serving)
    (path,) = [arg for arg in _command(writer) if arg.endswith("writer.sock")]
    http = [
        pid
        for pid in _descendants(serving.pid)
        if "spawn_main" in " ".join(_command(pid))  # uvicorn's workers
    ]
    assert len(http) == 2
    for pid in http:  # the HTTP processes run no jobs and send alerts to the writer
        environment = _environment(pid)
        assert environment["FIRELANE_SCHEDULER"] == "false"
        assert environment["FIRELANE_ALERTS_WRITER_SOCKET"] == path

    firelane.stop(serving)
    until(
        "every process of serve to end",
        lambda: not any(Path(f"/proc/{pid}").exists() for pid in [writer, *http]),
    )
    assert not Path(path).parent.exists()


def test_a_killed_writer_means_503s_until_it_is_back(firelane: Firelane) -> None:
    serving = firelane.serve("--ingest-writer")
    payload = load("alertmanager_firing")
    payload["alerts"] = payload["alerts"][:1]
    with firelane.admin_client() as client:
        integration = _integration(client)
        first = _send(firelane, integration, payload)
        assert first.status_code == 202, first.text
        (writer,) = _writers(serving)
        os.kill(writer, signal.SIGKILL)
        answered: list[httpx.Response] = []

        def stored() -> bool:
            answered.append(_send(firelane, integration, payload))
            return answered[-1].status_code == 202

        until("a new writer to store alerts", stored)
        assert _writers(serving) != [writer] and len(_writers(serving)) == 1
        refused = answered[:-1]
        assert all(response.status_code == 503 for response in refused), [
            response.text for response in refused
        ]
        (card_id,) = first.json()["cards"]
        alert = client.get(f"/api/v1/cards/{card_id}").json()["alert"]
        assert alert["occurrences"] == 2  # the refused ones stored nothing

    # SIGTERM (systemd's stop) ends the writer too and removes its socket's directory.
    (writer,) = _writers(serving)
    (path,) = [arg for arg in _command(writer) if arg.endswith("writer.sock")]
    firelane.stop(serving)
    assert serving.returncode == 0
    until("the writer to end", lambda: not Path(f"/proc/{writer}").exists())
    assert not Path(path).parent.exists()
