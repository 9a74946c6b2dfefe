from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.hooks.config import HooksSettings
from app.hooks.loop import DeliveryLoop
from app.wiring import wire
from tests.hooks.receiver import Receiver

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True, scope="session")
def _wired() -> None:
    wire()


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    """The process clock, standing still at START until a test moves it."""
    with clock.use(clock.ManualClock(START)) as manual:
        assert isinstance(manual, clock.ManualClock)
        yield manual


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


def hooks_settings(**overrides: Any) -> HooksSettings:
    fields: dict[str, Any] = {"concurrency": 4, "batch_size": 50, "timeout_seconds": 5.0}
    fields.update(overrides)
    return HooksSettings(_env_file=None, **fields)  # type: ignore[call-arg]


@pytest.fixture
def loop(db: Database, settings: Settings) -> Iterator[DeliveryLoop]:
    """A delivery loop driven by the test through run_once(now=...)."""
    made = DeliveryLoop(db, settings, hooks=hooks_settings())
    yield made
    made.close()


@pytest.fixture
def board(admin: TestClient) -> dict[str, Any]:
    """A board with Todo, Doing, Done, and Full (hard WIP limit 1) columns."""
    response = admin.post(
        "/api/v1/boards",
        json={
            "name": "Ops",
            "slug": "ops",
            "columns": [
                {"name": "Todo"},
                {"name": "Doing"},
                {"name": "Done", "is_done": True},
                {"name": "Full", "wip_limit": 1, "wip_mode": "hard"},
            ],
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    columns = admin.get(f"/api/v1/boards/{created['id']}/columns").json()["items"]
    return {**created, "columns": {c["name"]: c["id"] for c in columns}}


def new_card(client: TestClient, board: dict[str, Any], title: str, **fields: Any) -> Any:
    response = client.post(f"/api/v1/boards/{board['id']}/cards", json={"title": title, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def subscribe(admin: TestClient, url: str, events: list[str], **fields: Any) -> Any:
    response = admin.post("/api/v1/webhooks", json={"url": url, "events": events, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def make_rule(admin: TestClient, **fields: Any) -> Any:
    body = {"name": "rule", **fields}
    response = admin.post("/api/v1/rules", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def events_of(client: TestClient, card_id: int) -> list[dict[str, Any]]:
    page = client.get(f"/api/v1/cards/{card_id}/events", params={"limit": 200}).json()
    items: list[dict[str, Any]] = page["items"]
    return items


def generic_integration(admin: TestClient, board: dict[str, Any]) -> Any:
    """A generic JSON integration opening its cards on ``board``, with its token."""
    created = admin.post(
        "/api/v1/integrations",
        json={"name": "generic", "kind": "generic", "board_id": board["id"]},
    )
    assert created.status_code == 201, created.text
    return created.json()


def ingest(client: TestClient, integration: dict[str, Any], payload: dict[str, Any]) -> Any:
    """Post one alert to an integration's ingest URL; answer the 202's body."""
    path = "/" + integration["ingest_url"].split("://", 1)[1].split("/", 1)[1]
    response = client.post(
        path, json=payload, headers={"Authorization": f"Bearer {integration['token']}"}
    )
    assert response.status_code == 202, response.text
    return response.json()
