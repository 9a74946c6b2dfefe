"""Secrets in an alert are redacted wherever a viewer can read it: the raw payload, and
the card it becomes (title, description, alert labels and annotations, card events)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from app.alerts.redact import REDACTED, redact_text
from tests.alerts.conftest import MakeIntegration, post

SECRETS = ("s3cr3t-key-value", "sk_live_abcdefgh12345", "hunter22", "fli_" + "x" * 30)


def test_credentials_written_in_text_are_redacted() -> None:
    assert redact_text("curl -H 'Authorization: Bearer sk_live_abcdefgh12345'") == (
        f"curl -H 'Authorization: Bearer {REDACTED}'"
    )
    assert (
        redact_text("login with password=hunter22, then") == f"login with password={REDACTED}, then"
    )
    assert redact_text("basic auth is fine") == "basic auth is fine"  # no credential in it


def test_no_secret_reaches_the_card(
    anon: TestClient, viewer: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("generic")
    payload: dict[str, Any] = {
        "title": "Login failing with token=hunter22",
        "description": f"Probe uses {SECRETS[3]}; password: hunter22",
        "labels": {"host": "web-3", "api_key": SECRETS[0]},
        "annotations": {"runbook": f"curl -H 'Authorization: Bearer {SECRETS[1]}' ..."},
    }
    response = post(anon, integration, payload)
    assert response.status_code == 202, response.text
    (card_id,) = response.json()["cards"]
    card = viewer.get(f"/api/v1/cards/{card_id}").json()
    events = viewer.get(f"/api/v1/cards/{card_id}/events").json()
    alerts = viewer.get(f"/api/v1/cards/{card_id}/alerts").json()
    seen = json.dumps([card, events, alerts])
    for secret in SECRETS:
        assert secret not in seen, secret
    assert card["alert"]["labels"] == {"api_key": REDACTED, "host": "web-3"}
    assert card["title"] == f"Login failing with token={REDACTED}"
