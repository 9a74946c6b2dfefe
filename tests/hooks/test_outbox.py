"""The outbox's own pieces."""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi.testclient import TestClient

from app.hooks.loop import DeliveryLoop
from app.hooks.outbox import _random_uuids
from tests.hooks.conftest import new_card, subscribe
from tests.hooks.receiver import Receiver
from tests.support import hearing


def test_outbox_uuids_are_distinct_version_4_uuids_as_uuid_writes_them() -> None:
    drawn = _random_uuids(2000) + _random_uuids(2000)
    assert len(set(drawn)) == 4000
    for text in drawn:
        parsed = uuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        assert str(parsed) == text
    # Calls start from random UUIDs: every variant digit turns up.
    assert {_random_uuids(1)[0][19] for _ in range(200)} == set("89ab")
    assert _random_uuids(0) == []


def test_outbox_uuids_count_on_across_the_last_48_bits() -> None:
    first, *rest = _random_uuids(3)
    assert [uuid.UUID(text).int >> 48 for text in rest] == [uuid.UUID(first).int >> 48] * 2
    low = uuid.UUID(first).int & ((1 << 48) - 1)
    assert [uuid.UUID(text).int & ((1 << 48) - 1) for text in rest] == [
        (low + 1) % (1 << 48),
        (low + 2) % (1 << 48),
    ]


def test_card_events_carry_the_snapshot_only_where_somebody_hears_them(
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
    shown = {name: value for name, value in moved.json().items() if name != "warnings"}
    by_type = {event.type: event for event in emitted}
    assert "card" not in by_type["card.created"].data  # nobody hears card.created
    assert by_type["card.created"].data["to_column_id"] == card["column_id"]
    assert by_type["card.moved"].data["card"] == shown
    loop.run_once()
    (delivered,) = receiver.requests
    assert json.loads(delivered.body)["data"]["card"] == shown
