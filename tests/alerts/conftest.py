"""Fixtures of the alerts tests: a board, integrations of every kind, vendor payloads."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from httpx import Response

from app.core.db import Database

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> Any:
    """A vendor payload from tests/alerts/fixtures (a fresh copy each time)."""
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text()))


def count(db: Database, table: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one())


@pytest.fixture
def board(admin: TestClient) -> dict[str, Any]:
    """An ops board: Triage, Doing, Resolved (a done column) and Done."""
    response = admin.post(
        "/api/v1/boards",
        json={
            "name": "Ops",
            "slug": "ops",
            "columns": [
                {"name": "Triage"},
                {"name": "Doing"},
                {"name": "Resolved", "is_done": True},
                {"name": "Done", "is_done": True},
            ],
        },
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    columns = admin.get(f"/api/v1/boards/{created['id']}/columns").json()["items"]
    return {**created, "columns": {c["name"]: c["id"] for c in columns}}


MakeIntegration = Callable[..., dict[str, Any]]


@pytest.fixture
def make_integration(admin: TestClient, board: dict[str, Any]) -> MakeIntegration:
    """Create an integration of ``kind`` on the board; answers its JSON with the token."""
    made = 0

    def make(kind: str = "alertmanager", **settings: Any) -> dict[str, Any]:
        nonlocal made
        made += 1
        body = {"name": f"{kind}-{made}", "kind": kind, "board_id": board["id"], **settings}
        response = admin.post("/api/v1/integrations", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    return make


def post(
    client: TestClient,
    integration: dict[str, Any],
    payload: Any,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """POST a payload to an integration's ingest URL with its Bearer token."""
    path = integration["ingest_url"].split("://", 1)[1].split("/", 1)[1]
    sent = {"Authorization": f"Bearer {token or integration['token']}", **(headers or {})}
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(
        f"/{path}", content=body, headers={"Content-Type": "application/json", **sent}
    )


def card(client: TestClient, card_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/cards/{card_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def event_types(client: TestClient, card_id: int) -> list[str]:
    items = client.get(f"/api/v1/cards/{card_id}/events", params={"limit": 200}).json()["items"]
    return [item["type"] for item in items]
