"""Alerts become cards: dedup, repeats, resolve, ack, reopen and recurrence, over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from app.core.db import Database
from tests.alerts.conftest import MakeIntegration, card, count, event_types, load, post


def test_alertmanager_group_opens_one_card_per_alert(
    anon: TestClient, member: TestClient, make_integration: MakeIntegration, board: dict[str, Any]
) -> None:
    integration = make_integration("alertmanager")
    response = post(anon, integration, load("alertmanager_firing"))
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 2 and len(body["cards"]) == 2
    first, second = (card(member, card_id) for card_id in body["cards"])
    assert first["title"] == "CPU load above 90% on db-prod-01"
    assert first["kind"] == "fire" and first["column_id"] == board["columns"]["Triage"]
    assert first["priority"] == "medium" and second["priority"] == "urgent"
    assert first["labels"] == ["alert", "alertmanager"]
    alert = first["alert"]
    assert alert["fingerprint"] == "5a8cbf0a3f1c9b62"
    assert alert["status"] == "firing" and alert["occurrences"] == 1 and alert["flaps"] == 0
    assert alert["labels"]["instance"] == "db-prod-01:9100"
    assert {link["rel"] for link in alert["links"]} == {"runbook", "generator", "alertmanager"}
    assert alert["first_seen_at"] and alert["last_seen_at"] and alert["resolved_at"] is None
    assert "CPU load is 93.4%" in first["description"]
    assert event_types(member, first["id"]) == ["card.created", "alert.fired"]


def test_repeat_counts_on_the_same_card_and_raises_priority(
    anon: TestClient, member: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("alertmanager")
    payload = load("alertmanager_firing")
    cards = post(anon, integration, payload).json()["cards"]
    payload["alerts"][0]["labels"]["severity"] = "critical"
    again = post(anon, integration, payload).json()
    assert again["cards"] == cards
    post(anon, integration, payload)
    first = card(member, cards[0])
    assert first["alert"]["occurrences"] == 3
    assert first["priority"] == "urgent"  # warning → critical raised it
    types = event_types(member, cards[0])
    assert types.count("alert.repeated") == 2 and "card.updated" in types


def test_mixed_group_uses_each_alerts_own_status(
    anon: TestClient, member: TestClient, make_integration: MakeIntegration, board: dict[str, Any]
) -> None:
    integration = make_integration("alertmanager", resolve_column_id=board["columns"]["Resolved"])
    cards = post(anon, integration, load("alertmanager_firing")).json()["cards"]
    response = post(anon, integration, load("alertmanager_mixed"))
    assert response.status_code == 202 and response.json()["cards"] == cards
    resolved, firing = card(member, cards[0]), card(member, cards[1])
    assert resolved["alert"]["status"] == "resolved" and resolved["alert"]["resolved_at"]
    assert resolved["column_id"] == board["columns"]["Resolved"]
    assert firing["alert"]["status"] == "firing" and firing["alert"]["occurrences"] == 2
    assert firing["column_id"] == board["columns"]["Triage"]
    assert "alert.resolved" in event_types(member, cards[0])


def test_fire_after_resolve_reopens_the_same_card_and_counts_a_flap(
    anon: TestClient, member: TestClient, make_integration: MakeIntegration, board: dict[str, Any]
) -> None:
    integration = make_integration("alertmanager", resolve_column_id=board["columns"]["Resolved"])
    cards = post(anon, integration, load("alertmanager_firing")).json()["cards"]
    post(anon, integration, load("alertmanager_mixed"))
    again = post(anon, integration, load("alertmanager_firing")).json()
    assert again["cards"] == cards
    reopened = card(member, cards[0])
    assert reopened["alert"]["status"] == "firing" and reopened["alert"]["flaps"] == 1
    assert reopened["alert"]["resolved_at"] is None and reopened["status"] == "open"
    assert reopened["column_id"] == board["columns"]["Triage"]  # back from Resolved


def test_a_reopened_alert_starts_a_new_episode(
    anon: TestClient, member: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("alertmanager")
    payload = load("alertmanager_firing")
    (card_id, _) = post(anon, integration, payload).json()["cards"]
    first = card(member, card_id)["alert"]
    assert first["starts_at"] == "2026-11-26T08:14:30.123000Z"
    post(anon, integration, load("alertmanager_mixed"))
    payload["alerts"][0]["startsAt"] = "2026-11-27T10:00:00Z"
    post(anon, integration, payload)
    alert = card(member, card_id)["alert"]
    assert alert["status"] == "firing" and alert["starts_at"] == "2026-11-27T10:00:00Z"
    assert alert["first_seen_at"] == first["first_seen_at"]  # the first episode's


def test_fire_after_a_person_closed_the_card_opens_a_linked_recurrence(
    anon: TestClient,
    member: TestClient,
    make_integration: MakeIntegration,
    board: dict[str, Any],
    db: Database,
) -> None:
    integration = make_integration("alertmanager")
    payload = load("alertmanager_firing")
    payload["alerts"] = payload["alerts"][:1]
    (first_id,) = post(anon, integration, payload).json()["cards"]
    first = card(member, first_id)
    moved = member.post(
        f"/api/v1/cards/{first_id}/move",
        json={"version": first["version"], "column_id": board["columns"]["Done"]},
    )
    assert moved.status_code == 200, moved.text
    (second_id,) = post(anon, integration, payload).json()["cards"]
    assert second_id != first_id
    second = card(member, second_id)
    assert second["links"] == [{"target_card_id": first_id, "kind": "recurrence_of"}]
    assert second["alert"]["recurrence"] == 1 and second["alert"]["occurrences"] == 1
    assert card(member, first_id)["status"] == "done"
    # The person archives the recurrence too: the third card carries the count on.
    second_version = second["version"]
    archived = member.patch(
        f"/api/v1/cards/{second_id}", json={"version": second_version, "archived": True}
    )
    assert archived.status_code == 200, archived.text
    (third_id,) = post(anon, integration, payload).json()["cards"]
    third = card(member, third_id)
    assert third["alert"]["recurrence"] == 2
    assert third["links"] == [{"target_card_id": second_id, "kind": "recurrence_of"}]
    assert count(db, "alert") == 3


def test_pagerduty_trigger_ack_resolve(
    anon: TestClient, member: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("pagerduty")
    trigger = load("pagerduty_trigger")
    trigger["routing_key"] = integration["token"]
    response = anon.post("/api/v1/ingest/pagerduty/v2/enqueue", json=trigger)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "success" and body["dedup_key"] == "srv01/mysql-replication-lag"
    (card_id,) = body["cards"]
    created = card(member, card_id)
    assert created["priority"] == "high" and created["title"].startswith("MySQL replication lag")
    assert created["alert"]["labels"]["component"] == "mysql"
    for name, status in (
        ("pagerduty_acknowledge", "acknowledged"),
        ("pagerduty_resolve", "resolved"),
    ):
        event = load(name)
        event["routing_key"] = integration["token"]
        answer = anon.post("/api/v1/ingest/pagerduty/v2/enqueue", json=event)
        assert answer.status_code == 202 and answer.json()["cards"] == [card_id]
        assert card(member, card_id)["alert"]["status"] == status
    assert event_types(member, card_id)[-2:] == ["alert.acknowledged", "alert.resolved"]


def test_pagerduty_trigger_without_key_gets_one_made_up(
    anon: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("pagerduty")
    event = load("pagerduty_trigger_nokey")
    event.pop("routing_key")
    # The integration's own ingest URL takes Events v2 with the token as Bearer, too.
    response = post(anon, integration, event)
    assert response.status_code == 202, response.text
    again = post(anon, integration, event)
    # No key: two triggers are two alerts, as with PagerDuty.
    assert again.json()["cards"] != response.json()["cards"]


def test_grafana_nodata_and_error_become_explicit_cards(
    anon: TestClient, member: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("grafana")
    cards = post(anon, integration, load("grafana_nodata")).json()["cards"]
    nodata, error = (card(member, card_id) for card_id in cards)
    assert nodata["title"] == "No data: API 5xx rate"
    assert error["title"] == "Datasource error: Payment errors in logs"
    assert "context deadline exceeded" in error["description"]
    assert error["priority"] == "urgent" and nodata["priority"] == "medium"
    firing = card(member, post(anon, integration, load("grafana_firing")).json()["cards"][0])
    rels = {link["rel"] for link in firing["alert"]["links"]}
    assert {"dashboard", "panel", "silence", "runbook", "generator"} <= rels
    assert "value=7.213" in firing["description"]


def test_generic_minimal_schema_and_mapping(
    anon: TestClient, member: TestClient, make_integration: MakeIntegration
) -> None:
    plain = make_integration("generic")
    response = post(anon, plain, load("generic_minimal"))
    assert response.status_code == 202, response.text
    created = card(member, response.json()["cards"][0])
    assert created["priority"] == "high"
    assert created["alert"]["links"] == [
        {"rel": "runbook", "url": "https://runbooks.example.com/tls/renewal"}
    ]  # the javascript: link never became a link
    assert post(anon, plain, load("generic_minimal")).json()["cards"] == [created["id"]]
    mapped = make_integration(
        "generic",
        field_mapping={
            "title": "notification.service.output",
            "key": "notification.check_id",
            "severity": "notification.service.state",
            "status": "notification.type",
            "starts_at": "sent_at",
            "status_values": {"PROBLEM": "firing", "RECOVERY": "resolved"},
        },
    )
    problem = load("generic_nagios")
    (card_id,) = post(anon, mapped, problem).json()["cards"]
    problem["notification"]["type"] = "RECOVERY"
    assert post(anon, mapped, problem).json()["cards"] == [card_id]
    nagios = card(member, card_id)
    assert nagios["alert"]["fingerprint"] == "web-03/disk-var"
    assert nagios["alert"]["status"] == "resolved" and nagios["priority"] == "urgent"


def test_unicode_and_huge_label_sets(
    anon: TestClient, member: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("alertmanager")
    response = post(anon, integration, load("alertmanager_unicode_huge_labels"))
    assert response.status_code == 202, response.text
    created = card(member, response.json()["cards"][0])
    assert created["title"].endswith("重启次数 14 🔥")
    assert len(created["alert"]["labels"]) == 153
    assert "東京" in created["description"]
    missing = post(anon, integration, load("alertmanager_missing_fields"))
    assert missing.status_code == 202, missing.text
    watchdog = card(member, missing.json()["cards"][0])
    assert watchdog["title"] == "Watchdog" and len(watchdog["alert"]["fingerprint"]) == 32


def test_card_alerts_lists_raw_payloads_with_secrets_redacted(
    anon: TestClient, member: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("pagerduty")
    trigger = load("pagerduty_trigger")
    trigger["routing_key"] = integration["token"]
    (card_id,) = anon.post("/api/v1/ingest/pagerduty/v2/enqueue", json=trigger).json()["cards"]
    anon.post("/api/v1/ingest/pagerduty/v2/enqueue", json=trigger)
    page = member.get(f"/api/v1/cards/{card_id}/alerts", params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = member.get(
        f"/api/v1/cards/{card_id}/alerts", params={"cursor": page["next_cursor"]}
    ).json()
    items = page["items"] + rest["items"]
    assert [item["action"] for item in items] == ["fired", "repeated"]
    body = items[0]["payload"]["body"]
    assert body["routing_key"] == "[redacted]"
    assert body["payload"]["custom_details"]["api_token"] == "[redacted]"
    assert body["payload"]["custom_details"]["lag_seconds"] == 412
    assert integration["token"] not in str(items)
