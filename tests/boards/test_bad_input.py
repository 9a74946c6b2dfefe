"""Bad input gets a clear 4xx in the one error shape, and nothing half-written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.boards.conftest import new_card


def _shape(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert isinstance(body.get("error"), str) and isinstance(body.get("detail"), str)
    assert body["detail"]
    if code is not None:
        assert body["error"] == code
    return body


def test_malformed_json_is_400(member: TestClient, board: dict[str, Any]) -> None:
    response = member.post(
        f"/api/v1/boards/{board['id']}/cards",
        content=b'{"title": "x",',
        headers={"content-type": "application/json"},
    )
    _shape(response, 400, "invalid_json")


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"title": ""},
        {"title": "x" * 301},
        {"title": 5},
        {"title": "x", "kind": "bonfire"},
        {"title": "x", "priority": "p0"},
        {"title": "x", "labels": "not-a-list"},
        {"title": "x", "labels": ["has space"]},
        {"title": "x", "labels": [f"l{i}" for i in range(21)]},
        {"title": "x", "due_at": "2026-12-01T09:00:00"},
        {"title": "x", "due_at": "tomorrow"},
        {"title": "x", "time_spent_minutes": -1},
        {"title": "x", "unknown_field": 1},
        {"title": "x", "column_id": "abc"},
    ],
)
def test_wrong_values_are_422_and_store_nothing(
    member: TestClient, board: dict[str, Any], payload: dict[str, Any]
) -> None:
    response = member.post(f"/api/v1/boards/{board['id']}/cards", json=payload)
    body = _shape(response, 422, "validation_error")
    assert body["fields"]
    assert member.get("/api/v1/cards", params={"board_id": board["id"]}).json()["items"] == []


def test_unknown_ids_are_404(member: TestClient, board: dict[str, Any]) -> None:
    _shape(member.get("/api/v1/cards/999999"), 404, "card_not_found")
    _shape(member.get("/api/v1/boards/999999"), 404, "board_not_found")
    _shape(member.get("/api/v1/nope"), 404, "not_found")
    _shape(
        member.post(
            f"/api/v1/boards/{board['id']}/cards", json={"title": "x", "column_id": 999999}
        ),
        404,
        "column_not_found",
    )
    card = new_card(member, board, "a")
    _shape(
        member.post(f"/api/v1/cards/{card['id']}/move", json={"version": 1, "column_id": 999999}),
        404,
        "column_not_found",
    )
    _shape(member.get("/api/v1/cards/not-a-number"), 404, "not_found")  # ids are digits


def test_foreign_column_and_bad_anchors_are_refused(
    admin: TestClient, member: TestClient, board: dict[str, Any]
) -> None:
    other = admin.post("/api/v1/boards", json={"name": "Other", "slug": "other"}).json()
    other_column = admin.get(f"/api/v1/boards/{other['id']}/columns").json()["items"][0]
    card = new_card(member, board, "a")
    peer = new_card(member, board, "b")
    moved = member.post(
        f"/api/v1/cards/{card['id']}/move", json={"version": 1, "column_id": other_column["id"]}
    )
    _shape(moved, 404, "column_not_found")
    doing = board["columns"]["Doing"]
    _shape(
        member.post(
            f"/api/v1/cards/{card['id']}/move",
            json={"version": 1, "column_id": doing, "after_card_id": peer["id"]},
        ),
        422,
        "invalid_move",
    )
    _shape(
        member.post(
            f"/api/v1/cards/{card['id']}/move", json={"version": 1, "after_card_id": card["id"]}
        ),
        422,
        "invalid_move",
    )
    _shape(
        member.post(
            f"/api/v1/cards/{card['id']}/move",
            json={"version": 1, "after_card_id": peer["id"], "position": "top"},
        ),
        422,
        "validation_error",
    )
    after = member.get(f"/api/v1/cards/{card['id']}").json()
    assert after["version"] == 1 and after["column_id"] == board["columns"]["Todo"]


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WyJpZCIsImEiXQ", "%%%", "x" * 600])
def test_bad_cursors_are_400(member: TestClient, board: dict[str, Any], cursor: str) -> None:
    response = member.get("/api/v1/cards", params={"cursor": cursor})
    assert response.status_code in (400, 422)
    _shape(response, response.status_code)


def test_cursor_of_another_list_is_refused(member: TestClient, board: dict[str, Any]) -> None:
    for index in range(3):
        new_card(member, board, f"c{index}")
    page = member.get("/api/v1/cards", params={"board_id": board["id"], "limit": 1}).json()
    response = member.get(
        "/api/v1/cards",
        params={"column_id": board["columns"]["Todo"], "cursor": page["next_cursor"]},
    )
    _shape(response, 400, "invalid_cursor")


def test_huge_body_is_413(member: TestClient, board: dict[str, Any]) -> None:
    response = member.post(
        f"/api/v1/boards/{board['id']}/cards",
        content=b'{"title": "' + b"x" * 2_000_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    _shape(response, 413, "payload_too_large")
    assert member.get("/api/v1/cards", params={"board_id": board["id"]}).json()["items"] == []


def test_streamed_huge_body_is_413(member: TestClient, board: dict[str, Any]) -> None:
    def chunks() -> Any:
        yield b'{"title": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = member.post(
        f"/api/v1/boards/{board['id']}/cards",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    _shape(response, 413, "payload_too_large")


def test_board_and_column_rules(
    admin: TestClient, member: TestClient, board: dict[str, Any]
) -> None:
    _shape(
        admin.post("/api/v1/boards", json={"name": "Dup", "slug": "platform"}), 409, "slug_taken"
    )
    _shape(admin.post("/api/v1/boards", json={"name": "Bad", "slug": "Not A Slug"}), 422)
    new_card(member, board, "keeps the column busy")
    todo = board["columns"]["Todo"]
    _shape(admin.delete(f"/api/v1/boards/{board['id']}/columns/{todo}"), 409, "column_not_empty")
    solo = admin.post(
        "/api/v1/boards", json={"name": "Solo", "slug": "solo", "columns": [{"name": "Only"}]}
    ).json()
    only = admin.get(f"/api/v1/boards/{solo['id']}/columns").json()["items"][0]
    _shape(admin.delete(f"/api/v1/boards/{solo['id']}/columns/{only['id']}"), 409, "last_column")
    _shape(admin.patch(f"/api/v1/boards/{board['id']}/columns/{todo}", json={"wip_limit": 0}), 422)


def test_columns_reorder_and_clear_limits(admin: TestClient, board: dict[str, Any]) -> None:
    doing = board["columns"]["Doing"]
    moved = admin.patch(
        f"/api/v1/boards/{board['id']}/columns/{doing}", json={"position": 0, "wip_limit": None}
    )
    assert moved.status_code == 200 and moved.json()["wip_limit"] is None
    names = [c["name"] for c in admin.get(f"/api/v1/boards/{board['id']}/columns").json()["items"]]
    assert names == ["Doing", "Todo", "Review", "Done"]
    added = admin.post(
        f"/api/v1/boards/{board['id']}/columns", json={"name": "Blocked", "position": 2}
    )
    assert added.status_code == 201
    names = [c["name"] for c in admin.get(f"/api/v1/boards/{board['id']}/columns").json()["items"]]
    assert names == ["Doing", "Todo", "Blocked", "Review", "Done"]
