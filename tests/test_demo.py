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
    # The static cards, and those ten weeks of alerts, chores and automation made.
    assert sum(c["card_count"] for c in detail["columns"]) > len(CARDS)
    assert {c["kind"] for col in detail["columns"] for c in col["cards"]} == {
        "fire", "maintenance", "project", "change", "automation",
    }  # fmt: skip
    done = next(c for c in detail["columns"] if c["is_done"])
    assert done["card_count"] > 0 and all(c["done_at"] for c in done["cards"])
    schedules = admin.get("/api/v1/schedules").json()["items"]
    assert sorted(s["name"] for s in schedules) == sorted(s["name"] for s in SCHEDULES)
    assert len(admin.get("/api/v1/integrations").json()["items"]) == 1

    # The weekly report has something to say: fires every week, candidates priced, and
    # the automation that retired DiskSpaceLow.
    report = admin.get("/api/v1/reports/weekly", params={"board": "ops"}).json()
    assert sum(report["trends"]["interruptions"]) > 20
    assert {c["name"] for c in report["candidates"]} >= {"DiskSpaceLow", "HostHighCpuLoad"}
    assert [e["status"] for e in report["ledger"]] == ["retired"]
    planned = next(c for c in report["candidates"] if c["name"] == "CertificateExpiringSoon")
    assert planned["automation_card_id"] is not None and planned["payback_weeks"] is not None
    fires = admin.get("/api/v1/cards", params={"kind": "fire", "limit": 200}).json()["items"]
    assert all(card["alert"] is not None for card in fires)
    # ... and two of them still firing as the demo opens.
    burning = {card["title"] for card in fires if card["alert"]["status"] == "firing"}
    assert {"HostHighCpuLoad on db-prod-01", "KubePodCrashLooping on payments-worker"} <= burning
