"""The delivery loop runs inside the real ``firelane serve`` and ``firelane worker`` processes.

Each test runs the CLI as subprocesses over a SQLite file, with a real HTTP receiver on
loopback, and polls (never sleeps a fixed time) until the effect shows.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.processes import Firelane, until
from tests.hooks.receiver import Receiver

pytestmark = pytest.mark.e2e


def _card_created(client: httpx.Client, receiver: Receiver) -> dict[str, Any]:
    hook = client.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["card.created"]})
    assert hook.status_code == 201, hook.text
    board = client.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
    card = client.post(f"/api/v1/boards/{board['id']}/cards", json={"title": "Disk full"})
    assert card.status_code == 201, card.text
    created: dict[str, Any] = card.json()
    return created


def test_serve_delivers_webhooks(firelane: Firelane, receiver: Receiver) -> None:
    firelane.serve()
    with firelane.admin_client() as client:
        card = _card_created(client, receiver)
        until("the receiver to get the card", lambda: receiver.requests)
        (request,) = receiver.requests
        assert request.headers["x-firelane-event"] == "card.created"
        assert f'"card_id":{card["id"]}' in request.body.decode()
        until(
            "the delivery to be logged as delivered",
            lambda: client.get("/api/v1/deliveries", params={"status": "delivered"}).json()[
                "items"
            ],
        )


def test_worker_delivers_what_api_replicas_queue(firelane: Firelane, receiver: Receiver) -> None:
    firelane.serve("--no-scheduler")
    with firelane.admin_client() as client:
        _card_created(client, receiver)
        (queued,) = client.get("/api/v1/deliveries").json()["items"]
        assert queued["status"] == "pending" and receiver.requests == []
        firelane.start("worker")
        until("the worker to deliver", lambda: receiver.requests)
        until(
            "the delivery to be logged as delivered",
            lambda: (
                client.get(f"/api/v1/deliveries/{queued['id']}").json()["status"] == "delivered"
            ),
        )
        assert len(receiver.requests) == 1
