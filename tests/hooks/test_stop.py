"""The delivery loop stops within its grace: sends in flight finish and are recorded, the
claims of what was not sent are released for the next loop, never left to their lease."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlmodel import col, select

from app.core.config import Settings
from app.core.db import Database
from app.hooks.loop import DeliveryLoop
from app.hooks.models import Delivery
from tests.hooks.conftest import hooks_settings, new_card, subscribe
from tests.hooks.receiver import Receiver


def _until(check: Any, deadline: float = 30.0) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if found := check():
            return found
        time.sleep(0.02)
    raise AssertionError("timed out")


def _deliveries(db: Database) -> list[Delivery]:
    with db.session(readonly=True) as session:
        return list(session.exec(select(Delivery).order_by(col(Delivery.id))))


def _released() -> float:
    return REGISTRY.get_sample_value("firelane_hook_deliveries_total", {"outcome": "released"}) or 0


def test_a_send_that_outlasts_the_grace_is_released(
    admin: TestClient, board: dict[str, Any], db: Database, settings: Settings, receiver: Receiver
) -> None:
    subscribe(admin, receiver.url, ["card.created"])
    receiver.hold()
    loop = DeliveryLoop(db, settings, hooks=hooks_settings(concurrency=1))
    before = _released()
    new_card(admin, board, "Slow receiver")
    new_card(admin, board, "Queued behind it")
    loop.start()
    _until(lambda: receiver.requests)  # the first is in flight, the second waits its turn
    started = time.monotonic()
    loop.stop(grace=0.5)
    assert time.monotonic() - started < 5
    rows = _deliveries(db)
    assert [(row.status, row.attempts, row.claim_token) for row in rows] == [
        ("pending", 0, None),
        ("pending", 0, None),
    ]
    assert _released() - before == 2
    receiver.release()
    # The next loop sends both at once, not after the 300 s lease.
    again = DeliveryLoop(db, settings, hooks=hooks_settings())
    try:
        assert again.run_once() == 2
    finally:
        again.close()
    assert [row.status for row in _deliveries(db)] == ["delivered", "delivered"]


def test_a_send_that_ends_within_the_grace_is_recorded(
    admin: TestClient, board: dict[str, Any], db: Database, settings: Settings, receiver: Receiver
) -> None:
    subscribe(admin, receiver.url, ["card.created"])
    receiver.hold()
    loop = DeliveryLoop(db, settings, hooks=hooks_settings())
    new_card(admin, board, "Answers soon")
    loop.start()
    _until(lambda: receiver.requests)
    stopping = threading.Thread(target=loop.stop, kwargs={"grace": 30})
    stopping.start()
    receiver.release()
    stopping.join(30)
    (row,) = _deliveries(db)
    assert (row.status, row.attempts, row.claim_token) == ("delivered", 1, None)
