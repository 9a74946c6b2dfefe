"""GET /cards/{card_id}/links: the cards linked to a card, both ways, with their titles."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.boards.conftest import new_card


def test_a_chores_recurrences_link_both_ways(
    admin: TestClient, viewer: TestClient, board: dict[str, Any]
) -> None:
    schedule = admin.post(
        "/api/v1/schedules",
        json={
            "name": "Rotate logs",
            "board_id": board["id"],
            "cron": "0 3 * * *",
            "title": "Rotate the logs",
            "overlap": "stack",
        },
    ).json()
    first, second, third = (
        admin.post(f"/api/v1/schedules/{schedule['id']}/run").json()["card_id"] for _ in range(3)
    )
    linked = viewer.get(f"/api/v1/cards/{second}/links")
    assert linked.status_code == 200, linked.text
    assert linked.json() == [
        {
            "direction": "out",
            "kind": "recurrence_of",
            "card_id": first,
            "title": "Rotate the logs",
            "card_kind": "maintenance",
            "status": "open",
        },
        {
            "direction": "in",
            "kind": "recurrence_of",
            "card_id": third,
            "title": "Rotate the logs",
            "card_kind": "maintenance",
            "status": "open",
        },
    ]
    back = viewer.get(f"/api/v1/cards/{first}/links").json()
    assert [(row["direction"], row["card_id"]) for row in back] == [("in", second)]


def test_a_card_without_links_has_none(admin: TestClient, board: dict[str, Any]) -> None:
    card = new_card(admin, board, "Alone")
    assert admin.get(f"/api/v1/cards/{card['id']}/links").json() == []
    assert admin.get("/api/v1/cards/999999/links").status_code == 404
