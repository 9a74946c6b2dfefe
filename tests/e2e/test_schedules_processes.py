"""The schedules tick runs inside the real ``firelane worker`` and ``firelane serve``.

The CLI runs as subprocesses over one SQLite file; the test polls (never sleeps a fixed
time) until the chore card shows. A lead of a day makes a daily chore due at once, so
the tick each process runs when it starts makes its card.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.processes import Firelane, until

pytestmark = pytest.mark.e2e


def _chore_titles(api: httpx.Client) -> list[str]:
    response = api.get("/api/v1/cards", params={"kind": "maintenance", "limit": 200})
    response.raise_for_status()
    return sorted(card["title"] for card in response.json()["items"])


def test_worker_and_serve_run_due_schedules(firelane: Firelane) -> None:
    api_only = firelane.serve("--no-scheduler")
    api = firelane.admin_client()
    board = api.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()

    def define(name: str) -> dict[str, Any]:
        body = {
            "name": name,
            "board_id": board["id"],
            "cron": "0 9 * * *",
            "lead_minutes": 1440,
            "title": f"{name} {{date}}",
            "checklist": ["Do it", "Check it"],
        }
        response = api.post("/api/v1/schedules", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    first = define("Test restores")
    assert _chore_titles(api) == []  # the API replica runs no scheduler

    worker = firelane.start("worker")
    titles = until("the worker to make the chore card", lambda: _chore_titles(api))
    assert titles == [f"Test restores {first['next_occurrence_at'][:10]}"]
    firelane.stop(worker)

    second = define("Review access")
    firelane.stop(api_only)
    firelane.serve()  # with its scheduler this time
    until("serve to make the second chore card", lambda: len(_chore_titles(api)) == 2)
    occurrences = api.get(f"/api/v1/schedules/{first['id']}/occurrences").json()["items"]
    assert [row["status"] for row in occurrences] == ["created"]
    assert api.get(f"/api/v1/schedules/{second['id']}/occurrences").json()["items"][0]["card_id"]
    listed = firelane.run("schedule", "list")
    assert "Test restores" in listed and "Review access" in listed
