"""The tiles of live frames: the board's view of a card, read by plain queries, must say what
the card's own JSON says (the same fields, values and text), for plain cards and fires."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient

from app.boards.live.frames import tiles
from app.core.db import Database
from app.core.jsontext import dumps

ALERT_FACTS = (
    "status", "severity", "occurrences", "flaps", "first_seen_at", "starts_at", "resolved_at",
)  # fmt: skip
SAME = (
    "id", "board_id", "column_id", "title", "kind", "priority", "labels", "assignee_id",
    "assignee", "due_at", "rank", "version", "status", "done_at",
)  # fmt: skip


def _expected(card: dict[str, Any]) -> dict[str, Any]:
    """The tile, from the card's JSON as GET /cards/{id} answers it."""
    tile = {key: card[key] for key in SAME}
    tile["checklist_done"] = sum(1 for item in card["checklist"] if item["done"])
    tile["checklist_total"] = len(card["checklist"])
    alert = card["alert"]
    tile["alert"] = None if alert is None else {key: alert[key] for key in ALERT_FACTS}
    return tile


def _tiles(db: Database, *card_ids: int) -> dict[int, Any]:
    with db.session(readonly=True) as session:
        found = tiles(session, set(card_ids))
    # As a frame carries it: JSON text, read back.
    return {card_id: orjson.loads(dumps(tile)) for card_id, tile in found.items()}


def test_a_tile_says_what_the_cards_json_says(
    admin: TestClient, member: TestClient, db: Database
) -> None:
    board = admin.post("/api/v1/boards", json={"name": "Tiles", "slug": "tiles"}).json()
    body = {
        "title": "Renew <the> certificate",
        "labels": ["tls", "edge"],
        "assignee": "mia",
        "due_at": "2026-12-24T17:30:00Z",
        "priority": "high",
        "checklist": ["order", "install", "check"],
    }
    card = member.post(f"/api/v1/boards/{board['id']}/cards", json=body).json()
    item = card["checklist"][1]
    done = {"version": card["version"], "done": True}
    assert member.patch(f"/api/v1/cards/{card['id']}/checklist/{item['id']}", json=done).is_success
    plain = member.post(f"/api/v1/boards/{board['id']}/cards", json={"title": "bare"}).json()
    hook = {"name": "generic", "kind": "generic", "board_id": board["id"]}
    integration = admin.post("/api/v1/integrations", json=hook).json()
    path = integration["ingest_url"].split("://", 1)[1].split("/", 1)[1]
    sent = admin.post(
        f"/{path}",
        json={"title": "Disk full", "key": "disk", "severity": "critical"},
        headers={"Authorization": f"Bearer {integration['token']}"},
    )
    assert sent.status_code == 202, sent.text
    again = admin.post(
        f"/{path}",
        json={"title": "Disk full", "key": "disk", "severity": "critical"},
        headers={"Authorization": f"Bearer {integration['token']}"},
    )
    fire_id = again.json()["cards"][0]
    found = _tiles(db, card["id"], plain["id"], fire_id, 999_999)
    assert set(found) == {card["id"], plain["id"], fire_id}  # a card that is gone: no tile
    for card_id in (card["id"], plain["id"], fire_id):
        assert found[card_id] == _expected(admin.get(f"/api/v1/cards/{card_id}").json())
    assert found[card["id"]]["checklist_done"] == 1
    assert found[fire_id]["alert"]["occurrences"] == 2
    assert found[plain["id"]]["alert"] is None
