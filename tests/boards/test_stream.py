"""GET /boards/{board_id}/stream: card events live, resumed by Last-Event-ID, resync when the
gap is too long, and on PostgreSQL strictly in id order even when transactions commit out of
order. Time is bounded by heartbeats (set to a fraction of a second here), never by sleeps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.boards.live.config import get_stream_settings
from app.core.db import Database


@pytest.fixture(autouse=True)
def _quick_heartbeat(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FIRELANE_STREAM_HEARTBEAT_SECONDS", "0.2")
    monkeypatch.setenv("FIRELANE_STREAM_POLL_SECONDS", "0.05")
    monkeypatch.setenv("FIRELANE_STREAM_RESUME_LIMIT", "3")
    get_stream_settings.cache_clear()
    yield
    get_stream_settings.cache_clear()


def _frames(response: Any) -> Iterator[dict[str, Any]]:
    """Parse server-sent events; a heartbeat is a frame too (it bounds every wait)."""
    frame: dict[str, Any] = {}
    for line in response.iter_lines():
        if line == "":
            if frame:
                yield frame
            frame = {}
        elif line.startswith(":"):
            continue
        else:
            name, _, value = line.partition(": ")
            frame[name] = value


def _until(frames: Iterator[dict[str, Any]], event: str, beats: int = 40) -> dict[str, Any]:
    for frame in frames:
        if frame.get("event") == event:
            return frame
        if frame.get("event") == "heartbeat":
            beats -= 1
            assert beats > 0, f"no {event} event came"
    raise AssertionError("the stream ended")


def _cards_until_quiet(frames: Iterator[dict[str, Any]], beats: int = 3) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for frame in frames:
        if frame.get("event") == "card":
            seen.append(frame)
        elif frame.get("event") == "heartbeat":
            beats -= 1
            if beats == 0:
                return seen
        elif frame.get("event") == "resync":
            seen.append(frame)
            return seen
    return seen


def _board(admin: TestClient) -> int:
    board_id: int = admin.post("/api/v1/boards", json={"name": "Live", "slug": "live"}).json()["id"]
    return board_id


def _add(client: TestClient, board_id: int, title: str) -> dict[str, Any]:
    made = client.post(f"/api/v1/boards/{board_id}/cards", json={"title": title})
    assert made.status_code == 201, made.text
    card: dict[str, Any] = made.json()
    return card


def test_a_viewer_hears_card_events_with_the_card(admin: TestClient, viewer: TestClient) -> None:
    board_id = _board(admin)
    with viewer.stream("GET", f"/api/v1/boards/{board_id}/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["x-accel-buffering"] == "no"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        frames = _frames(response)
        ready = _until(frames, "ready")
        assert json.loads(ready["data"])["heartbeat_seconds"] == 0.2
        made = _add(admin, board_id, "Disk <b>full</b>")
        frame = _until(frames, "card")
    data = json.loads(frame["data"])
    assert data["type"] == "card.created"
    assert data["card"]["title"] == "Disk <b>full</b>"
    assert data["card_id"] == made["id"]
    assert int(frame["id"]) > int(ready["id"])


def test_other_boards_events_stay_out(admin: TestClient) -> None:
    board_id = _board(admin)
    other = admin.post("/api/v1/boards", json={"name": "Other", "slug": "other"}).json()["id"]
    with admin.stream("GET", f"/api/v1/boards/{board_id}/stream") as response:
        frames = _frames(response)
        _until(frames, "ready")
        _add(admin, other, "elsewhere")
        _add(admin, board_id, "here")
        titles = [json.loads(f["data"])["card"]["title"] for f in _cards_until_quiet(frames)]
    assert titles == ["here"]


def test_a_reconnect_resumes_after_its_last_event_id(admin: TestClient) -> None:
    board_id = _board(admin)
    with admin.stream("GET", f"/api/v1/boards/{board_id}/stream") as response:
        frames = _frames(response)
        _until(frames, "ready")
        _add(admin, board_id, "seen")
        last = _until(frames, "card")["id"]
    _add(admin, board_id, "missed 1")
    _add(admin, board_id, "missed 2")
    headers = {"Last-Event-ID": last}
    with admin.stream("GET", f"/api/v1/boards/{board_id}/stream", headers=headers) as response:
        frames = _frames(response)
        _until(frames, "ready")
        got = _cards_until_quiet(frames)
    assert [json.loads(f["data"])["card"]["title"] for f in got] == ["missed 1", "missed 2"]
    assert all(int(f["id"]) > int(last) for f in got)


def test_a_gap_too_long_to_replay_asks_for_a_resync(admin: TestClient) -> None:
    board_id = _board(admin)
    for number in range(4):  # resume limit is 3 here
        _add(admin, board_id, f"card {number}")
    url = f"/api/v1/boards/{board_id}/stream?resume=0"
    with admin.stream("GET", url) as response:
        frames = _frames(response)
        _until(frames, "ready")
        assert [f["event"] for f in _cards_until_quiet(frames)] == ["resync"]


def test_an_unknown_board_is_404_and_a_stranger_401(admin: TestClient, anon: TestClient) -> None:
    answer = admin.get("/api/v1/boards/999999/stream")
    assert answer.status_code == 404
    assert answer.json()["error"] == "board_not_found"
    anon.cookies.clear()
    assert anon.get("/api/v1/boards/1/stream").status_code == 401


def test_events_are_handed_out_in_id_order_when_commits_are_not(
    admin: TestClient, db: Database
) -> None:
    """PostgreSQL takes ids at insert: a later id may commit first; the stream waits."""
    board_id = _board(admin)
    card = _add(admin, board_id, "slow writer's card")
    if db.dialect != "postgresql":  # SQLite's one writer takes ids and commits in order
        return
    insert = sa.text(
        "INSERT INTO card_event (card_id, board_id, type, actor, changes, data, created_at) "
        "VALUES (:card, :board, 'card.commented', 'system', '{}', '{}', now()) RETURNING id"
    )
    with admin.stream("GET", f"/api/v1/boards/{board_id}/stream") as response:
        frames = _frames(response)
        _until(frames, "ready")
        with db.engine.connect() as slow:
            first = slow.execute(insert, {"card": card["id"], "board": board_id}).scalar_one()
            _add(admin, board_id, "fast writer's card")
            assert _cards_until_quiet(frames) == []  # held back behind the open transaction
            slow.commit()
        got = _cards_until_quiet(frames)
    ids = [int(f["id"]) for f in got]
    assert ids[0] == first
    assert ids == sorted(ids)
    assert json.loads(got[-1]["data"])["card"]["title"] == "fast writer's card"


def test_an_alerts_events_carry_its_tile_once(admin: TestClient) -> None:
    """A new alert's card.created and alert.fired come together: the first brings the tile."""
    board_id = _board(admin)
    hook = {"name": "generic", "kind": "generic", "board_id": board_id}
    integration = admin.post("/api/v1/integrations", json=hook).json()
    path = "/" + integration["ingest_url"].split("://", 1)[1].split("/", 1)[1]
    auth = {"Authorization": f"Bearer {integration['token']}"}
    with admin.stream("GET", f"/api/v1/boards/{board_id}/stream") as response:
        frames = _frames(response)
        _until(frames, "ready")
        sent = admin.post(path, json={"title": "<b>Disk</b> full", "key": "d"}, headers=auth)
        assert sent.status_code == 202, sent.text
        got = [json.loads(f["data"]) for f in _cards_until_quiet(frames)]
    assert [event["type"] for event in got] == ["card.created", "alert.fired"]
    assert got[0]["card"]["title"] == "<b>Disk</b> full"
    assert got[0]["card"]["alert"]["status"] == "firing"
    assert "card" not in got[1]
    assert got[1]["card_id"] == got[0]["card_id"]


def test_a_gap_over_many_boards_events_asks_for_a_resync(
    admin: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resume reads every board's ids in its gap: past _GAP of them, a reload is cheaper."""
    from app.boards.live import tail

    monkeypatch.setattr(tail, "_GAP", 3)
    board_id = _board(admin)
    other = admin.post("/api/v1/boards", json={"name": "Other", "slug": "other"}).json()["id"]
    for number in range(3):
        _add(admin, other, f"elsewhere {number}")
    _add(admin, board_id, "here")  # one event of this board: under the resume limit (3)
    with admin.stream("GET", f"/api/v1/boards/{board_id}/stream?resume=0") as response:
        frames = _frames(response)
        _until(frames, "ready")
        assert [f["event"] for f in _cards_until_quiet(frames)] == ["resync"]
