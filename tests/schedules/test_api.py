"""The schedules API: define, read, change, preview, pause, roles and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.clock import ManualClock
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app
from tests.schedules.conftest import count, create_schedule, schedule_body


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == code, body
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_create_read_and_list(admin: TestClient, viewer: TestClient, board: dict[str, Any]) -> None:
    created = create_schedule(
        admin,
        board,
        timezone="Europe/Berlin",
        lead_minutes=120,
        assignee="root",
        column_id=board["columns"]["Doing"],
        automation="scripted",
    )
    # The clock stands at Monday 2026-03-02 06:00 UTC = 07:00 in Berlin.
    assert created["next_occurrence_at"] == "2026-03-02T08:00:00Z"
    assert created["next_run_at"] == "2026-03-02T06:00:00Z"
    assert created["enabled"] is True and created["overlap"] == "skip"
    assert created["assignee"] == "root" and created["automation"] == "scripted"
    assert created["checklist"] == ["Renew", "Deploy", "Verify expiry"]
    read = viewer.get(f"/api/v1/schedules/{created['id']}")
    assert read.status_code == 200 and read.json() == created
    listed = viewer.get("/api/v1/schedules", params={"board_id": board["id"]}).json()
    assert [s["id"] for s in listed["items"]] == [created["id"]]


def test_list_is_paged_and_filtered(admin: TestClient, board: dict[str, Any]) -> None:
    made = [create_schedule(admin, board, name=f"Chore {i}") for i in range(5)]
    admin.post(f"/api/v1/schedules/{made[1]['id']}/pause")
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = admin.get("/api/v1/schedules", params=params).json()
        assert len(page["items"]) <= 2
        seen += [s["id"] for s in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [s["id"] for s in made]
    paused = admin.get("/api/v1/schedules", params={"enabled": False}).json()["items"]
    assert [s["id"] for s in paused] == [made[1]["id"]]
    _error(admin.get("/api/v1/schedules", params={"cursor": "garbage"}), 400, "invalid_cursor")


def test_interval_schedule_starts_one_interval_after_creation(
    admin: TestClient, board: dict[str, Any], manual_clock: ManualClock
) -> None:
    manual_clock.set(manual_clock.now().replace(minute=7, second=33))
    created = create_schedule(admin, board, cron=None, interval_minutes=90)
    assert created["cron"] is None and created["interval_minutes"] == 90
    assert created["starts_at"] == "2026-03-02T06:07:00Z"
    assert created["next_occurrence_at"] == "2026-03-02T07:37:00Z"


def test_preview_lists_runs_in_utc_and_local_time(
    admin: TestClient, viewer: TestClient, board: dict[str, Any]
) -> None:
    created = create_schedule(
        admin, board, cron="0 10 * * tue#2", timezone="Europe/Berlin", title="Patch {date} {week}"
    )
    preview = viewer.get(f"/api/v1/schedules/{created['id']}/preview", params={"count": 3})
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["timezone"] == "Europe/Berlin"
    assert [run["scheduled_for"] for run in body["runs"]] == [
        "2026-03-10T09:00:00Z",
        "2026-04-14T08:00:00Z",
        "2026-05-12T08:00:00Z",
    ]
    assert body["runs"][1]["local_time"] == "2026-04-14T10:00:00+02:00"
    assert body["runs"][0]["title"] == "Patch 2026-03-10 2026-W11"
    _error(
        viewer.get(f"/api/v1/schedules/{created['id']}/preview?count=0"), 422, "validation_error"
    )
    _error(
        viewer.get(f"/api/v1/schedules/{created['id']}/preview?count=101"), 422, "validation_error"
    )


def test_draft_preview_checks_without_saving(
    viewer: TestClient, board: dict[str, Any], db: Database
) -> None:
    body = schedule_body(board, cron="@weekly", title="Review access {week}")
    response = viewer.post("/api/v1/schedules/preview?count=2", json=body)
    assert response.status_code == 200, response.text
    assert [run["title"] for run in response.json()["runs"]] == [
        "Review access 2026-W10",
        "Review access 2026-W11",
    ]
    bad = viewer.post("/api/v1/schedules/preview", json={**body, "cron": "0 9 * * 9"})
    _error(bad, 422, "invalid_cron")
    assert count(db, "schedule") == 0


def test_update_moves_the_next_run_and_switches_rules(
    admin: TestClient, board: dict[str, Any]
) -> None:
    created = create_schedule(admin, board)
    assert created["next_occurrence_at"] == "2026-03-02T09:00:00Z"
    url = f"/api/v1/schedules/{created['id']}"
    changed = admin.patch(url, json={"cron": "0 7 * * *", "timezone": "Asia/Tokyo"}).json()
    assert changed["next_occurrence_at"] == "2026-03-02T22:00:00Z"
    assert changed["interval_minutes"] is None
    renamed = admin.patch(url, json={"name": "Certs", "lead_minutes": 60}).json()
    assert renamed["name"] == "Certs" and renamed["next_run_at"] == "2026-03-02T21:00:00Z"
    switched = admin.patch(url, json={"interval_minutes": 60}).json()
    assert switched["cron"] is None and switched["interval_minutes"] == 60
    assert switched["next_occurrence_at"] == "2026-03-02T07:00:00Z"
    moved = admin.patch(url, json={"column_id": board["columns"]["Doing"]}).json()
    assert moved["column_id"] == board["columns"]["Doing"]
    cleared = admin.patch(url, json={"column_id": None, "estimate_minutes": None}).json()
    assert cleared["column_id"] is None and cleared["estimate_minutes"] is None
    _error(admin.patch(url, json={"name": None}), 422, "validation_error")
    _error(admin.patch(url, json={"interval_minutes": None}), 422, "recurrence_required")
    assert admin.get(url).json()["interval_minutes"] == 60


def test_pause_and_resume(member: TestClient, admin: TestClient, board: dict[str, Any]) -> None:
    created = create_schedule(admin, board)
    paused = member.post(f"/api/v1/schedules/{created['id']}/pause")
    assert paused.status_code == 200, paused.text
    assert paused.json()["enabled"] is False and paused.json()["next_run_at"] is None
    again = member.post(f"/api/v1/schedules/{created['id']}/pause").json()
    assert again == paused.json()
    preview = member.get(f"/api/v1/schedules/{created['id']}/preview?count=1").json()
    assert preview["runs"][0]["scheduled_for"] == "2026-03-02T09:00:00Z"
    resumed = member.post(f"/api/v1/schedules/{created['id']}/resume").json()
    assert resumed["enabled"] is True and resumed["next_run_at"] == "2026-03-02T09:00:00Z"


def test_delete_keeps_nothing_of_the_schedule(
    admin: TestClient, board: dict[str, Any], db: Database
) -> None:
    created = create_schedule(admin, board)
    assert admin.post(f"/api/v1/schedules/{created['id']}/run").status_code == 201
    response = admin.delete(f"/api/v1/schedules/{created['id']}")
    assert response.status_code == 204
    _error(admin.get(f"/api/v1/schedules/{created['id']}"), 404, "schedule_not_found")
    assert count(db, "schedule_occurrence") == 0
    assert count(db, "card", "kind = 'maintenance'") == 1


def test_roles(
    admin: TestClient,
    member: TestClient,
    viewer: TestClient,
    anon: TestClient,
    board: dict[str, Any],
) -> None:
    created = create_schedule(admin, board)
    url = f"/api/v1/schedules/{created['id']}"
    _error(anon.get("/api/v1/schedules"), 401, "not_authenticated")
    _error(anon.get(url), 401, "not_authenticated")
    for client in (member, viewer):
        _error(client.post("/api/v1/schedules", json=schedule_body(board)), 403, "forbidden")
        _error(client.patch(url, json={"name": "x"}), 403, "forbidden")
        _error(client.delete(url), 403, "forbidden")
    for action in ("run", "pause", "resume"):
        _error(viewer.post(f"{url}/{action}"), 403, "forbidden")
    assert viewer.get(url).status_code == 200
    assert viewer.get(f"{url}/occurrences").status_code == 200
    assert member.post(f"{url}/run").status_code == 201
    assert count_schedules(admin) == 1


def count_schedules(client: TestClient) -> int:
    return len(client.get("/api/v1/schedules").json()["items"])


@pytest.mark.parametrize(
    ("fields", "code", "needle"),
    [
        ({"cron": "0 9 * * mon-"}, "invalid_cron", "mon-"),
        ({"cron": "0 9 * *"}, "invalid_cron", "5 fields"),
        ({"cron": "0 0 30 2 *"}, "never_runs", "no run time"),
        ({"timezone": "Mars/Olympus_Mons"}, "unknown_timezone", "Mars/Olympus_Mons"),
        (
            {"starts_at": "2026-05-01T00:00:00Z", "ends_at": "2026-04-01T00:00:00Z"},
            "invalid_window",
            "ends_at",
        ),
        ({"title": "Patch {host}"}, "unknown_placeholder", "{host}"),
        ({"description": "See {runbook}"}, "unknown_placeholder", "description"),
        ({"cron": None}, "recurrence_required", "cron"),
        ({"interval_minutes": 60}, "recurrence_required", "cron"),
        ({"board_id": 999_999}, "unknown_board", "999999"),
        ({"column_id": 999_999}, "unknown_column", "999999"),
        ({"assignee": "nobody"}, "unknown_assignee", "nobody"),
    ],
)
def test_bad_definitions_are_422_with_the_reason(
    admin: TestClient,
    board: dict[str, Any],
    db: Database,
    fields: dict[str, Any],
    code: str,
    needle: str,
) -> None:
    body = {**schedule_body(board), **fields}
    body = {key: value for key, value in body.items() if value is not None}
    response = admin.post("/api/v1/schedules", json=body)
    assert needle in _error(response, 422, code)["detail"]
    assert count(db, "schedule") == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"name": ""},
        {"interval_minutes": 1, "cron": None},
        {"lead_minutes": -1},
        {"grace_minutes": 1},
        {"overlap": "pile"},
        {"automation": "magic"},
        {"priority": "p0"},
        {"labels": ["has space"]},
        {"checklist": ["x" * 501]},
        {"starts_at": "2026-05-01T00:00:00"},
        {"surprise": True},
        {"title": "x" * 301},
        {"cron": "x" * 121},
    ],
)
def test_malformed_fields_are_422(
    admin: TestClient, board: dict[str, Any], db: Database, fields: dict[str, Any]
) -> None:
    body = {**schedule_body(board), **fields}
    body = {key: value for key, value in body.items() if value is not None}
    _error(admin.post("/api/v1/schedules", json=body), 422, "validation_error")
    assert count(db, "schedule") == 0


def test_bad_updates_change_nothing(admin: TestClient, board: dict[str, Any]) -> None:
    created = create_schedule(admin, board)
    url = f"/api/v1/schedules/{created['id']}"
    _error(admin.patch(url, json={"cron": "0 9 1 * mon"}), 422, "invalid_cron")
    _error(admin.patch(url, json={"timezone": "Nowhere/Land"}), 422, "unknown_timezone")
    _error(admin.patch(url, json={"title": "{nope}"}), 422, "unknown_placeholder")
    _error(
        admin.patch(
            url, json={"starts_at": "2026-06-01T00:00:00Z", "ends_at": "2026-05-01T00:00:00Z"}
        ),
        422,
        "invalid_window",
    )
    other = admin.post("/api/v1/boards", json={"name": "Other", "slug": "other"}).json()
    _error(
        admin.patch(url, json={"board_id": other["id"], "column_id": board["columns"]["Todo"]}),
        422,
        "unknown_column",
    )
    assert admin.get(url).json() == created
    moved = admin.patch(url, json={"board_id": other["id"]}).json()
    assert moved["board_id"] == other["id"] and moved["column_id"] is None
    _error(admin.patch("/api/v1/schedules/424242", json={"name": "x"}), 404, "schedule_not_found")


def test_unknown_schedule_is_404(viewer: TestClient, member: TestClient) -> None:
    _error(viewer.get("/api/v1/schedules/9999/occurrences"), 404, "schedule_not_found")
    _error(viewer.get("/api/v1/schedules/9999/preview"), 404, "schedule_not_found")
    _error(member.post("/api/v1/schedules/9999/run"), 404, "schedule_not_found")


def test_timezone_defaults_to_firelane_timezone(
    settings: Settings, db: Database, admin: TestClient, board: dict[str, Any]
) -> None:
    berlin = create_app(settings.model_copy(update={"timezone": "Europe/Berlin"}), db=db)
    with TestClient(berlin, headers=dict(admin.headers)) as client:
        response = client.post("/api/v1/schedules", json=schedule_body(board, timezone=None))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["timezone"] == "Europe/Berlin"
    assert created["next_occurrence_at"] == "2026-03-02T08:00:00Z"  # 09:00 in Berlin
