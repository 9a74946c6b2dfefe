"""Rule guards: the loop guard, the rate limit, and failing actions undone and logged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.boards import cards
from app.boards.models import Board
from app.core import events
from app.core.clock import ManualClock
from app.core.db import Database
from app.hooks.loop import DeliveryLoop
from tests.hooks.conftest import events_of, make_rule, new_card, subscribe
from tests.hooks.receiver import Receiver


def _runs(admin: TestClient, rule: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    response = admin.get(f"/api/v1/rules/{rule['id']}/runs", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_loop_guard_stops_rules_that_trigger_each_other(
    admin: TestClient, member: TestClient, board: dict[str, Any]
) -> None:
    doing, done = board["columns"]["Doing"], board["columns"]["Done"]
    ping = make_rule(
        admin,
        trigger="card.moved",
        conditions={"to_column_id": doing},
        actions=[{"type": "move_card", "column_id": done}],
        rate_limit=100,
    )
    pong = make_rule(
        admin,
        trigger="card.moved",
        conditions={"to_column_id": done},
        actions=[{"type": "move_card", "column_id": doing}],
        rate_limit=100,
    )
    card = new_card(member, board, "Ping pong")
    moved = member.post(
        f"/api/v1/cards/{card['id']}/move", json={"version": card["version"], "column_id": doing}
    )
    assert moved.status_code == 200, moved.text
    # depth 0 (the person) -> ping -> 1 -> pong -> 2 -> ping -> 3: pong is held back.
    assert [r["outcome"] for r in _runs(admin, ping)] == ["ok", "ok"]
    pong_runs = _runs(admin, pong)
    assert [(r["outcome"], r["depth"]) for r in pong_runs] == [("loop_guard", 3), ("ok", 1)]
    moves = [e for e in events_of(member, card["id"]) if e["type"] == "card.moved"]
    assert len(moves) == 4
    assert member.get(f"/api/v1/cards/{card['id']}").json()["column_id"] == done
    # The next person's move starts from depth 0 again.
    current = member.get(f"/api/v1/cards/{card['id']}").json()
    member.post(
        f"/api/v1/cards/{card['id']}/move", json={"version": current["version"], "column_id": doing}
    )
    assert len(_runs(admin, ping, outcome="ok")) == 4


def test_rate_limit_holds_an_alert_storm(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
    manual_clock: ManualClock,
) -> None:
    rule = make_rule(
        admin,
        trigger="card.commented",
        actions=[{"type": "web_request", "url": receiver.url, "body": {"n": "{comment.body}"}}],
        rate_limit=3,
        rate_window_seconds=3600,
    )
    storm = new_card(member, board, "Flapping alert", kind="fire")
    calm = new_card(member, board, "Other card")
    for i in range(40):
        member.post(f"/api/v1/cards/{storm['id']}/comments", json={"body": f"fired {i}"})
    member.post(f"/api/v1/cards/{calm['id']}/comments", json={"body": "once"})
    runs = _runs(admin, rule)
    on_storm = [r for r in runs if r["card_id"] == storm["id"]]
    assert sorted(r["outcome"] for r in on_storm) == ["ok", "ok", "ok", "rate_limited"]
    held = next(r for r in on_storm if r["outcome"] == "rate_limited")
    assert held["count"] == 37
    assert [r["outcome"] for r in runs if r["card_id"] == calm["id"]] == ["ok"]
    assert loop.run_until_idle() == 4 and len(receiver.requests) == 4
    # After the window, the rule may run on the storm's card again.
    manual_clock.advance(timedelta(hours=1, seconds=1))
    member.post(f"/api/v1/cards/{storm['id']}/comments", json={"body": "fired again"})
    assert len(_runs(admin, rule, outcome="ok")) == 5


@pytest.fixture
def committed() -> Iterator[list[str]]:
    heard: list[str] = []

    def listener(event: events.Event) -> None:
        heard.append(event.type)

    events.on_commit(listener)
    yield heard
    events.remove(listener)


def test_a_failing_action_is_undone_and_logged_while_the_request_stands(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
    committed: list[str],
) -> None:
    full = board["columns"]["Full"]
    rule = make_rule(
        admin,
        trigger="card.created",
        actions=[
            {"type": "add_label", "label": "auto"},
            {"type": "move_card", "column_id": full},
        ],
    )
    subscribe(admin, receiver.url, ["*"])
    first = new_card(member, board, "fits")
    assert member.get(f"/api/v1/cards/{first['id']}").json()["column_id"] == full
    committed.clear()
    second = new_card(member, board, "does not fit")
    shown = member.get(f"/api/v1/cards/{second['id']}").json()
    assert shown["column_id"] == board["columns"]["Todo"] and shown["labels"] == []
    assert [e["type"] for e in events_of(member, second["id"])] == ["card.created"]
    failed = _runs(admin, rule, outcome="failed")
    assert len(failed) == 1 and "hard WIP limit" in failed[0]["detail"]
    assert "action 2 (move_card)" in failed[0]["detail"]
    # Only the event that happened is published and delivered, once.
    assert committed == ["card.created"]
    loop.run_until_idle()
    second_events = [
        json.loads(r.body)["event"]
        for r in receiver.requests
        if json.loads(r.body)["card_id"] == second["id"]
    ]
    assert second_events == ["card.created"]


def test_a_large_batch_of_events_in_one_transaction_runs_every_rule(
    admin: TestClient, board: dict[str, Any], db: Database
) -> None:
    """Group commit puts hundreds of events in one transaction: none may be held back."""
    rule = make_rule(
        admin, trigger="card.created", actions=[{"type": "add_label", "label": "seen"}]
    )
    with db.session() as session:
        target = session.get(Board, board["id"])
        assert target is not None
        for i in range(250):
            cards.new_card(session, board=target, actor="alert:bench", title=f"fire {i}")
        session.commit()
    first = admin.get(f"/api/v1/rules/{rule['id']}/runs", params={"limit": 200}).json()
    second = admin.get(
        f"/api/v1/rules/{rule['id']}/runs", params={"limit": 200, "cursor": first["next_cursor"]}
    ).json()
    outcomes = [run["outcome"] for run in first["items"] + second["items"]]
    assert outcomes == ["ok"] * 250 and second["next_cursor"] is None
    assert _runs(admin, rule, outcome="loop_guard") == []
