"""A history builder for the report tests: alerts, people's actions and chores, each at a
moment of a manual clock, through the public API (as outside tests build theirs)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core import clock
from app.core.clock import ManualClock
from app.core.config import Settings
from tests.conftest import TEST_SECRET


class History:
    """Builds a board's history at chosen moments."""

    def __init__(self, admin: TestClient, people: dict[str, TestClient], time: ManualClock) -> None:
        self.admin = admin
        self.people = people
        self.clock = time
        self.integrations: dict[str, dict[str, Any]] = {}
        self.cards: dict[str, int] = {}  # an alert's "name/instance" -> its latest card
        self.made: list[int] = []  # cards made by people and schedules
        self.boards: dict[int, dict[str, Any]] = {}

    def at(self, when: datetime) -> History:
        self.clock.set(when)
        return self

    def board(self, slug: str = "ops") -> dict[str, Any]:
        response = self.admin.post(
            "/api/v1/boards",
            json={
                "name": slug.title(),
                "slug": slug,
                "columns": [
                    {"name": "Triage"},
                    {"name": "Doing"},
                    {"name": "Done", "is_done": True},
                ],
            },
        )
        assert response.status_code == 201, response.text
        board: dict[str, Any] = response.json()
        columns = self.admin.get(f"/api/v1/boards/{board['id']}/columns").json()["items"]
        board["columns"] = {column["name"]: column["id"] for column in columns}
        self.boards[board["id"]] = board
        return board

    def integration(self, name: str, board: dict[str, Any]) -> dict[str, Any]:
        body = {"name": name, "kind": "generic", "board_id": board["id"]}
        response = self.admin.post("/api/v1/integrations", json=body)
        assert response.status_code == 201, response.text
        self.integrations[name] = response.json()
        return self.integrations[name]

    def signal(
        self,
        integration: str,
        alertname: str,
        status: str = "firing",
        *,
        instance: str = "a",
        runbook: bool = False,
    ) -> int | None:
        """Send one alert; answer the card it landed on (None if it found none)."""
        target = self.integrations[integration]
        alert: dict[str, Any] = {
            "title": f"{alertname} on {instance}",
            "key": f"{alertname}/{instance}",
            "status": status,
            "labels": {"alertname": alertname, "instance": instance},
        }
        if runbook:
            alert["links"] = [{"url": "https://runbooks.example/x", "rel": "runbook"}]
        path = "/" + target["ingest_url"].split("://", 1)[1].split("/", 1)[1]
        response = self.admin.post(
            path, json=alert, headers={"Authorization": f"Bearer {target['token']}"}
        )
        assert response.status_code == 202, response.text
        cards = response.json()["cards"]
        if cards:
            self.cards[f"{alertname}/{instance}"] = cards[0]
        return self.cards.get(f"{alertname}/{instance}")

    def card(self, card_id: int) -> dict[str, Any]:
        found: dict[str, Any] = self.admin.get(f"/api/v1/cards/{card_id}").json()
        return found

    def patch(self, person: str, card_id: int, **fields: Any) -> dict[str, Any]:
        card = self.card(card_id)
        response = self.people[person].patch(
            f"/api/v1/cards/{card_id}", json={"version": card["version"], **fields}
        )
        assert response.status_code == 200, response.text
        changed: dict[str, Any] = response.json()
        return changed

    def comment(self, person: str, card_id: int, body: str = "looking") -> None:
        response = self.people[person].post(
            f"/api/v1/cards/{card_id}/comments", json={"body": body}
        )
        assert response.status_code == 201, response.text

    def move(self, person: str, card_id: int, column: str) -> dict[str, Any]:
        card = self.card(card_id)
        column_id = self.boards[card["board_id"]]["columns"][column]
        response = self.people[person].post(
            f"/api/v1/cards/{card_id}/move",
            json={"version": card["version"], "column_id": column_id},
        )
        assert response.status_code == 200, response.text
        moved: dict[str, Any] = response.json()
        return moved

    def new_card(self, person: str, board: dict[str, Any], title: str, **fields: Any) -> int:
        response = self.people[person].post(
            f"/api/v1/boards/{board['id']}/cards", json={"title": title, **fields}
        )
        assert response.status_code == 201, response.text
        card_id: int = response.json()["id"]
        return card_id

    def schedule(self, board: dict[str, Any], name: str, **fields: Any) -> int:
        body = {
            "name": name,
            "board_id": board["id"],
            "cron": "0 3 1 1 *",
            "title": name,
            "overlap": "stack",
            **fields,
        }
        response = self.admin.post("/api/v1/schedules", json=body)
        assert response.status_code == 201, response.text
        schedule_id: int = response.json()["id"]
        return schedule_id

    def run(self, schedule_id: int) -> int | None:
        """Make an occurrence of a schedule now; answer its card."""
        response = self.people["ann"].post(f"/api/v1/schedules/{schedule_id}/run")
        if response.status_code == 409:  # one occurrence per schedule and moment
            return None
        assert response.status_code == 201, response.text
        card_id: int | None = response.json()["card_id"]
        return card_id

    def report(self, **params: Any) -> dict[str, Any]:
        response = self.admin.get("/api/v1/reports/weekly", params=params)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


# The report tests' weeks run in a zone whose clocks change (2026-03-29, week 13).
ZONE = "Europe/Berlin"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=TEST_SECRET,
        scheduler=False,
        report_timezone=ZONE,
    )


@pytest.fixture
def manual_clock() -> Iterator[ManualClock]:
    with clock.use(ManualClock(datetime.fromisoformat("2026-01-01T00:00:00+00:00"))) as used:
        assert isinstance(used, ManualClock)
        yield used
