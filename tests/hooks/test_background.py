"""The loop's thread wakes on commits that queue deliveries; old log rows are purged."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from app.core.clock import ManualClock
from app.core.config import Settings
from app.core.db import Database
from app.hooks import jobs
from app.hooks.loop import DeliveryLoop
from tests.hooks.conftest import hooks_settings, make_rule, new_card, subscribe
from tests.hooks.receiver import Receiver


def _until(check: Any, deadline: float = 30.0) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_commit_wakes_the_thread(
    admin: TestClient,
    board: dict[str, Any],
    db: Database,
    settings: Settings,
    receiver: Receiver,
) -> None:
    # It polls only every 10 minutes: anything sooner is the commit waking it.
    loop = DeliveryLoop(db, settings, hooks=hooks_settings(poll_seconds=600))
    loop.start()
    try:
        subscribe(admin, receiver.url, ["card.created"])
        assert loop.idle.wait(30), "the first round never ended"
        new_card(admin, board, "Wake up")
        _until(lambda: receiver.requests)
    finally:
        loop.stop()
    delivered = admin.get("/api/v1/deliveries", params={"status": "delivered"}).json()["items"]
    assert len(delivered) == 1


def test_purge_keeps_pending_work_and_recent_history(
    admin: TestClient,
    board: dict[str, Any],
    db: Database,
    loop: DeliveryLoop,
    receiver: Receiver,
    manual_clock: ManualClock,
) -> None:
    subscribe(admin, receiver.url, ["card.created"])
    rule = make_rule(admin, trigger="card.created", actions=[{"type": "add_label", "label": "x"}])
    new_card(admin, board, "old and delivered")
    loop.run_once()
    manual_clock.advance(timedelta(days=20))
    receiver.stop()
    new_card(admin, board, "old and still pending")
    loop.run_once()
    manual_clock.advance(timedelta(days=11))
    with db.session() as session:
        assert jobs.purge(session, retention_days=30) == 2  # one delivery, one rule run
    left = admin.get("/api/v1/deliveries").json()["items"]
    assert [d["status"] for d in left] == ["pending"]
    assert len(admin.get(f"/api/v1/rules/{rule['id']}/runs").json()["items"]) == 1
    with db.session() as session:
        assert jobs.purge(session, retention_days=30) == 0


def test_lists_are_paged(admin: TestClient, board: dict[str, Any]) -> None:
    subscribe(admin, "https://ci.example.com/hook", ["*"])
    for i in range(7):
        new_card(admin, board, f"card {i}")
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = admin.get("/api/v1/deliveries", params=params).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 7 and seen == sorted(seen, reverse=True)
    assert admin.get("/api/v1/deliveries", params={"status": "lost"}).status_code == 422
