from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.boards.conftest import column_titles, new_card


def move(client: TestClient, card: dict[str, Any], **intent: Any) -> Any:
    return client.post(
        f"/api/v1/cards/{card['id']}/move", json={"version": card["version"], **intent}
    )


def test_create_card_defaults_to_first_column_bottom(
    member: TestClient, board: dict[str, Any]
) -> None:
    first = new_card(
        member, board, "Disk full on web-3", kind="fire", labels=["disk", "alert", "disk"]
    )
    second = new_card(member, board, "Rotate certs", kind="maintenance")
    assert first["column_id"] == board["columns"]["Todo"]
    assert first["labels"] == ["alert", "disk"]
    assert first["status"] == "open" and first["version"] == 1 and first["warnings"] == []
    assert first["created_at"].endswith("Z") or "+00:00" in first["created_at"]
    assert column_titles(member, board["columns"]["Todo"]) == ["Disk full on web-3", "Rotate certs"]
    top = new_card(member, board, "Urgent", position="top")
    assert column_titles(member, board["columns"]["Todo"])[0] == top["title"]
    assert second["kind"] == "maintenance"


def test_moves_follow_intents(member: TestClient, board: dict[str, Any]) -> None:
    todo, doing = board["columns"]["Todo"], board["columns"]["Doing"]
    a, b, c = (new_card(member, board, t) for t in ("A", "B", "C"))
    moved = move(member, c, column_id=todo, after_card_id=a["id"])
    assert moved.status_code == 200, moved.text
    assert moved.json()["version"] == 2
    assert column_titles(member, todo) == ["A", "C", "B"]
    a = member.get(f"/api/v1/cards/{a['id']}").json()
    assert move(member, a, before_card_id=b["id"]).status_code == 200
    assert column_titles(member, todo) == ["C", "A", "B"]
    b = member.get(f"/api/v1/cards/{b['id']}").json()
    response = move(member, b, column_id=doing)
    assert response.status_code == 200
    assert response.json()["started_at"] is not None
    assert column_titles(member, doing) == ["B"]
    assert column_titles(member, todo) == ["C", "A"]


def test_move_to_done_sets_done_and_reopen_clears_it(
    member: TestClient, board: dict[str, Any]
) -> None:
    card = new_card(member, board, "Patch kernel")
    done = move(member, card, column_id=board["columns"]["Done"]).json()
    assert done["status"] == "done" and done["done_at"] and done["started_at"]
    reopened = move(member, done, column_id=board["columns"]["Todo"]).json()
    assert reopened["status"] == "open" and reopened["done_at"] is None
    types = [e["type"] for e in member.get(f"/api/v1/cards/{card['id']}/events").json()["items"]]
    assert types == ["card.created", "card.moved", "card.done", "card.moved", "card.reopened"]


def test_stale_version_is_409_with_current_card(member: TestClient, board: dict[str, Any]) -> None:
    card = new_card(member, board, "Check backups")
    first = member.patch(
        f"/api/v1/cards/{card['id']}", json={"version": 1, "title": "Check backups!"}
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = member.patch(f"/api/v1/cards/{card['id']}", json={"version": 1, "title": "lost update"})
    assert stale.status_code == 409
    body = stale.json()
    assert body["error"] == "version_conflict"
    assert body["current"]["title"] == "Check backups!" and body["current"]["version"] == 2
    stale_move = move(member, card, column_id=board["columns"]["Doing"])
    assert stale_move.status_code == 409 and stale_move.json()["error"] == "version_conflict"
    assert member.get(f"/api/v1/cards/{card['id']}").json()["column_id"] == board["columns"]["Todo"]


def test_hard_wip_limit_refuses_and_soft_warns(member: TestClient, board: dict[str, Any]) -> None:
    doing, review = board["columns"]["Doing"], board["columns"]["Review"]
    for title in ("one", "two"):
        assert move(member, new_card(member, board, title), column_id=doing).status_code == 200
    third = new_card(member, board, "three")
    refused = move(member, third, column_id=doing)
    assert refused.status_code == 409
    assert refused.json()["error"] == "wip_limit_reached"
    assert (
        member.get(f"/api/v1/cards/{third['id']}").json()["column_id"] == board["columns"]["Todo"]
    )
    create_refused = member.post(
        f"/api/v1/boards/{board['id']}/cards", json={"title": "four", "column_id": doing}
    )
    assert (
        create_refused.status_code == 409 and create_refused.json()["error"] == "wip_limit_reached"
    )
    assert move(member, third, column_id=review).json()["warnings"] == []
    fourth = new_card(member, board, "four")
    warned = move(member, fourth, column_id=review)
    assert warned.status_code == 200
    assert "WIP limit" in warned.json()["warnings"][0]


def test_update_fields_labels_assignee_and_archive(
    member: TestClient, board: dict[str, Any]
) -> None:
    card = new_card(member, board, "Upgrade Postgres", labels=["db"])
    changed = member.patch(
        f"/api/v1/cards/{card['id']}",
        json={
            "version": 1,
            "labels": ["db", "upgrade"],
            "assignee": "mia",
            "priority": "high",
            "due_at": "2026-12-01T09:00:00+01:00",
        },
    ).json()
    assert changed["labels"] == ["db", "upgrade"]
    assert changed["assignee"] == "mia" and changed["priority"] == "high"
    assert changed["due_at"].startswith("2026-12-01T08:00:00")
    event = member.get(f"/api/v1/cards/{card['id']}/events").json()["items"][-1]
    assert event["type"] == "card.updated" and event["actor"] == "user:mia"
    assert event["changes"]["priority"] == ["medium", "high"]
    archived = member.patch(
        f"/api/v1/cards/{card['id']}", json={"version": changed["version"], "archived": True}
    ).json()
    assert archived["status"] == "archived"
    assert column_titles(member, board["columns"]["Todo"]) == []
    listed = member.get("/api/v1/cards", params={"status": "archived"}).json()["items"]
    assert [c["id"] for c in listed] == [card["id"]]
    unknown = member.patch(
        f"/api/v1/cards/{card['id']}", json={"version": archived["version"], "assignee": "nobody"}
    )
    assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_assignee"


def test_filters_and_search(member: TestClient, board: dict[str, Any]) -> None:
    new_card(member, board, "HighCPU on db-1", kind="fire", labels=["db"])
    new_card(member, board, "Rotate 50% of keys", kind="maintenance", description="quarterly")
    new_card(member, board, "Automate cleanup", kind="automation", assignee="mia")

    def titles(**params: Any) -> list[str]:
        items = member.get("/api/v1/cards", params=params).json()["items"]
        return sorted(card["title"] for card in items)

    assert titles(kind="fire") == ["HighCPU on db-1"]
    assert titles(label="db") == ["HighCPU on db-1"]
    assert titles(assignee="mia") == ["Automate cleanup"]
    assert titles(q="cpu") == ["HighCPU on db-1"]
    assert titles(q="QUARTER") == ["Rotate 50% of keys"]
    assert titles(q="50%") == ["Rotate 50% of keys"]
    assert titles(q="%") == ["Rotate 50% of keys"]
    assert titles(board_id=board["id"], status="done") == []
    assert len(titles(board_id=board["id"])) == 3


def test_comments_are_events(member: TestClient, viewer: TestClient, board: dict[str, Any]) -> None:
    card = new_card(member, board, "Investigate latency")
    posted = member.post(f"/api/v1/cards/{card['id']}/comments", json={"body": "<b>looking</b>"})
    assert posted.status_code == 201
    assert posted.json()["author"] == "mia" and posted.json()["body"] == "<b>looking</b>"
    comments = viewer.get(f"/api/v1/cards/{card['id']}/comments").json()["items"]
    assert [c["body"] for c in comments] == ["<b>looking</b>"]
    events = viewer.get(f"/api/v1/cards/{card['id']}/events").json()["items"]
    assert events[-1]["type"] == "card.commented"


def test_board_detail_pages_each_column(member: TestClient, board: dict[str, Any]) -> None:
    for index in range(5):
        new_card(member, board, f"card {index}")
    detail = member.get(f"/api/v1/boards/{board['id']}", params={"cards_per_column": 2}).json()
    todo = next(c for c in detail["columns"] if c["name"] == "Todo")
    assert todo["card_count"] == 5
    assert [c["title"] for c in todo["cards"]] == ["card 0", "card 1"]
    rest = member.get(
        "/api/v1/cards",
        params={"column_id": todo["id"], "cursor": todo["next_cursor"], "limit": 10},
    ).json()
    assert [c["title"] for c in rest["items"]] == ["card 2", "card 3", "card 4"]
    assert rest["next_cursor"] is None
    assert [c["card_count"] for c in detail["columns"][1:]] == [0, 0, 0]


def test_checklist_items_are_card_writes(member: TestClient, board: dict[str, Any]) -> None:
    card = new_card(member, board, "Rotate certs", checklist=["renew", "deploy"])
    assert [i["text"] for i in card["checklist"]] == ["renew", "deploy"]
    item = card["checklist"][0]
    ticked = member.patch(
        f"/api/v1/cards/{card['id']}/checklist/{item['id']}", json={"version": 1, "done": True}
    )
    assert ticked.status_code == 200, ticked.text
    body = ticked.json()
    assert body["checklist"][0]["done"] is True and body["checklist"][0]["done_by"] == "user:mia"
    assert body["version"] == 2
    stale = member.patch(
        f"/api/v1/cards/{card['id']}/checklist/{item['id']}", json={"version": 1, "done": False}
    )
    assert stale.status_code == 409 and stale.json()["error"] == "version_conflict"
    added = member.post(
        f"/api/v1/cards/{card['id']}/checklist", json={"version": 2, "text": "verify"}
    )
    assert [i["text"] for i in added.json()["checklist"]] == ["renew", "deploy", "verify"]
    removed = member.delete(
        f"/api/v1/cards/{card['id']}/checklist/{item['id']}", params={"version": 3}
    )
    assert [i["text"] for i in removed.json()["checklist"]] == ["deploy", "verify"]
    missing = member.delete(f"/api/v1/cards/{card['id']}/checklist/999999", params={"version": 4})
    assert missing.status_code == 404 and missing.json()["error"] == "checklist_item_not_found"
    events = member.get(f"/api/v1/cards/{card['id']}/events").json()["items"]
    changes = [e["changes"]["checklist"] for e in events if e["type"] == "card.updated"]
    assert changes[0]["done"] == [False, True]
    assert list(changes[1]) == ["added"] and list(changes[2]) == ["removed"]
