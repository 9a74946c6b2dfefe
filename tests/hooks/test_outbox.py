"""The outbox's own pieces."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import col, select

from app.core.db import Database
from app.hooks import fanout
from app.hooks.catalogue import envelope_json, random_uuids
from app.hooks.loop import DeliveryLoop
from app.hooks.models import HookBatch, HookEvent
from tests.hooks.conftest import (
    events_of,
    generic_integration,
    ingest,
    make_rule,
    new_card,
    subscribe,
)
from tests.hooks.receiver import Receiver
from tests.support import hearing


def test_outbox_uuids_are_distinct_version_4_uuids_as_uuid_writes_them() -> None:
    drawn = random_uuids(2000) + random_uuids(2000)
    assert len(set(drawn)) == 4000
    for text in drawn:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == text
    # Calls start from random UUIDs: every variant digit turns up.
    assert {random_uuids(1)[0][19] for _ in range(200)} == set("89ab")
    assert random_uuids(0) == []


def test_outbox_uuids_count_on_across_the_last_48_bits() -> None:
    first, *rest = random_uuids(3)
    assert [uuid.UUID(text).int >> 48 for text in rest] == [uuid.UUID(first).int >> 48] * 2
    low = uuid.UUID(first).int & ((1 << 48) - 1)
    assert [uuid.UUID(text).int & ((1 << 48) - 1) for text in rest] == [
        (low + 1) % (1 << 48),
        (low + 2) % (1 << 48),
    ]


def _event_id(body: dict[str, Any]) -> int:
    event_id: int = body["event_id"]
    return event_id


def test_card_events_carry_the_snapshot_only_where_a_rule_hears_them(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
) -> None:
    # Hears every event, reads no payload: it does not make anybody want one.
    with hearing(wants=lambda _session, _type: False) as emitted:
        subscribe(admin, receiver.url, ["card.moved"])
        card = new_card(member, board, "Rotate certs")
        moved = member.post(
            f"/api/v1/cards/{card['id']}/move",
            json={"version": card["version"], "column_id": board["columns"]["Doing"]},
        )
        assert moved.status_code == 200, moved.text
        # A rule on card.moved reads the card; this one never acts (no card is urgent).
        make_rule(
            admin,
            trigger="card.moved",
            conditions={"priority": ["urgent"]},
            actions=[{"type": "add_label", "label": "never"}],
        )
        again = member.post(
            f"/api/v1/cards/{card['id']}/move",
            json={"version": moved.json()["version"], "column_id": board["columns"]["Todo"]},
        )
        assert again.status_code == 200, again.text
    shown = {name: value for name, value in again.json().items() if name != "warnings"}
    created, first, second = emitted
    assert "card" not in created.data  # nobody hears card.created
    assert created.data["to_column_id"] == card["column_id"]
    # The webhook alone does not make the transaction render the card: the fan-out does.
    assert "card" not in first.data
    assert second.data["card"] == shown
    assert loop.run_until_idle() == 2
    # Sent concurrently: in the events' order once sorted.
    bodies = sorted((json.loads(each.body) for each in receiver.requests), key=_event_id)
    assert [body["data"]["card"] for body in bodies] == [shown, shown]
    # The card as the rule saw it, the event as it happened, in the envelope as before.
    assert bodies[1] == json.loads(envelope_json(second, bodies[1]["id"]))
    assert [body["data"]["to_column_id"] for body in bodies] == [
        board["columns"]["Doing"],
        board["columns"]["Todo"],
    ]


def test_the_fan_out_renders_the_card_as_it_is_then_and_the_event_as_it_was(
    admin: TestClient, member: TestClient, board: dict[str, Any], db: Database
) -> None:
    subscribed = subscribe(admin, "http://127.0.0.1:9/hook", ["card.created", "card.updated"])
    card = new_card(member, board, "Patch kernels")
    renamed = member.patch(
        f"/api/v1/cards/{card['id']}", json={"version": card["version"], "title": "Patch all"}
    )
    assert renamed.status_code == 200, renamed.text
    with db.session() as session:
        # Each request wrote one batch: its card event's id, depth and recipients only.
        batches = session.exec(select(HookBatch).order_by(col(HookBatch.id))).all()
        events = {each["type"]: each for each in events_of(member, card["id"])}
        hook = [[subscribed["id"]]]
        assert [(b.size, json.loads(b.events), json.loads(b.recipients)) for b in batches] == [
            (1, [[events["card.created"]["id"], 0, 0]], hook),
            (1, [[events["card.updated"]["id"], 0, 0]], hook),
        ]
        assert session.exec(select(HookEvent)).all() == []
        assert fanout.fan_out_all(session) == 2
        session.commit()
        assert session.exec(select(HookBatch)).all() == []
    listed = admin.get("/api/v1/deliveries", params={"limit": 10}).json()["items"]
    assert len(listed) == 2
    details = [admin.get(f"/api/v1/deliveries/{each['id']}").json() for each in listed]
    bodies = {body["event"]: body for body in (json.loads(d["body"]) for d in details)}
    shown = {name: value for name, value in renamed.json().items() if name != "warnings"}
    assert bodies["card.created"]["data"]["card"] == shown  # the card as it is now
    assert bodies["card.updated"]["data"]["changes"] == {"title": ["Patch kernels", "Patch all"]}
    for name in ("card.created", "card.updated"):
        assert bodies[name]["event_id"] == events[name]["id"]
        assert bodies[name]["occurred_at"] == events[name]["created_at"]
        assert bodies[name]["actor"] == events[name]["actor"]


def test_events_of_a_board_deleted_before_their_fan_out_get_no_delivery(
    admin: TestClient, member: TestClient, board: dict[str, Any], db: Database
) -> None:
    hook = subscribe(admin, "http://127.0.0.1:9/hook", ["*"])
    new_card(member, board, "Rotate certs")
    assert admin.delete(f"/api/v1/boards/{board['id']}").status_code == 204
    with db.session() as session:
        assert fanout.fan_out_all(session) == 1  # dropped
        session.commit()
        assert session.exec(select(HookBatch)).all() == []
        assert session.exec(select(HookEvent)).all() == []
    listed = admin.get("/api/v1/deliveries", params={"webhook_id": hook["id"]}).json()
    assert listed["items"] == []


def test_a_transaction_writes_one_batch_whatever_its_events_and_their_recipients(
    admin: TestClient, anon: TestClient, board: dict[str, Any], db: Database
) -> None:
    integration = generic_integration(admin, board)
    other = admin.post("/api/v1/boards", json={"name": "Other", "slug": "other"}).json()
    url = "http://127.0.0.1:9/hook"
    cards = subscribe(admin, url, ["card.created"])["id"]
    fires = subscribe(admin, url, ["alert.fired"])["id"]
    elsewhere = subscribe(admin, url, ["*"], board_id=other["id"])["id"]
    everything = subscribe(admin, url, ["*"])["id"]
    paused = subscribe(admin, url, ["*"], is_active=False)["id"]
    ingest(anon, integration, {"title": "Disk full on web-3", "key": "web-3/disk"})
    with db.session() as session:
        # One row for the fire's two card events (card.created, alert.fired), in order.
        (batch,) = session.exec(select(HookBatch)).all()
        (card,) = admin.get("/api/v1/cards").json()["items"]
        events = {each["type"]: each["id"] for each in events_of(admin, card["id"])}
        assert batch.size == 2
        assert json.loads(batch.events) == [
            [events["card.created"], 0, 0],
            [events["alert.fired"], 0, 1],
        ]
        assert json.loads(batch.recipients) == [[cards, everything], [fires, everything]]
        assert fanout.fan_out_all(session) == 2
        session.commit()
    got = {
        hook_id: sorted(
            json.loads(admin.get(f"/api/v1/deliveries/{each['id']}").json()["body"])["event"]
            for each in admin.get("/api/v1/deliveries", params={"webhook_id": hook_id}).json()[
                "items"
            ]
        )
        for hook_id in (cards, fires, elsewhere, everything, paused)
    }
    assert got == {
        cards: ["card.created"],
        fires: ["alert.fired"],
        elsewhere: [],
        everything: ["alert.fired", "card.created"],
        paused: [],
    }
