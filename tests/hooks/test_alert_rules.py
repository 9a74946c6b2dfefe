"""Rules and webhooks on real alert ingestion: severity, occurrences, and a storm held back."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from app.hooks import catalogue
from app.hooks.loop import DeliveryLoop
from tests.hooks.conftest import events_of, generic_integration, ingest, make_rule, subscribe
from tests.hooks.receiver import Receiver


def test_an_alert_storm_fires_few_hooks(
    admin: TestClient,
    anon: TestClient,
    board: dict[str, Any],
    loop: DeliveryLoop,
    receiver: Receiver,
) -> None:
    integration = generic_integration(admin, board)
    subscribe(admin, receiver.url, ["alert.fired", "alert.resolved"])
    rule = make_rule(
        admin,
        trigger="alert.repeated",
        conditions={"severity": ["CRITICAL"], "min_occurrences": 5},
        actions=[
            {"type": "create_linked_card", "title": "Automate: {title}"},
            {
                "type": "web_request",
                "url": receiver.url + "/rule",
                "preset": "slack",
                "text": "{title} fired {alert.occurrences} times",
            },
        ],
    )
    storm = {"title": "Disk full on web-3", "key": "web-3/disk", "severity": "critical"}
    calm = {"title": "Cert expires soon", "key": "cert", "severity": "warning"}
    for _ in range(50):
        ingest(anon, integration, storm)
    for _ in range(10):
        ingest(anon, integration, calm)
    ingest(anon, integration, {**storm, "status": "resolved"})

    runs = admin.get(f"/api/v1/rules/{rule['id']}/runs", params={"limit": 100}).json()["items"]
    outcomes = sorted((r["outcome"], r["count"]) for r in runs)
    # Occurrences 5..50 match: 5 runs per hour by default, the other 41 held back in one row.
    assert outcomes == [("ok", 1)] * 5 + [("rate_limited", 41)]
    automation = admin.get("/api/v1/cards", params={"kind": "automation"}).json()["items"]
    assert [c["title"] for c in automation] == ["Automate: Disk full on web-3"]

    loop.run_until_idle()
    webhook = [r for r in receiver.requests if r.path == "/hook"]
    slack = [r for r in receiver.requests if r.path == "/hook/rule"]
    assert sorted(r.headers["x-firelane-event"] for r in webhook) == [
        "alert.fired",
        "alert.fired",
        "alert.resolved",
    ]
    for request in webhook:
        envelope = catalogue.Envelope.model_validate_json(request.body)
        catalogue.AlertData.model_validate(envelope.data)
    assert sorted(json.loads(r.body)["text"] for r in slack) == [
        f"Disk full on web-3 fired {n} times" for n in range(5, 10)
    ]
    # Deliveries go out concurrently: find the storm's card by its event, not by arrival.
    (fire_card,) = {
        json.loads(r.body)["card_id"]
        for r in webhook
        if json.loads(r.body)["data"]["card"]["title"] == storm["title"]
    }
    outcomes_on_card = [
        e["data"]["status"] for e in events_of(admin, fire_card) if e["type"] == "rule.web_request"
    ]
    assert outcomes_on_card == ["delivered"] * 5
