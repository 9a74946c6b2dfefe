"""End to end with the real Alertmanager: its webhook reaches a live Firelane on loopback.

Alertmanager runs from the Debian package (``prometheus-alertmanager``) with a generated
config: a webhook receiver pointing at Firelane served by uvicorn in a thread, the
integration token as Bearer through ``http_config.authorization``, short group and
repeat intervals, its own storage in tmp and clustering off. Alerts are pushed to its
API v2 and later ended; the test polls Firelane's API until each effect shows.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.e2e.processes import free_port, until
from tests.support import need

pytestmark = pytest.mark.e2e


@pytest.fixture
def firelane_url(app: FastAPI) -> Iterator[str]:
    """Serve the test app with uvicorn on a free loopback port, in a thread."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    until("uvicorn to start", lambda: server.started, 20)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _binary() -> str | None:
    return shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


@pytest.fixture
def alertmanager(
    tmp_path: Path, firelane_url: str, admin: TestClient
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Run Alertmanager with a webhook receiver pointing at a Firelane integration."""
    binary = _binary()
    need(binary is not None, "the Alertmanager binary (apt-get install prometheus-alertmanager)")
    assert binary is not None
    board = admin.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
    integration = admin.post(
        "/api/v1/integrations",
        json={"name": "alertmanager", "kind": "alertmanager", "board_id": board["id"]},
    ).json()
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        f"""
route:
  receiver: firelane
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: firelane
    webhook_configs:
      - url: {firelane_url}/api/v1/ingest/{integration["id"]}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {integration["token"]}
"""
    )
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=debug",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        assert process.poll() is None, (tmp_path / "alertmanager.log").read_text()
        try:
            return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        until("Alertmanager to be ready", ready, 30)
        yield url, integration
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _push(url: str, *, ends_at: datetime) -> None:
    alert = {
        "labels": {"alertname": "DiskSpaceLow", "instance": "web-3", "severity": "critical"},
        "annotations": {
            "summary": "Disk /var on web-3 has 4% free",
            "runbook_url": "https://runbooks.example.com/disk",
        },
        "startsAt": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
        "endsAt": ends_at.isoformat(),
        "generatorURL": "http://prometheus:9090/graph?g0.expr=disk",
    }
    response = httpx.post(f"{url}/api/v2/alerts", json=[alert], timeout=5)
    assert response.status_code == 200, response.text


def test_real_alertmanager_fires_counts_and_resolves(
    alertmanager: tuple[str, dict[str, Any]], member: TestClient
) -> None:
    url, integration = alertmanager
    _push(url, ends_at=datetime.now(UTC) + timedelta(hours=1))

    def fire_cards() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = member.get("/api/v1/cards", params={"kind": "fire"}).json()[
            "items"
        ]
        return items

    (card,) = until("the fire card", fire_cards)
    assert card["title"] == "Disk /var on web-3 has 4% free"
    assert card["priority"] == "urgent" and card["alert"]["status"] == "firing"
    fingerprint = card["alert"]["fingerprint"]
    assert len(fingerprint) == 16  # Alertmanager's own fingerprint, not a re-hash

    def counted() -> dict[str, Any] | None:
        current: dict[str, Any] = member.get(f"/api/v1/cards/{card['id']}").json()
        return current if current["alert"]["occurrences"] >= 2 else None

    repeated = until("a repeated notification", counted)
    assert repeated["alert"]["fingerprint"] == fingerprint

    _push(url, ends_at=datetime.now(UTC) - timedelta(seconds=1))

    def resolved() -> dict[str, Any] | None:
        current: dict[str, Any] = member.get(f"/api/v1/cards/{card['id']}").json()
        return current if current["alert"]["status"] == "resolved" else None

    done = until("the resolved notification", resolved)
    assert done["alert"]["resolved_at"] is not None
    assert len(fire_cards()) == 1  # repeats and the resolve never opened a second card
    signals = member.get(f"/api/v1/cards/{card['id']}/alerts", params={"limit": 200}).json()
    actions = [item["action"] for item in signals["items"]]
    assert actions[0] == "fired" and "repeated" in actions and actions[-1] == "resolved"
    body = signals["items"][0]["payload"]["body"]
    assert body["version"] == "4" and body["receiver"] == "firelane"
    assert integration["token"] not in str(signals)
