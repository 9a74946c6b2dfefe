"""Column changes on GET /boards/{board_id}/stream: the board's layout right after ``ready``,
then again after each change of the board or its columns (create, rename, reorder, WIP
limit, delete), whichever process made it; on PostgreSQL a board change wakes the tails by
NOTIFY. Waits are bounded by heartbeats (a fraction of a second here), never by sleeps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.boards import service
from app.boards.live.config import get_stream_settings
from app.boards.live.tail import CHANNEL
from app.boards.schemas import ColumnUpdate
from app.core.db import Database
from tests.boards.test_stream import _frames, _until


@pytest.fixture(autouse=True)
def _quick_heartbeat(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FIRELANE_STREAM_HEARTBEAT_SECONDS", "0.2")
    monkeypatch.setenv("FIRELANE_STREAM_POLL_SECONDS", "0.05")
    get_stream_settings.cache_clear()
    yield
    get_stream_settings.cache_clear()


def _layout(frames: Iterator[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_until(frames, "board")["data"])
    return data


def _quiet(frames: Iterator[dict[str, Any]], beats: int = 3) -> list[str]:
    """The events (other than heartbeats) that come before ``beats`` heartbeats in a row."""
    seen: list[str] = []
    for frame in frames:
        if frame.get("event") != "heartbeat":
            seen.append(frame.get("event", ""))
            continue
        beats -= 1
        if beats == 0:
            break
    return seen


def _names(layout: dict[str, Any]) -> list[str]:
    return [column["name"] for column in layout["columns"]]


def test_every_column_change_reaches_the_stream(admin: TestClient, viewer: TestClient) -> None:
    made = admin.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"})
    board = made.json()
    columns = f"/api/v1/boards/{board['id']}/columns"
    with viewer.stream("GET", f"/api/v1/boards/{board['id']}/stream") as response:
        frames = _frames(response)
        _until(frames, "ready")
        frame = _until(frames, "board")
        assert "id" not in frame  # a layout does not move Last-Event-ID
        first = json.loads(frame["data"])
        assert first["slug"] == "ops"
        assert first["layout_version"] == board["layout_version"]
        assert _names(first) == ["Triage", "In progress", "Done"]

        added = admin.post(columns, json={"name": "Review", "position": 2}).json()
        layout = _layout(frames)
        assert _names(layout) == ["Triage", "In progress", "Review", "Done"]
        assert layout["layout_version"] == first["layout_version"] + 1

        admin.patch(f"{columns}/{added['id']}", json={"name": "Peer review"})
        assert _names(_layout(frames)) == ["Triage", "In progress", "Peer review", "Done"]

        admin.patch(f"{columns}/{added['id']}", json={"position": 0})
        assert _names(_layout(frames)) == ["Peer review", "Triage", "In progress", "Done"]

        admin.patch(f"{columns}/{added['id']}", json={"wip_limit": 3, "wip_mode": "hard"})
        review = _layout(frames)["columns"][0]
        assert (review["wip_limit"], review["wip_mode"]) == (3, "hard")

        admin.patch(f"/api/v1/boards/{board['id']}", json={"name": "Operations"})
        assert _layout(frames)["name"] == "Operations"

        assert admin.delete(f"{columns}/{added['id']}").status_code == 204
        last = _layout(frames)
        assert _names(last) == ["Triage", "In progress", "Done"]
        assert last["layout_version"] == first["layout_version"] + 6
        assert _quiet(frames) == []  # each change came once


def test_a_change_by_another_process_reaches_the_stream(admin: TestClient, db: Database) -> None:
    """The tail reads versions from the database: a change it did not see made still counts."""
    board = admin.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
    other = Database.from_url(db.engine.url.render_as_string(hide_password=False))
    try:
        with admin.stream("GET", f"/api/v1/boards/{board['id']}/stream") as response:
            frames = _frames(response)
            _until(frames, "ready")
            _layout(frames)
            with other.session() as session:
                column = service.list_columns(session, board_id=board["id"])[0]
                service.update_column(session, column=column, data=ColumnUpdate(name="Inbox"))
            assert _names(_layout(frames))[0] == "Inbox"
    finally:
        other.dispose()


def test_a_reconnect_gets_the_layout_it_missed(admin: TestClient) -> None:
    board = admin.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
    with admin.stream("GET", f"/api/v1/boards/{board['id']}/stream") as response:
        frames = _frames(response)
        last = _until(frames, "ready")["id"]
    admin.post(f"/api/v1/boards/{board['id']}/columns", json={"name": "Blocked"})
    url = f"/api/v1/boards/{board['id']}/stream"
    with admin.stream("GET", url, headers={"Last-Event-ID": last}) as response:
        frames = _frames(response)
        _until(frames, "ready")
        assert _names(_layout(frames))[-1] == "Blocked"


def test_a_deleted_board_says_so(admin: TestClient) -> None:
    board = admin.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
    with admin.stream("GET", f"/api/v1/boards/{board['id']}/stream") as response:
        frames = _frames(response)
        _until(frames, "ready")
        _layout(frames)
        assert admin.delete(f"/api/v1/boards/{board['id']}").status_code == 204
        assert _until(frames, "board")["data"] == "null"


def test_a_board_change_notifies_on_postgresql(admin: TestClient, db: Database) -> None:
    if db.dialect != "postgresql":  # SQLite has no NOTIFY: its tails poll
        return
    board = admin.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
    url = make_url(db.engine.url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        admin.post(f"/api/v1/boards/{board['id']}/columns", json={"name": "Blocked"})
        heard = list(listener.notifies(timeout=5, stop_after=1))
    assert [n.channel for n in heard] == [CHANNEL]
