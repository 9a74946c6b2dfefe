"""Group-committed batches: new cards are written in bulk, yet every event comes in the order
the signals caused it, and every card's JSON in an event is what the API answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from app.alerts.ingest.batch import IngestResult, IngestWork
from app.alerts.ingest.committer import run_batch
from app.alerts.models import AlertPayload, AlertSignal, IntegrationKind
from app.alerts.redact import _SECRET_NAME, _TOKEN_VALUE, _may_hold_secrets
from app.alerts.sources import normalise
from app.auth.credentials import hash_secret
from app.core import events
from app.core.db import Database
from tests.alerts.conftest import MakeIntegration, card, count


@pytest.fixture
def heard() -> Iterator[list[events.Event]]:
    """The events of every committed transaction, in order."""
    seen: list[events.Event] = []
    events.on_commit(seen.append)
    yield seen
    events.remove(seen.append)


def _work(integration: dict[str, Any], *alerts: dict[str, Any]) -> IngestWork:
    return IngestWork(
        integration_id=integration["id"],
        token_hash=hash_secret(integration["token"]),
        alerts=normalise(IntegrationKind.generic, {"alerts": list(alerts)}, {}),
        body="{}",
    )


def _fire(key: str, severity: str = "warning") -> dict[str, Any]:
    return {"title": f"Fire {key}", "key": key, "severity": severity}


def _store(db: Database, works: list[IngestWork]) -> list[IngestResult]:
    outcomes = run_batch(db, works)
    assert all(isinstance(outcome, IngestResult) for outcome in outcomes), outcomes
    return outcomes  # type: ignore[return-value]


def test_events_come_in_the_order_the_signals_caused_them(
    make_integration: MakeIntegration,
    member: TestClient,
    db: Database,
    heard: list[events.Event],
) -> None:
    integration = make_integration("generic")
    (first,) = _store(db, [_work(integration, _fire("b"))])
    heard.clear()
    # One transaction: a new key, a repeat that raises the priority, another new key.
    outcomes = _store(
        db,
        [
            _work(integration, _fire("a")),
            _work(integration, _fire("b", "critical")),
            _work(integration, _fire("c")),
        ],
    )
    a, b, c = (outcome.cards[0] for outcome in outcomes)
    assert b == first.cards[0]
    assert [(event.type, event.card_id) for event in heard] == [
        ("card.created", a),
        ("card.updated", b),
        ("card.created", c),
        ("alert.fired", a),
        ("alert.repeated", b),
        ("alert.fired", c),
    ]
    assert [event.event_id for event in heard] == sorted(event.event_id or 0 for event in heard)
    # Every card in an event is the card as the API shows it (nothing changed it since).
    for event in heard:
        if event.type.startswith("alert."):
            assert event.data["card"] == card(member, event.card_id or 0)
    created = next(event for event in heard if event.type == "card.created")
    assert created.data["card"]["alert"] is None  # the card came first, then its alert
    assert created.data["to_column_id"] == created.data["card"]["column_id"]
    fired = next(event for event in heard if event.type == "alert.fired")
    assert fired.data["alert"]["occurrences"] == 1 and fired.data["alert"]["dedup_key"] == "a"


def test_a_new_key_twice_in_one_batch_is_one_card_counted_twice(
    make_integration: MakeIntegration,
    member: TestClient,
    db: Database,
    heard: list[events.Event],
) -> None:
    integration = make_integration("generic")
    works = [_work(integration, _fire("x")), _work(integration, _fire("x", "critical"))]
    first, second = _store(db, works)
    assert first.cards == second.cards
    shown = card(member, first.cards[0])
    assert shown["alert"]["occurrences"] == 2 and shown["priority"] == "urgent"
    assert [event.type for event in heard] == [
        "card.created",
        "card.updated",
        "alert.fired",
        "alert.repeated",
    ]
    assert [event.data["alert"]["occurrences"] for event in heard[2:]] == [1, 2]
    # One snapshot per card and batch, taken when the batch's events are written.
    assert heard[2].data["card"] == heard[3].data["card"] == shown
    assert count(db, "card") == 1 and count(db, "alert") == 1 and count(db, "alert_signal") == 2


def test_a_full_column_sends_fires_to_the_next_one_with_room(
    make_integration: MakeIntegration,
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
) -> None:
    for name in ("Triage", "Doing"):
        column = f"/api/v1/boards/{board['id']}/columns/{board['columns'][name]}"
        limited = admin.patch(column, json={"wip_limit": 2, "wip_mode": "hard"})
        assert limited.status_code == 200, limited.text
    integration = make_integration("generic")
    outcomes = _store(db, [_work(integration, *(_fire(f"k{n}") for n in range(4)))])
    placed = [card(member, card_id)["column_id"] for card_id in outcomes[0].cards]
    triage, doing = board["columns"]["Triage"], board["columns"]["Doing"]
    assert placed == [triage, triage, doing, doing]
    # Every open column is full: the fire is refused with the first column's 409, and
    # nothing of its request is stored.
    (refused,) = run_batch(db, [_work(integration, _fire("k9"))])
    assert not isinstance(refused, IngestResult)
    assert refused.code == "wip_limit_reached" and refused.extra["column_id"] == triage
    assert count(db, "card") == 4 and count(db, "alert_payload") == 1


# Pieces of field names and values; the non-ASCII ones match ASCII letters only when case
# is ignored (Kelvin sign, long s, dotted capital I).
_PIECES = [
    *("api_key", "Api-Key", "TOKEN", "pass", "PASSWORD", "Cookie", "x", "\u00e9", "{", " "),
    *("\u212a", "\u017f", "\u0130", "e", "y", "\u017fession", "SE\u017fSION"),
    *("fl_" + "A" * 24, "flx_" + "b" * 20, "fl_short"),
]


@given(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join))
def test_the_quick_secret_check_agrees_with_the_patterns(text: str) -> None:
    expected = bool(_SECRET_NAME.search(text) or _TOKEN_VALUE.search(text))
    assert _may_hold_secrets(text) == expected


def test_each_signal_points_to_its_own_requests_payload(
    make_integration: MakeIntegration, db: Database
) -> None:
    """Payloads and signals go in together (one statement on PostgreSQL): every signal
    names the payload of the request it came in, a request without alerts keeps its
    payload, and a refused request stores none."""
    integration = make_integration("generic")
    refused = replace(_work(integration, _fire("x")), token_hash="wrong", body="refused")
    works = [
        replace(_work(integration, _fire("a1"), _fire("a2")), body="first"),
        replace(_work(integration, _fire("z")), alerts=[], body="empty"),
        refused,
        replace(_work(integration, _fire("c1")), body="third"),
    ]
    outcomes = run_batch(db, works)
    assert [type(outcome).__name__ for outcome in outcomes] == [
        "IngestResult",
        "IngestResult",
        "IngestUnauthorized",
        "IngestResult",
    ]
    with db.session() as session:
        pairs = session.execute(
            sa.select(AlertSignal.dedup_key, AlertPayload.body)
            .join(AlertPayload, AlertPayload.id == AlertSignal.payload_id)
            .order_by(AlertSignal.id)
        ).all()
        bodies = session.execute(sa.select(AlertPayload.body).order_by(AlertPayload.id)).all()
    assert [tuple(pair) for pair in pairs] == [("a1", "first"), ("a2", "first"), ("c1", "third")]
    assert [body for (body,) in bodies] == ["first", "empty", "third"]
