"""Rules: card actions, templates, web requests, and the loop guard and rate limit."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from fastapi.testclient import TestClient

from app.hooks.loop import DeliveryLoop
from tests.hooks.conftest import events_of, make_rule, new_card
from tests.hooks.receiver import Receiver


def _runs(admin: TestClient, rule: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    response = admin.get(f"/api/v1/rules/{rule['id']}/runs", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _titles(client: TestClient, column_id: int) -> list[str]:
    page = client.get("/api/v1/cards", params={"column_id": column_id, "limit": 200}).json()
    return [card["title"] for card in page["items"]]


def test_move_card_to_the_top_or_bottom_of_a_column(
    admin: TestClient, member: TestClient, board: dict[str, Any]
) -> None:
    doing = board["columns"]["Doing"]
    for title in ("first", "second"):
        new_card(member, board, title, column_id=doing)
    make_rule(
        admin,
        trigger="card.created",
        conditions={"kind": ["fire"], "label": ["urgent"]},
        actions=[{"type": "move_card", "column_id": doing, "position": "top"}],
    )
    make_rule(
        admin,
        trigger="card.created",
        conditions={"kind": ["fire"], "label": ["later"]},
        actions=[{"type": "move_card", "column_id": doing, "position": "bottom"}],
    )
    new_card(member, board, "page me", kind="fire", labels=["urgent"])
    new_card(member, board, "eventually", kind="fire", labels=["later"])
    new_card(member, board, "untouched", kind="project", labels=["urgent"])
    assert _titles(member, doing) == ["page me", "first", "second", "eventually"]
    assert _titles(member, board["columns"]["Todo"]) == ["untouched"]


def test_card_actions_and_templated_comment(
    admin: TestClient, member: TestClient, board: dict[str, Any]
) -> None:
    rule = make_rule(
        admin,
        name="triage db fires",
        trigger="card.created",
        conditions={"label": ["db"]},
        actions=[
            {"type": "assign", "assignee": "mia"},
            {"type": "add_label", "label": "triaged"},
            {"type": "remove_label", "label": "new"},
            {"type": "set_priority", "priority": "urgent"},
            {
                "type": "comment",
                "body": "Auto-triaged {title} for {event.actor} by {rule.name}; "
                "{{literal}} {card.nope}.",
            },
        ],
    )
    card = new_card(member, board, "Replica lag", labels=["db", "new"])
    shown = member.get(f"/api/v1/cards/{card['id']}").json()
    assert shown["assignee"] == "mia" and shown["priority"] == "urgent"
    assert shown["labels"] == ["db", "triaged"]
    comments = member.get(f"/api/v1/cards/{card['id']}/comments").json()["items"]
    assert [c["body"] for c in comments] == [
        "Auto-triaged Replica lag for user:mia by triage db fires; {literal} ."
    ]
    history = events_of(member, card["id"])
    by_rule = [e for e in history if e["actor"] == f"rule:{rule['id']}"]
    assert [e["type"] for e in by_rule] == [
        "card.updated",
        "card.updated",
        "card.updated",
        "card.updated",
        "card.commented",
    ]
    (run,) = _runs(admin, rule)
    assert run["outcome"] == "ok" and run["card_id"] == card["id"] and len(run["results"]) == 5


def test_linked_automation_card_is_created_once(
    admin: TestClient, member: TestClient, board: dict[str, Any]
) -> None:
    make_rule(
        admin,
        trigger="card.commented",
        conditions={"text": "automate"},
        actions=[{"type": "create_linked_card", "labels": ["toil"]}],
    )
    source = new_card(member, board, "Restart stuck worker", kind="fire", priority="high")
    for body in ("we should automate this", "seriously, AUTOMATE it", "unrelated"):
        member.post(f"/api/v1/cards/{source['id']}/comments", json={"body": body})
    made = member.get("/api/v1/cards", params={"kind": "automation"}).json()["items"]
    assert len(made) == 1
    (automation,) = made
    assert automation["title"] == "Automate: Restart stuck worker"
    assert automation["labels"] == ["toil"] and automation["priority"] == "high"
    assert automation["links"] == [{"target_card_id": source["id"], "kind": "automates"}]


def test_web_request_is_templated_signed_and_its_outcome_lands_on_the_card(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
) -> None:
    secret = "rule-secret-0123456789"
    rule = make_rule(
        admin,
        trigger="card.created",
        conditions={"kind": ["fire"]},
        actions=[
            {
                "type": "web_request",
                "url": receiver.url + "?card={card.id}&title={title}",
                "method": "PUT",
                "headers": {"Authorization": "Bearer rundeck-token"},
                "secret": secret,
                "body": {
                    "job": "restart",
                    "card": "{card}",
                    "id": "{card.id}",
                    "t": "#{id}: {title}",
                },
            }
        ],
    )
    shown = admin.get(f"/api/v1/rules/{rule['id']}").json()
    action = shown["actions"][0]
    assert action["headers"] == {"Authorization": "********"} and action["secret"] == "********"
    assert "rundeck-token" not in json.dumps(shown) and secret not in json.dumps(shown)
    receiver.answer_when(b"Second fire", 404)
    card = new_card(member, board, "Disk & full", kind="fire")
    other = new_card(member, board, "Second fire", kind="fire")
    assert loop.run_until_idle() == 2
    (first,) = [r for r in receiver.requests if b"Disk & full" in r.body]
    assert first.method == "PUT"
    assert first.path == f"/hook?card={card['id']}&title=Disk%20%26%20full"
    assert first.headers["authorization"] == "Bearer rundeck-token"
    body = json.loads(first.body)
    assert body["id"] == card["id"] and body["card"]["title"] == "Disk & full"
    assert body["t"] == f"#{card['id']}: Disk & full" and body["job"] == "restart"
    signed = first.headers["x-firelane-timestamp"].encode() + b"." + first.body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert first.headers["x-firelane-signature"] == f"v1={expected}"
    outcome = [e for e in events_of(member, card["id"]) if e["type"] == "rule.web_request"]
    assert len(outcome) == 1
    assert outcome[0]["data"]["status"] == "delivered" and outcome[0]["data"]["status_code"] == 200
    assert outcome[0]["actor"] == f"rule:{rule['id']}"
    refused = [e for e in events_of(member, other["id"]) if e["type"] == "rule.web_request"]
    assert refused[0]["data"]["status"] == "failed" and refused[0]["data"]["status_code"] == 404
    listed = admin.get("/api/v1/deliveries", params={"rule_id": rule["id"]}).json()["items"]
    assert sorted(d["status"] for d in listed) == ["delivered", "failed"]


def test_slack_preset_escapes_what_the_card_says(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
) -> None:
    make_rule(
        admin,
        trigger="card.created",
        actions=[
            {
                "type": "web_request",
                "url": receiver.url,
                "preset": "slack",
                "text": "🔥 <{event.type}> {title}",
            }
        ],
    )
    new_card(member, board, "<!channel> & <https://evil.example|click>")
    loop.run_until_idle()
    (request,) = receiver.requests
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.body) == {
        "text": "🔥 <card.created> &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;"
    }


def test_update_keeps_redacted_headers_and_replaces_the_rest(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
) -> None:
    rule = make_rule(
        admin,
        trigger="card.created",
        actions=[
            {
                "type": "web_request",
                "url": receiver.url,
                "headers": {"X-Api-Key": "k-123", "X-Team": "ops"},
            }
        ],
    )
    patched = admin.patch(
        f"/api/v1/rules/{rule['id']}",
        json={
            "name": "renamed",
            "actions": [
                {
                    "type": "web_request",
                    "url": receiver.url,
                    "headers": {"X-Api-Key": "********", "X-Team": "platform"},
                }
            ],
        },
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "renamed"
    new_card(member, board, "Check headers")
    loop.run_until_idle()
    (request,) = receiver.requests
    assert request.headers["x-api-key"] == "k-123" and request.headers["x-team"] == "platform"
    # Without a body the request carries the event's envelope.
    assert json.loads(request.body)["event"] == "card.created"
    bad = admin.patch(
        f"/api/v1/rules/{rule['id']}",
        json={
            "actions": [
                {"type": "web_request", "url": receiver.url, "headers": {"X-New": "********"}}
            ]
        },
    )
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_rule"


def test_rule_input_is_checked(admin: TestClient, board: dict[str, Any]) -> None:
    move = {"type": "move_card", "column_id": board["columns"]["Doing"]}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"trigger": "card.exploded", "actions": [move]}, 422, "validation_error"),
        ({"trigger": "card.created", "actions": []}, 422, "validation_error"),
        ({"trigger": "card.created", "actions": [{"type": "teleport"}]}, 422, "validation_error"),
        (
            {"trigger": "card.created", "actions": [{"type": "move_card", "column_id": 999}]},
            422,
            "invalid_rule",
        ),
        (
            {"trigger": "card.created", "actions": [{"type": "assign", "assignee": "ghost"}]},
            422,
            "invalid_rule",
        ),
        (
            {"trigger": "card.created", "actions": [{"type": "comment", "body": "{secrets.key}"}]},
            422,
            "invalid_template",
        ),
        (
            {
                "trigger": "card.created",
                "actions": [{"type": "web_request", "url": "https://ci.example/{whatever}"}],
            },
            422,
            "invalid_template",
        ),
        (
            {"trigger": "card.created", "conditions": {"kind": ["nope"]}, "actions": [move]},
            422,
            "validation_error",
        ),
        (
            {"trigger": "card.created", "conditions": {"colour": "red"}, "actions": [move]},
            422,
            "validation_error",
        ),
        (
            {
                "trigger": "card.created",
                "actions": [{"type": "web_request", "url": "x", "headers": {"A\r\nB": "x"}}],
            },
            422,
            "validation_error",
        ),
    ]
    for body, status, code in cases:
        response = admin.post("/api/v1/rules", json={"name": "bad", **body})
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"] == code, (body, response.json())
    assert admin.get("/api/v1/rules").json()["items"] == []
    assert admin.get("/api/v1/rules/77").json()["error"] == "rule_not_found"


def test_rules_do_not_run_when_conditions_do_not_match(
    admin: TestClient, member: TestClient, board: dict[str, Any]
) -> None:
    rule = make_rule(
        admin,
        trigger="card.moved",
        conditions={"from_column_id": board["columns"]["Todo"], "label": ["db"]},
        actions=[{"type": "add_label", "label": "seen"}],
    )
    plain = new_card(member, board, "no label")
    member.post(
        f"/api/v1/cards/{plain['id']}/move",
        json={"version": plain["version"], "column_id": board["columns"]["Doing"]},
    )
    assert _runs(admin, rule) == []
    labelled = new_card(member, board, "db card", labels=["db"])
    member.post(
        f"/api/v1/cards/{labelled['id']}/move",
        json={"version": labelled["version"], "column_id": board["columns"]["Doing"]},
    )
    assert [r["outcome"] for r in _runs(admin, rule)] == ["ok"]
    assert member.get(f"/api/v1/cards/{labelled['id']}").json()["labels"] == ["db", "seen"]
    paused = admin.patch(f"/api/v1/rules/{rule['id']}", json={"is_active": False})
    assert paused.json()["is_active"] is False
    again = new_card(member, board, "db card 2", labels=["db"])
    member.post(
        f"/api/v1/cards/{again['id']}/move",
        json={"version": again["version"], "column_id": board["columns"]["Doing"]},
    )
    assert len(_runs(admin, rule)) == 1
    assert admin.delete(f"/api/v1/rules/{rule['id']}").status_code == 204
