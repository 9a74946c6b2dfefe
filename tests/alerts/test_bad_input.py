"""Bad input gets a clear 4xx and leaves nothing behind; signatures are checked."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.db import Database
from app.hooks.signing import firelane_signature, grafana_signature
from tests.alerts.conftest import MakeIntegration, count, load, post

STORED = ("alert_payload", "alert_signal", "alert", "card", "card_event")
SECRET = "a-shared-hmac-secret-0123456789"


def stored(db: Database) -> dict[str, int]:
    return {table: count(db, table) for table in STORED}


@pytest.fixture
def nothing_stored(db: Database) -> Any:
    """Assert, after the test, that no ingest row was written."""
    before = stored(db)
    yield
    assert stored(db) == before


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"", 400, "invalid_json"),
        (b"\xff\xfe", 400, "invalid_json"),
        (b"[1, 2]", 422, "invalid_payload"),
        (b'{"alerts": []}', 422, "invalid_payload"),
        (b'{"alerts": [{"status": "burning", "labels": {}}]}', 422, "invalid_payload"),
        (b'{"alerts": [{"status": "firing", "labels": {"a": 1}}]}', 422, "invalid_payload"),
        (b'{"alerts": [{"status": "firing", "startsAt": "yesterday"}]}', 422, "invalid_payload"),
    ],
)
def test_malformed_alertmanager_payloads(
    anon: TestClient, make_integration: MakeIntegration, body: bytes, status: int, code: str
) -> None:
    integration = make_integration("alertmanager")
    response = post(anon, integration, body)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert response.json()["detail"]


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize(
    ("kind", "body", "detail"),
    [
        ("alertmanager", b"[1, 2]", "Not an Alertmanager payload: the body must be a JSON object."),
        ("alertmanager", b'{"alerts": []}', "Not an Alertmanager payload: alerts: "),
        ("grafana", b'{"alerts": []}', "Not a Grafana payload: alerts: "),
    ],
)
def test_refusals_name_the_format_in_plain_english(
    anon: TestClient, make_integration: MakeIntegration, kind: str, body: bytes, detail: str
) -> None:
    response = post(anon, make_integration(kind), body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(detail)


@pytest.mark.usefixtures("nothing_stored")
def test_one_bad_alert_refuses_the_whole_group(
    anon: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("alertmanager")
    payload = load("alertmanager_firing")
    payload["alerts"][1]["labels"] = ["not", "a", "map"]
    response = post(anon, integration, payload)
    assert response.status_code == 422
    assert "alerts.1.labels" in response.json()["detail"]


@pytest.mark.usefixtures("nothing_stored")
def test_wrong_types_in_generic_and_pagerduty(
    anon: TestClient, make_integration: MakeIntegration
) -> None:
    generic = make_integration("generic")
    no_title = post(anon, generic, {"severity": "high"})
    assert no_title.status_code == 422 and "title" in no_title.json()["detail"]
    bad_status = post(anon, generic, {"title": "x", "status": "on fire"})
    assert bad_status.status_code == 422 and "status_values" in bad_status.json()["detail"]
    bad_labels = post(anon, generic, {"title": "x", "labels": "host=a"})
    assert bad_labels.status_code == 422
    pagerduty = make_integration("pagerduty")
    event = {"routing_key": pagerduty["token"], "event_action": "trigger", "payload": {}}
    response = anon.post("/api/v1/ingest/pagerduty/v2/enqueue", json=event)
    assert response.status_code == 422 and "summary" in response.json()["detail"]
    resolve = {"routing_key": pagerduty["token"], "event_action": "resolve"}
    answer = anon.post("/api/v1/ingest/pagerduty/v2/enqueue", json=resolve)
    assert answer.status_code == 422 and "dedup_key" in answer.json()["detail"]


@pytest.mark.usefixtures("nothing_stored")
def test_wrong_tokens_and_unknown_integrations_get_the_same_401(
    anon: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("alertmanager")
    other = make_integration("alertmanager")
    payload = load("alertmanager_firing")
    wrong = post(anon, integration, payload, token="fli_not-the-token")
    crossed = post(anon, integration, payload, token=other["token"])
    unknown = anon.post(
        "/api/v1/ingest/999999",
        json=payload,
        headers={"Authorization": f"Bearer {integration['token']}"},
    )
    bare = anon.post(f"/api/v1/ingest/{integration['id']}", json=payload)
    bearer = {"Authorization": "Bearer fli_not-the-token"}
    # Ids beyond 64 bits (or 5,000 digits) are unknown integrations too, not store errors.
    huge = [
        anon.post(f"/api/v1/ingest/{'9' * n}", json=payload, headers=bearer) for n in (20, 5000)
    ]
    beat = anon.get("/api/v1/ingest/99999999999999999999/heartbeat", headers=bearer)
    for response in (wrong, crossed, unknown, bare, *huge, beat):
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_integration_token"
    assert wrong.json() == unknown.json() == crossed.json() == huge[0].json() == huge[1].json()
    pd = {"routing_key": "nope", "event_action": "resolve", "dedup_key": "k"}
    assert anon.post("/api/v1/ingest/pagerduty/v2/enqueue", json=pd).status_code == 401


def test_basic_and_query_tokens_work(anon: TestClient, make_integration: MakeIntegration) -> None:
    integration = make_integration("generic")
    basic = base64.b64encode(f"alertmanager:{integration['token']}".encode()).decode()
    path = f"/api/v1/ingest/{integration['id']}"
    by_basic = anon.post(path, json={"title": "a"}, headers={"Authorization": f"Basic {basic}"})
    by_query = anon.post(path, json={"title": "b"}, params={"token": integration["token"]})
    assert by_basic.status_code == 202 and by_query.status_code == 202


def test_rotated_token_is_refused_at_once(
    anon: TestClient, admin: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("generic")
    assert post(anon, integration, {"title": "before"}).status_code == 202
    rotated = admin.post(f"/api/v1/integrations/{integration['id']}/rotate-token").json()
    assert post(anon, integration, {"title": "old"}).status_code == 401
    assert post(anon, integration, {"title": "new"}, token=rotated["token"]).status_code == 202
    disabled = admin.patch(f"/api/v1/integrations/{integration['id']}", json={"enabled": False})
    assert disabled.status_code == 200
    refused = post(anon, integration, {"title": "x"}, token=rotated["token"])
    assert refused.status_code == 403 and refused.json()["error"] == "integration_disabled"


@pytest.mark.usefixtures("nothing_stored")
def test_huge_bodies_get_413(anon: TestClient, make_integration: MakeIntegration) -> None:
    integration = make_integration("generic", max_body_bytes=2048)
    small_limit = post(anon, integration, {"title": "x" * 4000})
    assert small_limit.status_code == 413 and small_limit.json()["error"] == "payload_too_large"
    unlimited = make_integration("generic")
    huge = post(anon, unlimited, {"title": "x", "description": "y" * 2_000_000})
    assert huge.status_code == 413


def test_big_payloads_are_stored_cut_at_the_limit(
    anon: TestClient, member: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("generic")
    response = post(anon, integration, {"title": "big", "description": "z" * 200_000})
    assert response.status_code == 202
    (card_id,) = response.json()["cards"]
    (item,) = member.get(f"/api/v1/cards/{card_id}/alerts").json()["items"]
    assert item["payload"]["truncated"] is True
    assert item["payload"]["size_bytes"] > 200_000
    assert len(item["payload"]["body"]) == 65_536


def _signed(secret: str, body: bytes, at: int) -> dict[str, str]:
    return {"X-Firelane-Signature": firelane_signature(secret, body, at)}


def test_firelane_signatures(
    anon: TestClient, make_integration: MakeIntegration, db: Database
) -> None:
    integration = make_integration("generic", hmac_secret=SECRET)
    assert integration["has_hmac_secret"] is True and "hmac_secret" not in integration
    with db.engine.connect() as conn:
        sealed = conn.execute(sa.text("SELECT hmac_secret FROM integration")).scalar_one()
    assert SECRET not in sealed  # stored encrypted, never in the clear
    body = json.dumps({"title": "signed"}).encode()
    now = int(time.time())
    good = post(anon, integration, body, headers=_signed(SECRET, body, now))
    assert good.status_code == 202, good.text
    before = stored(db)
    unsigned = post(anon, integration, body)
    assert unsigned.status_code == 401 and unsigned.json()["error"] == "signature_required"
    cases = [
        _signed("another-secret-0123456789", body, now),
        _signed(SECRET, body, now - 301),
        _signed(SECRET, body + b" ", now),
        {"X-Firelane-Signature": "v1=deadbeef"},
        {"X-Firelane-Signature": f"t={now},v1=" + "0" * 64},
    ]
    for headers in cases:
        response = post(anon, integration, body, headers=headers)
        assert response.status_code == 401 and response.json()["error"] == "bad_signature"
    # While rotating, a sender may send the old and new signatures side by side.
    both = firelane_signature(SECRET, body, now) + ",v1=" + "ab" * 32
    assert post(anon, integration, body, headers={"X-Firelane-Signature": both}).status_code == 202
    assert stored(db)["card"] == before["card"]


def test_grafana_signatures(anon: TestClient, make_integration: MakeIntegration) -> None:
    integration = make_integration("grafana", hmac_secret=SECRET)
    body = json.dumps(load("grafana_firing")).encode()
    plain = {"X-Grafana-Alerting-Signature": grafana_signature(SECRET, body)}
    assert post(anon, integration, body, headers=plain).status_code == 202
    stamp = str(int(time.time()))
    timed = {
        "X-Grafana-Alerting-Signature": grafana_signature(SECRET, body, stamp),
        "X-Grafana-Alerting-Timestamp": stamp,
    }
    assert post(anon, integration, body, headers=timed).status_code == 202
    old = str(int(time.time()) - 600)
    stale = {
        "X-Grafana-Alerting-Signature": grafana_signature(SECRET, body, old),
        "X-Grafana-Alerting-Timestamp": old,
    }
    assert post(anon, integration, body, headers=stale).status_code == 401
    forged = {"X-Grafana-Alerting-Signature": grafana_signature("wrong-secret-0123456", body)}
    assert post(anon, integration, body, headers=forged).status_code == 401


def test_nul_characters_are_stripped_from_alerts_on_both_backends(
    anon: TestClient, admin: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("generic")
    payload = {
        "title": "disk\u0000 full",
        "key": "k\u0000",
        "labels": {"host\u0000": "web\u00003", "n": 1},
        "annotations": {"summary": "a\u0000b"},
        "description": "out\u0000put",
    }
    text = json.dumps(payload).replace("\\\\u", "\\u").encode()
    assert b"\\u0000" in text
    response = post(anon, integration, text)
    assert response.status_code == 202, response.text
    (card_id,) = response.json()["cards"]
    card = admin.get(f"/api/v1/cards/{card_id}").json()
    assert card["title"] == "disk full"
    assert card["description"].startswith("output")
    assert card["alert"]["labels"] == {"host": "web3", "n": "1"}
    assert card["alert"]["annotations"] == {"summary": "ab"}
    raw = admin.get(f"/api/v1/cards/{card_id}/alerts").json()["items"][0]
    assert "\x00" not in json.dumps(raw)
