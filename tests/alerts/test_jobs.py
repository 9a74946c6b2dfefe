"""Expiry, heartbeats, maintenance windows and retention, driven by a ManualClock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.alerts import jobs
from app.alerts.heartbeats import check_heartbeats
from app.core import clock
from app.core.db import Database
from tests.alerts.conftest import MakeIntegration, card, count, event_types, load, post


@pytest.fixture
def manual() -> Iterator[clock.ManualClock]:
    with clock.use(clock.ManualClock(datetime(2026, 11, 26, 8, 0, tzinfo=UTC))) as used:
        assert isinstance(used, clock.ManualClock)
        yield used


def test_stale_alerts_expire_once(
    anon: TestClient,
    member: TestClient,
    make_integration: MakeIntegration,
    db: Database,
    manual: clock.ManualClock,
) -> None:
    integration = make_integration("alertmanager", stale_timeout_seconds=3600)
    cards = post(anon, integration, load("alertmanager_firing")).json()["cards"]
    manual.advance(timedelta(minutes=30))
    payload = load("alertmanager_firing")
    payload["alerts"] = payload["alerts"][1:]
    post(anon, integration, payload)  # refreshes only the second alert
    manual.advance(timedelta(minutes=31))
    with db.session() as session:
        assert jobs.expire_stale_alerts(session) == 1
    with db.session() as session:
        assert jobs.expire_stale_alerts(session) == 0  # a second run changes nothing
    assert card(member, cards[0])["alert"]["status"] == "expired"
    assert card(member, cards[1])["alert"]["status"] == "firing"
    assert event_types(member, cards[0])[-1] == "alert.expired"
    # An expired alert that fires again reopens its card.
    post(anon, integration, load("alertmanager_firing"))
    assert card(member, cards[0])["alert"]["status"] == "firing"


def test_missing_heartbeat_opens_a_card_and_a_ping_resolves_it(
    anon: TestClient,
    member: TestClient,
    make_integration: MakeIntegration,
    db: Database,
    manual: clock.ManualClock,
) -> None:
    integration = make_integration("generic", heartbeat_interval_seconds=300)
    url = f"/api/v1/ingest/{integration['id']}/heartbeat"
    auth = {"Authorization": f"Bearer {integration['token']}"}
    assert anon.get(url, headers=auth).status_code == 202
    manual.advance(timedelta(minutes=4))
    with db.session() as session:
        assert check_heartbeats(session) == 0
    manual.advance(timedelta(minutes=2))
    with db.session() as session:
        assert check_heartbeats(session) == 1
    with db.session() as session:
        assert check_heartbeats(session) == 0  # idempotent: the card is open already
    assert count(db, "card") == 1
    assert anon.post(url).status_code == 401
    ping = anon.post(url, headers=auth)
    assert ping.status_code == 202, ping.text
    card_id = ping.json()["resolved_card_id"]
    resolved = card(member, card_id)
    assert resolved["title"].startswith("Heartbeat missing") and resolved["priority"] == "urgent"
    assert resolved["alert"]["status"] == "resolved"
    manual.advance(timedelta(minutes=6))
    with db.session() as session:
        assert check_heartbeats(session) == 1
    again = card(member, card_id)
    assert again["alert"]["status"] == "firing" and again["alert"]["flaps"] == 1  # within the hour


def test_maintenance_window_stores_and_counts_but_opens_nothing(
    anon: TestClient,
    member: TestClient,
    make_integration: MakeIntegration,
    db: Database,
    manual: clock.ManualClock,
    board: dict[str, Any],
) -> None:
    integration = make_integration("alertmanager")
    start = manual.now()
    window = member.post(
        "/api/v1/maintenance-windows",
        json={
            "name": "db-prod-01 kernel upgrade",
            "integration_id": integration["id"],
            "matchers": [{"label": "instance", "op": "=~", "value": "db-prod-01.*"}],
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        },
    )
    assert window.status_code == 201, window.text
    response = post(anon, integration, load("alertmanager_firing")).json()
    assert response["suppressed"] == 1 and len(response["cards"]) == 1
    post(anon, integration, load("alertmanager_firing"))
    read = member.get(f"/api/v1/maintenance-windows/{window.json()['id']}").json()
    assert read["suppressed"] == 2
    assert count(db, "card") == 1 and count(db, "alert_payload") == 2
    board_window = member.post(
        "/api/v1/maintenance-windows",
        json={
            "name": "all of ops",
            "board_id": board["id"],
            "ends_at": (start + timedelta(minutes=10)).isoformat(),
        },
    )
    assert board_window.status_code == 201
    assert post(anon, integration, load("alertmanager_firing")).json()["suppressed"] == 2
    manual.advance(timedelta(hours=2))  # both windows are over
    after = post(anon, integration, load("alertmanager_firing")).json()
    assert after["suppressed"] == 0 and len(after["cards"]) == 2
    running = member.get("/api/v1/maintenance-windows", params={"running": True}).json()
    assert running["items"] == []
    bad = member.post(
        "/api/v1/maintenance-windows",
        json={
            "name": "x",
            "board_id": board["id"],
            "matchers": [{"label": "a", "op": "=~", "value": "("}],
            "ends_at": start.isoformat(),
        },
    )
    assert bad.status_code == 422


def test_raw_payloads_are_purged_after_retention_and_history_stays(
    anon: TestClient,
    member: TestClient,
    make_integration: MakeIntegration,
    db: Database,
    manual: clock.ManualClock,
) -> None:
    integration = make_integration("generic")
    (card_id,) = post(anon, integration, {"title": "old"}).json()["cards"]
    manual.advance(timedelta(days=31))
    post(anon, integration, {"title": "new"})
    with db.session() as session:
        assert jobs.purge_payloads(session, retention_days=30) == 1
    with db.session() as session:
        assert jobs.purge_payloads(session, retention_days=30) == 0
    (item,) = member.get(f"/api/v1/cards/{card_id}/alerts").json()["items"]
    assert item["payload"] is None and item["action"] == "fired"
    assert count(db, "alert_payload") == 1 and count(db, "alert_signal") == 2
