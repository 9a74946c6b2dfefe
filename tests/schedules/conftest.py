from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core import clock
from app.core.db import Database
from app.schedules.jobs import TickReport, tick

# A Monday, well before both 2026 daylight-saving changes in Europe and America.
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    """The process clock, standing still at START until a test moves it."""
    with clock.use(clock.ManualClock(START)) as used:
        assert isinstance(used, clock.ManualClock)
        yield used


@pytest.fixture
def board(admin: TestClient, manual_clock: clock.ManualClock) -> dict[str, Any]:
    """A board with Todo, Doing and Done columns (created on the manual clock)."""
    response = admin.post(
        "/api/v1/boards",
        json={
            "name": "Ops",
            "slug": "ops",
            "columns": [{"name": "Todo"}, {"name": "Doing"}, {"name": "Done", "is_done": True}],
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    columns = admin.get(f"/api/v1/boards/{created['id']}/columns").json()["items"]
    return {**created, "columns": {c["name"]: c["id"] for c in columns}}


def schedule_body(board: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Rotate certificates",
        "board_id": board["id"],
        "cron": "0 9 * * *",
        "timezone": "UTC",
        "title": "Rotate certificates {date}",
        "checklist": ["Renew", "Deploy", "Verify expiry"],
        "labels": ["certs"],
        "priority": "high",
        "estimate_minutes": 30,
    }
    body.update(fields)
    return {key: value for key, value in body.items() if value is not None}


def create_schedule(client: TestClient, board: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/schedules", json=schedule_body(board, **fields))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def run_until(
    db: Database, manual_clock: clock.ManualClock, until: datetime, step: timedelta
) -> TickReport:
    """Tick every ``step`` from the clock's time up to ``until``, like a running scheduler."""
    total = TickReport()
    while manual_clock.now() < until:
        manual_clock.advance(step)
        report = tick(db)
        assert report.failed == {}, report.failed
        total.schedules += report.schedules
        total.outcome.add(report.outcome)
    return total


def chore_cards(client: TestClient, board: dict[str, Any]) -> list[dict[str, Any]]:
    """Every maintenance card of the board, oldest first."""
    cards: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"kind": "maintenance", "limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = client.get(f"/api/v1/boards/{board['id']}/cards", params=params).json()
        cards += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return sorted(cards, key=lambda card: card["id"])


def occurrences(client: TestClient, schedule: dict[str, Any]) -> list[dict[str, Any]]:
    """Every occurrence of a schedule, oldest first, following the cursor."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = client.get(f"/api/v1/schedules/{schedule['id']}/occurrences", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        rows += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return list(reversed(rows))


def count(db: Database, table: str, where: str = "1=1") -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {where}")).scalar_one()
        )


def close_card(client: TestClient, board: dict[str, Any], card: dict[str, Any]) -> None:
    current = client.get(f"/api/v1/cards/{card['id']}").json()
    response = client.post(
        f"/api/v1/cards/{card['id']}/move",
        json={"version": current["version"], "column_id": board["columns"]["Done"]},
    )
    assert response.status_code == 200, response.text
