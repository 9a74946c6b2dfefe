"""``firelane demo`` seeds a realistic board once; a second run changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.core.config import Settings
from app.core.db import Database
from app.demo import CARDS, SCHEDULES, seed


def test_demo_seeds_once(db: Database, settings: Settings, admin: TestClient) -> None:
    said: list[str] = []
    seed(db, say=said.append, settings=settings)
    seed(db, say=said.append, settings=settings)
    assert said[-1] == "demo board 'ops' exists already; nothing to do"
    assert any("password" in line for line in said)
    board = admin.get("/api/v1/boards").json()["items"]
    assert [b["slug"] for b in board] == ["ops"]
    detail = admin.get(f"/api/v1/boards/{board[0]['id']}").json()
    assert sum(c["card_count"] for c in detail["columns"]) == len(CARDS)
    assert {c["kind"] for col in detail["columns"] for c in col["cards"]} == {
        "fire", "maintenance", "project", "change", "automation",
    }  # fmt: skip
    done = next(c for c in detail["columns"] if c["is_done"])
    assert done["card_count"] > 0 and all(c["done_at"] for c in done["cards"])
    schedules = admin.get("/api/v1/schedules").json()["items"]
    assert sorted(s["name"] for s in schedules) == sorted(s["name"] for s in SCHEDULES)
    assert len(admin.get("/api/v1/integrations").json()["items"]) == 1
