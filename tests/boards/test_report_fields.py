"""Card fields the weekly report reads: build estimates and what automation cards automate."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.boards.conftest import new_card


def patch(client: TestClient, card: dict[str, Any], **fields: Any) -> Any:
    return client.patch(f"/api/v1/cards/{card['id']}", json={"version": card["version"], **fields})


def test_an_automation_card_automates_candidates_and_is_found_by_them(
    member: TestClient, board: dict[str, Any]
) -> None:
    card = new_card(
        member,
        board,
        "Auto-rotate certs",
        kind="automation",
        estimate_minutes=480,
        automates=["schedule:4", "alert:2:HighCPU", "schedule:4"],
    )
    assert card["estimate_minutes"] == 480
    assert card["automates"] == ["alert:2:HighCPU", "schedule:4"]
    new_card(member, board, "Something else", kind="automation", automates=["alert:9:Disk"])

    found = member.get("/api/v1/cards", params={"automates": "alert:2:HighCPU"}).json()
    assert [each["id"] for each in found["items"]] == [card["id"]]

    changed = patch(member, card, automates=["alert:2:HighCPU:with:colons"], estimate_minutes=None)
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["automates"] == ["alert:2:HighCPU:with:colons"] and body["estimate_minutes"] is None
    assert member.get("/api/v1/cards", params={"automates": "schedule:4"}).json()["items"] == []
    events = member.get(f"/api/v1/cards/{card['id']}/events").json()["items"]
    assert events[-1]["changes"] == {
        "automates": [["alert:2:HighCPU", "schedule:4"], ["alert:2:HighCPU:with:colons"]],
        "estimate_minutes": [480, None],
    }


def test_automates_is_refused_on_other_kinds(member: TestClient, board: dict[str, Any]) -> None:
    response = member.post(
        f"/api/v1/boards/{board['id']}/cards",
        json={"title": "Fire", "kind": "fire", "automates": ["schedule:1"]},
    )
    assert response.status_code == 422
    assert response.json()["error"] == "automates_not_allowed"
    card = new_card(member, board, "Automate it", kind="automation", automates=["schedule:1"])
    response = patch(member, card, kind="project")
    assert response.status_code == 422 and response.json()["error"] == "automates_not_allowed"
    other = new_card(member, board, "Project")
    response = patch(member, other, automates=["schedule:1"])
    assert response.status_code == 422
    # Cleared and re-kinded in one write is fine; nothing was stored by the refused ones.
    response = patch(member, card, kind="project", automates=[])
    assert response.status_code == 200, response.text
    assert response.json()["automates"] == [] and response.json()["kind"] == "project"


def test_automates_keys_and_estimates_are_validated(
    member: TestClient, board: dict[str, Any]
) -> None:
    url = f"/api/v1/boards/{board['id']}/cards"
    for bad in (["alert:x:Name"], ["alert:2:"], ["schedule:"], ["host:1"], "schedule:1"):
        body = {"title": "A", "kind": "automation", "automates": bad}
        assert member.post(url, json=body).status_code == 422, bad
    body = {"title": "A", "kind": "automation", "estimate_minutes": -1}
    assert member.post(url, json=body).status_code == 422


def test_time_given_at_creation_is_recorded_as_a_change_from_zero(
    member: TestClient, board: dict[str, Any]
) -> None:
    card = new_card(member, board, "Patched by hand", time_spent_minutes=45)
    events = member.get(f"/api/v1/cards/{card['id']}/events").json()["items"]
    assert events[0]["type"] == "card.created"
    assert events[0]["changes"] == {"time_spent_minutes": [0, 45]}
    plain = new_card(member, board, "Nothing logged")
    events = member.get(f"/api/v1/cards/{plain['id']}/events").json()["items"]
    assert events[0]["changes"] == {}


def test_a_card_made_done_is_done_at_its_done_at(member: TestClient, board: dict[str, Any]) -> None:
    card = new_card(member, board, "Already fixed", column_id=board["columns"]["Done"])
    events = member.get(f"/api/v1/cards/{card['id']}/events").json()["items"]
    assert [each["type"] for each in events] == ["card.created", "card.done"]
    assert events[1]["created_at"] == card["done_at"]
    moved = member.post(
        f"/api/v1/cards/{card['id']}/move",
        json={"version": card["version"], "column_id": board["columns"]["Todo"]},
    ).json()
    again = member.post(
        f"/api/v1/cards/{card['id']}/move",
        json={"version": moved["version"], "column_id": board["columns"]["Done"]},
    ).json()
    events = member.get(f"/api/v1/cards/{card['id']}/events").json()["items"]
    assert events[-1]["type"] == "card.done" and events[-1]["created_at"] == again["done_at"]


def test_unarchiving_a_card_whose_place_was_taken_finds_a_new_one(
    member: TestClient, board: dict[str, Any]
) -> None:
    first = new_card(member, board, "First")
    archived = patch(member, first, archived=True).json()
    # The archived card keeps its rank; a new card may get the same one.
    second = new_card(member, board, "Second")
    assert second["rank"] == archived["rank"]
    response = patch(member, archived, archived=False)
    assert response.status_code == 200, response.text
    assert response.json()["rank"] > second["rank"]
