"""The queue survives restarts and crashes, and two processes never send the same row."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from app.core.clock import ManualClock
from app.core.config import Settings
from app.core.db import Database
from app.hooks import delivery
from app.hooks.loop import DeliveryLoop
from tests.hooks.conftest import START, hooks_settings, new_card, subscribe
from tests.hooks.receiver import Receiver


def _uuids(receiver: Receiver) -> Counter[str]:
    return Counter(r.headers["x-firelane-delivery"] for r in receiver.requests)


def test_a_restart_mid_queue_loses_nothing(
    admin: TestClient,
    board: dict[str, Any],
    settings: Settings,
    database_url: str,
    receiver: Receiver,
    manual_clock: ManualClock,
) -> None:
    subscribe(admin, receiver.url, ["card.created"])
    for i in range(30):
        new_card(admin, board, f"fire {i}")

    # Process A sends one batch, claims the next, and dies before sending it.
    first_db = Database.from_url(database_url)
    first = DeliveryLoop(first_db, settings, hooks=hooks_settings(batch_size=10))
    assert first.run_once() == 10
    with first_db.session() as session:
        stranded = delivery.claim(
            session, now=START, limit=10, lease=300, token="dead" * 8, secret_key="unused" * 4
        )
    assert len(stranded) == 10
    first.close()
    first_db.dispose()

    # Process B starts over the same database: it sends what is free at once ...
    second_db = Database.from_url(database_url)
    second = DeliveryLoop(second_db, settings, hooks=hooks_settings(batch_size=10))
    try:
        assert second.run_until_idle() == 10
        assert len(receiver.requests) == 20
        # ... and the dead process's claims once their lease is over.
        manual_clock.advance(timedelta(seconds=301))
        assert second.run_until_idle() == 10
    finally:
        second.close()
        second_db.dispose()
    counts = _uuids(receiver)
    assert len(counts) == 30 and set(counts.values()) == {1}
    listed = admin.get("/api/v1/deliveries", params={"status": "delivered", "limit": 100})
    assert len(listed.json()["items"]) == 30


def test_two_loops_never_send_the_same_delivery(
    admin: TestClient,
    board: dict[str, Any],
    settings: Settings,
    database_url: str,
    receiver: Receiver,
) -> None:
    subscribe(admin, receiver.url, ["*"])
    subscribe(admin, receiver.url, ["card.created"])
    for i in range(60):
        new_card(admin, board, f"card {i}")
    databases = [Database.from_url(database_url) for _ in range(2)]
    loops = [DeliveryLoop(d, settings, hooks=hooks_settings(batch_size=7)) for d in databases]
    sent = [0, 0]
    barrier = threading.Barrier(2)

    def run(index: int) -> None:
        barrier.wait()
        sent[index] = loops[index].run_until_idle()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for made in loops:
        made.close()
    for database in databases:
        database.dispose()
    counts = _uuids(receiver)
    assert sum(sent) == 120 and len(counts) == 120
    assert set(counts.values()) == {1}, "a delivery was sent twice"


def test_a_finish_after_a_lost_claim_changes_nothing(
    admin: TestClient, board: dict[str, Any], db: Database, manual_clock: ManualClock
) -> None:
    subscribe(admin, "http://127.0.0.1:9/hook", ["*"])
    new_card(admin, board, "Contested")
    with db.session() as session:
        (mine,) = delivery.claim(
            session, now=START, limit=1, lease=10, token="a" * 32, secret_key="k" * 32
        )
    later = START + timedelta(seconds=11)
    with db.session() as session:
        (theirs,) = delivery.claim(
            session, now=later, limit=1, lease=10, token="b" * 32, secret_key="k" * 32
        )
    assert mine.id == theirs.id
    with db.session() as session:
        delivery.finish(
            session,
            [delivery.Result(mine.id, START, 5, status_code=500)],
            now=later,
            token="a" * 32,
            settings=hooks_settings(),
            rng=random.Random(1),
        )
    (row,) = admin.get("/api/v1/deliveries").json()["items"]
    assert row["attempts"] == 0 and row["status"] == "pending"
    (logged,) = admin.get(f"/api/v1/deliveries/{row['id']}/attempts").json()["items"]
    assert logged["outcome"] == "stale" and logged["status_code"] == 500


def test_one_finish_records_every_outcome_of_its_batch(
    admin: TestClient, board: dict[str, Any], db: Database, manual_clock: ManualClock
) -> None:
    subscribe(admin, "http://127.0.0.1:9/hook", ["*"])
    for title in ("sent", "refused", "retried"):
        new_card(admin, board, title)
    with db.session() as session:
        claimed = delivery.claim(
            session, now=START, limit=10, lease=10, token="a" * 32, secret_key="k" * 32
        )
    assert len(claimed) == 3
    codes = [200, 404, 503]
    with db.session() as session:
        delivery.finish(
            session,
            [
                delivery.Result(item.id, START, 7, status_code=code, response_excerpt=str(code))
                for item, code in zip(claimed, codes, strict=True)
            ],
            now=START,
            token="a" * 32,
            settings=hooks_settings(),
            rng=random.Random(1),
        )
    rows = sorted(admin.get("/api/v1/deliveries").json()["items"], key=lambda row: row["id"])
    assert [(row["status"], row["attempts"]) for row in rows] == [
        ("delivered", 1),
        ("failed", 1),
        ("pending", 1),
    ]
    # Due again after the schedule's second delay (5 s, give or take its jitter).
    retried = admin.get(f"/api/v1/deliveries/{rows[2]['id']}").json()
    due = datetime.fromisoformat(retried["next_attempt_at"]) - START
    assert timedelta(seconds=4) <= due <= timedelta(seconds=6)
    for row, code in zip(rows, codes, strict=True):
        (logged,) = admin.get(f"/api/v1/deliveries/{row['id']}/attempts").json()["items"]
        assert (logged["status_code"], logged["response_excerpt"], logged["duration_ms"]) == (
            code,
            str(code),
            7,
        )
