"""The delivery loop against real receivers: retries, backoff, final answers, the log."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.clock import ManualClock
from app.core.config import Settings
from app.core.db import Database
from app.hooks.loop import DeliveryLoop
from tests.hooks.conftest import START, hooks_settings, new_card, subscribe
from tests.hooks.receiver import Receiver, Silent


def _deliveries(admin: TestClient, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = admin.get("/api/v1/deliveries", params=params).json()["items"]
    return items


def _attempts(admin: TestClient, delivery_id: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = admin.get(f"/api/v1/deliveries/{delivery_id}/attempts").json()[
        "items"
    ]
    return items


def test_500_then_200_is_delivered_exactly_once(
    admin: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
    manual_clock: ManualClock,
) -> None:
    subscribe(admin, receiver.url, ["card.created"])
    new_card(admin, board, "Disk full")
    receiver.answer((500, {}, b"upstream exploded"))
    assert loop.run_once() == 1
    (pending,) = _deliveries(admin)
    assert pending["status"] == "pending" and pending["attempts"] == 1
    assert pending["last_status_code"] == 500
    # Backoff: the second attempt waits about 5 s (jitter ±10 %); nothing is due before.
    due = pending["next_attempt_at"]
    assert "2026-11-30T09:00:04.5" <= due.replace("+00:00", "Z") <= "2026-11-30T09:00:05.5Z"
    manual_clock.advance(timedelta(seconds=4))
    assert loop.run_once() == 0
    manual_clock.advance(timedelta(seconds=2))
    assert loop.run_once() == 1
    assert loop.run_once() == 0
    (done,) = _deliveries(admin)
    assert done["status"] == "delivered" and done["attempts"] == 2
    first, second = receiver.requests
    assert first.headers["x-firelane-delivery"] == second.headers["x-firelane-delivery"]
    assert first.body == second.body
    assert [r.headers["x-firelane-timestamp"] for r in receiver.requests] == [
        str(int(START.timestamp())),
        str(int((START + timedelta(seconds=6)).timestamp())),
    ]
    log = _attempts(admin, done["id"])
    assert [(a["status_code"], a["outcome"]) for a in log] == [(500, "retry"), (200, "delivered")]
    assert log[0]["response_excerpt"] == "upstream exploded"
    assert all(a["duration_ms"] >= 0 for a in log)


def test_4xx_is_final_but_408_and_429_retry_honouring_retry_after(
    admin: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
    manual_clock: ManualClock,
) -> None:
    subscribe(admin, receiver.url, ["card.created"])
    receiver.answer_when(b'"title":"gone"', 410)
    receiver.answer_when(b'"title":"timeout"', 408)
    receiver.answer_when(b'"title":"throttled"', (429, {"Retry-After": "120"}, b"slow down"))
    for title in ("gone", "timeout", "throttled"):
        new_card(admin, board, title)
    assert loop.run_once() == 3
    by_title = {
        json.loads(r.body)["data"]["card"]["title"]: r.headers["x-firelane-delivery"]
        for r in receiver.requests
    }
    rows = {d["uuid"]: d for d in _deliveries(admin)}
    gone, timeout, throttled = (rows[by_title[t]] for t in ("gone", "timeout", "throttled"))
    assert gone["status"] == "failed" and gone["last_status_code"] == 410
    assert timeout["status"] == "pending" and throttled["status"] == "pending"
    manual_clock.advance(timedelta(seconds=10))
    assert loop.run_once() == 1  # the 408 is due again; the 429 asked for 120 s
    manual_clock.advance(timedelta(seconds=111))
    assert loop.run_once() == 1
    statuses = {d["uuid"]: d["status"] for d in _deliveries(admin)}
    assert statuses == {
        gone["uuid"]: "failed",
        timeout["uuid"]: "delivered",
        throttled["uuid"]: "delivered",
    }
    assert len(receiver.requests) == 5


def test_dead_after_the_last_attempt_of_the_schedule(
    admin: TestClient,
    board: dict[str, Any],
    db: Database,
    settings: Settings,
    receiver: Receiver,
    manual_clock: ManualClock,
) -> None:
    loop = DeliveryLoop(db, settings, hooks=hooks_settings(retry_schedule="0,1m,1h"))
    try:
        subscribe(admin, receiver.url, ["*"])
        new_card(admin, board, "Never lands")
        receiver.answer(503, 502, 500, 500)
        for _ in range(5):
            loop.run_once()
            manual_clock.advance(timedelta(hours=2))
        (dead,) = _deliveries(admin)
        assert dead["status"] == "dead" and dead["attempts"] == 3
        assert len(receiver.requests) == 3
        outcomes = [a["outcome"] for a in _attempts(admin, dead["id"])]
        assert outcomes == ["retry", "retry", "dead"]
        assert _deliveries(admin, status="dead") == [dead]
        assert _deliveries(admin, status="pending") == []
    finally:
        loop.close()


def test_a_receiver_that_is_down_and_comes_back_gets_everything(
    admin: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
    manual_clock: ManualClock,
) -> None:
    subscribe(admin, receiver.url, ["card.created"])
    receiver.stop()
    titles = [f"fire {i}" for i in range(12)]
    for title in titles:
        new_card(admin, board, title)
    assert loop.run_once() == 12
    pending = _deliveries(admin, status="pending", limit=100)
    assert len(pending) == 12
    assert all("connection error" in (d["last_error"] or "") for d in pending)
    receiver.start()  # the same port
    manual_clock.advance(timedelta(minutes=1))
    assert loop.run_until_idle() == 12
    got = [json.loads(body)["data"]["card"]["title"] for body in receiver.bodies()]
    assert sorted(got) == sorted(titles)
    assert len({r.headers["x-firelane-delivery"] for r in receiver.requests}) == 12
    assert len(_deliveries(admin, status="delivered", limit=100)) == 12


def test_timeouts_are_retried(
    admin: TestClient,
    board: dict[str, Any],
    db: Database,
    settings: Settings,
    manual_clock: ManualClock,
) -> None:
    silent = Silent()
    loop = DeliveryLoop(db, settings, hooks=hooks_settings(timeout_seconds=0.2))
    try:
        subscribe(admin, silent.url, ["*"])
        new_card(admin, board, "Slow receiver")
        assert loop.run_once() == 1
        (row,) = _deliveries(admin)
        assert row["status"] == "pending" and row["last_error"].startswith("timeout")
        assert _attempts(admin, row["id"])[0]["outcome"] == "retry"
    finally:
        loop.close()
        silent.close()


def test_the_log_keeps_the_first_kb_of_the_answer(
    admin: TestClient, board: dict[str, Any], loop: DeliveryLoop, receiver: Receiver
) -> None:
    subscribe(admin, receiver.url, ["*"])
    receiver.answer((200, {}, "é".encode() * 3000))
    new_card(admin, board, "Chatty receiver")
    loop.run_once()
    (row,) = _deliveries(admin)
    (attempt,) = _attempts(admin, row["id"])
    assert len(attempt["response_excerpt"].encode()) <= 1024
    assert attempt["response_excerpt"].startswith("éé")


def test_redeliver_sends_again_from_the_start(
    admin: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
    manual_clock: ManualClock,
) -> None:
    subscribe(admin, receiver.url, ["*"])
    receiver.answer(404)
    new_card(admin, board, "Receiver misconfigured")
    loop.run_once()
    (failed,) = _deliveries(admin)
    assert failed["status"] == "failed"
    again = admin.post(f"/api/v1/deliveries/{failed['id']}/redeliver")
    assert again.status_code == 202, again.text
    assert again.json()["status"] == "pending" and again.json()["body"].startswith("{")
    assert loop.run_once() == 1
    detail = admin.get(f"/api/v1/deliveries/{failed['id']}").json()
    assert detail["status"] == "delivered" and detail["attempts"] == 2
    assert receiver.requests[0].headers["x-firelane-delivery"] == detail["uuid"]
    assert receiver.requests[1].headers["x-firelane-delivery"] == detail["uuid"]
    assert admin.post("/api/v1/deliveries/424242/redeliver").json()["error"] == (
        "delivery_not_found"
    )


def test_redeliver_refuses_a_delivery_in_flight(
    admin: TestClient, board: dict[str, Any], db: Database, manual_clock: ManualClock
) -> None:
    from app.hooks import delivery

    subscribe(admin, "http://127.0.0.1:9/hook", ["*"])
    new_card(admin, board, "Claimed")
    with db.session() as session:
        (claimed,) = delivery.claim(
            session, now=START, limit=10, lease=60, token="t" * 32, secret_key="x" * 32
        )
    response = admin.post(f"/api/v1/deliveries/{claimed.id}/redeliver")
    assert response.status_code == 409 and response.json()["error"] == "delivery_in_flight"


def test_secrets_never_reach_the_logs(
    admin: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    hook = subscribe(admin, receiver.url, ["*"])
    receiver.answer(500)
    new_card(admin, board, "Logged")
    loop.run_once()
    loop.run_once()
    assert caplog.records, "the attempts are logged"
    assert all(hook["secret"] not in record.getMessage() for record in caplog.records)


def test_a_secret_sealed_under_another_key_fails_clearly(
    admin: TestClient, board: dict[str, Any], db: Database, settings: Settings, receiver: Receiver
) -> None:
    rotated = settings.model_copy(update={"secret_key": "a-different-secret-key-0123456789"})
    loop = DeliveryLoop(db, rotated, hooks=hooks_settings())
    try:
        subscribe(admin, receiver.url, ["*"])
        new_card(admin, board, "Key changed")
        assert loop.run_once() == 1
        (row,) = _deliveries(admin)
        assert row["status"] == "failed" and row["last_error"].startswith("secret_unreadable")
        assert receiver.requests == []
    finally:
        loop.close()


def test_a_receivers_cookies_are_never_sent_back(
    admin: TestClient, board: dict[str, Any], db: Database, settings: Settings, receiver: Receiver
) -> None:
    subscribe(admin, receiver.url, ["card.created"])
    subscribe(admin, receiver.url.replace("/hook", "/other"), ["card.created"])
    # One sending thread: every request goes through the client that got the cookie.
    loop = DeliveryLoop(db, settings, hooks=hooks_settings(concurrency=1))
    try:
        receiver.answer((200, {"Set-Cookie": "session=abc; Path=/"}, b"ok"))
        new_card(admin, board, "First")
        assert loop.run_once() == 2
        new_card(admin, board, "Second")
        assert loop.run_once() == 2
    finally:
        loop.close()
    assert len(receiver.requests) == 4
    assert [r.headers.get("cookie") for r in receiver.requests] == [None] * 4


def test_an_answer_with_nul_bytes_is_logged_without_them(
    admin: TestClient, board: dict[str, Any], loop: DeliveryLoop, receiver: Receiver
) -> None:
    """PostgreSQL's text holds no NUL: a receiver's answer with some is logged, less them
    (on both backends alike), instead of failing the delivery's transaction."""
    subscribe(admin, receiver.url, ["*"])
    receiver.answer((200, {}, b"ok\x00\x00 done\x00"))
    new_card(admin, board, "Binary receiver")
    assert loop.run_once() == 1
    (row,) = _deliveries(admin)
    assert row["status"] == "delivered"
    (attempt,) = _attempts(admin, row["id"])
    assert attempt["response_excerpt"] == "ok done"
