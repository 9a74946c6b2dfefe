"""Webhook subscriptions: admin-only, secrets shown once and stored encrypted, bad input 4xx."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.db import Database
from app.hooks.loop import DeliveryLoop
from tests.hooks.conftest import new_card, subscribe
from tests.hooks.receiver import Receiver


def test_secret_is_shown_once_and_stored_encrypted(admin: TestClient, db: Database) -> None:
    given = "my-own-secret-0123456789"
    created = subscribe(admin, "https://ci.example.com/hook", ["card.done"], secret=given)
    assert created["secret"] == given
    generated = subscribe(admin, "https://ci.example.com/other", ["*"])
    assert generated["secret"].startswith("whsec_") and len(generated["secret"]) > 40
    for hook in (created, generated):
        shown = admin.get(f"/api/v1/webhooks/{hook['id']}")
        assert shown.status_code == 200
        assert "secret" not in shown.json() and hook["secret"] not in shown.text
    listed = admin.get("/api/v1/webhooks")
    assert [h["id"] for h in listed.json()["items"]] == [created["id"], generated["id"]]
    assert given not in listed.text and generated["secret"] not in listed.text
    with db.engine.connect() as conn:
        stored = [row[0] for row in conn.execute(sa.text("SELECT secret_sealed FROM webhook"))]
    assert len(stored) == 2
    assert all(given not in value and generated["secret"] not in value for value in stored)


def test_rotate_and_patch(admin: TestClient) -> None:
    hook = subscribe(admin, "https://ci.example.com/hook", ["card.created"])
    rotated = admin.post(f"/api/v1/webhooks/{hook['id']}/secret")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != hook["secret"]
    patched = admin.patch(
        f"/api/v1/webhooks/{hook['id']}",
        json={"events": ["card.moved", "card.done", "card.moved"], "is_active": False},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["events"] == ["card.done", "card.moved"] and body["is_active"] is False
    assert "secret" not in body


def test_bad_input_is_a_clear_4xx(admin: TestClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"url": "ftp://x.example.com", "events": ["*"]}, "url"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": "https://x.example.com", "events": ["card.exploded"]}, "card.exploded"),
        ({"url": "https://x.example.com", "events": []}, "events"),
        ({"url": "https://x.example.com", "events": ["*"], "secret": "short"}, "secret"),
        ({"url": "https://x.example.com", "events": ["*"], "colour": "red"}, "colour"),
    ]
    for body, mentioned in cases:
        response = admin.post("/api/v1/webhooks", json=body)
        assert response.status_code == 422, (body, response.text)
        answer = response.json()
        assert answer["error"] == "validation_error" and mentioned in answer["detail"], answer
    assert admin.get("/api/v1/webhooks/999").json()["error"] == "webhook_not_found"
    assert admin.get("/api/v1/webhooks", params={"cursor": "garbage"}).status_code == 400


def test_only_admins_manage_hooks(
    member: TestClient, viewer: TestClient, anon: TestClient, admin: TestClient
) -> None:
    hook = subscribe(admin, "https://ci.example.com/hook", ["*"])
    for client, status in ((member, 403), (viewer, 403), (anon, 401)):
        assert client.get("/api/v1/webhooks").status_code == status
        assert client.get(f"/api/v1/webhooks/{hook['id']}").status_code == status
        created = client.post(
            "/api/v1/webhooks", json={"url": "https://a.example", "events": ["*"]}
        )
        assert created.status_code == status
        assert client.get("/api/v1/deliveries").status_code == status
        assert client.get("/api/v1/rules").status_code == status
    assert viewer.get("/api/v1/event-types").status_code == 200
    assert anon.get("/api/v1/event-types").status_code == 401


def test_subscriptions_filter_by_event_and_board(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
) -> None:
    other = admin.post("/api/v1/boards", json={"name": "Other", "slug": "other"}).json()
    subscribe(admin, receiver.url, ["card.moved"])
    subscribe(admin, receiver.url, ["*"], board_id=other["id"])
    paused = subscribe(admin, receiver.url, ["*"], is_active=False)
    card = new_card(member, board, "Rotate certs")
    new_card(member, other, "Patch hosts")
    member.post(
        f"/api/v1/cards/{card['id']}/move",
        json={"version": card["version"], "column_id": board["columns"]["Doing"]},
    )
    loop.run_once()
    got = sorted(r.headers["x-firelane-event"] for r in receiver.requests)
    # card.moved from the first hook; the second hears only the other board.
    assert got == ["card.created", "card.moved"]
    assert admin.get("/api/v1/deliveries", params={"webhook_id": paused["id"]}).json() == {
        "items": [],
        "next_cursor": None,
    }


def test_deleting_a_webhook_drops_its_queue(
    admin: TestClient, board: dict[str, Any], loop: DeliveryLoop, receiver: Receiver
) -> None:
    hook = subscribe(admin, receiver.url, ["*"])
    new_card(admin, board, "One")
    assert admin.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
    assert loop.run_once() == 0 and receiver.requests == []
    assert admin.get("/api/v1/deliveries").json()["items"] == []


def test_event_types_list_the_catalogue(viewer: TestClient) -> None:
    items = viewer.get("/api/v1/event-types").json()["items"]
    names = [item["name"] for item in items]
    for name in ("card.created", "alert.fired", "schedule.skipped", "report.published"):
        assert name in names
    report = next(i for i in items if i["name"] == "report.published")
    assert report["about_a_card"] is False and "report" in report["data_schema"]["properties"]
