from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def board(admin: TestClient) -> dict[str, Any]:
    """A board with Todo, Doing (hard WIP 2), Review (soft WIP 1) and Done columns."""
    response = admin.post(
        "/api/v1/boards",
        json={
            "name": "Platform",
            "slug": "platform",
            "columns": [
                {"name": "Todo"},
                {"name": "Doing", "wip_limit": 2, "wip_mode": "hard"},
                {"name": "Review", "wip_limit": 1, "wip_mode": "soft"},
                {"name": "Done", "is_done": True},
            ],
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    columns = admin.get(f"/api/v1/boards/{created['id']}/columns").json()["items"]
    return {**created, "columns": {c["name"]: c["id"] for c in columns}}


def new_card(
    client: TestClient, board: dict[str, Any], title: str, **fields: Any
) -> dict[str, Any]:
    response = client.post(f"/api/v1/boards/{board['id']}/cards", json={"title": title, **fields})
    assert response.status_code == 201, response.text
    card: dict[str, Any] = response.json()
    return card


def column_titles(client: TestClient, column_id: int) -> list[str]:
    """Every card title of a column in board order, following the cursor."""
    titles: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"column_id": column_id, "limit": 7}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v1/cards", params=params).json()
        titles += [card["title"] for card in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return titles
