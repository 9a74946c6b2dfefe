"""Normalisers: each vendor payload into the one internal shape (no database needed)."""

from __future__ import annotations

from typing import Any

import pytest

from app.alerts.exceptions import InvalidJson, InvalidPayload
from app.alerts.fingerprint import lookup, stable_key
from app.alerts.models import IntegrationKind
from app.alerts.redact import REDACTED, stored_body
from app.alerts.sources import normalise, parse_json
from tests.alerts.conftest import load


def test_alertmanager_keeps_the_senders_fingerprint_and_own_statuses() -> None:
    alerts = normalise(IntegrationKind.alertmanager, load("alertmanager_mixed"), None)
    assert [a.key for a in alerts] == ["5a8cbf0a3f1c9b62", "9f3e21d7c0aa4b18"]
    assert [a.status for a in alerts] == ["resolved", "firing"]
    resolved, firing = alerts
    assert resolved.ends_at is not None and firing.ends_at is None
    assert firing.starts_at is not None and firing.starts_at.tzinfo is not None
    assert firing.severity == "critical"


def test_alertmanager_without_fingerprint_hashes_the_label_set_stably() -> None:
    payload = load("alertmanager_missing_fields")
    (first,) = normalise(IntegrationKind.alertmanager, payload, None)
    payload["alerts"][0]["labels"] = dict(reversed(list(payload["alerts"][0]["labels"].items())))
    (second,) = normalise(IntegrationKind.alertmanager, payload, None)
    assert first.key == second.key and first.title == "Watchdog" and first.links == []


def test_stable_key_ignores_key_order_and_lookup_follows_paths() -> None:
    assert stable_key({"a": 1, "b": [1, 2]}) == stable_key({"b": [1, 2], "a": 1})
    assert stable_key({"a": 1}) != stable_key({"a": 2})
    data: dict[str, Any] = {"a": {"b": [{"c": "x"}]}}
    assert lookup(data, "a.b.0.c") == "x"
    assert lookup(data, "a.b.5.c") is None and lookup(data, "a.z") is None


def test_pagerduty_maps_actions_and_makes_up_missing_keys() -> None:
    (trigger,) = normalise(IntegrationKind.pagerduty, load("pagerduty_trigger"), None)
    assert trigger.status == "firing" and trigger.key == "srv01/mysql-replication-lag"
    assert trigger.labels == {
        "class": "replication",
        "component": "mysql",
        "group": "prod-datapipe",
        "source": "srv01.example.com",
    }
    assert [link.rel for link in trigger.links] == ["Runbook", "image", "client"]
    (made_up,) = normalise(IntegrationKind.pagerduty, load("pagerduty_trigger_nokey"), None)
    assert made_up.key_generated and len(made_up.key) == 32
    (ack,) = normalise(IntegrationKind.pagerduty, load("pagerduty_acknowledge"), None)
    assert ack.status == "acknowledged"


def test_generic_status_words_and_key_fields() -> None:
    mapping = {"title": "msg", "status": "state", "key_fields": ["host", "check"]}
    item = {"msg": "load 12", "state": "OK", "host": "a", "check": "load"}
    (alert,) = normalise(IntegrationKind.generic, item, mapping)
    assert alert.status == "resolved"
    (other,) = normalise(IntegrationKind.generic, {**item, "msg": "load 3"}, mapping)
    assert other.key == alert.key  # the title changed, the configured key fields did not
    many = normalise(IntegrationKind.generic, [{"title": "a"}, {"title": "b"}], None)
    assert len(many) == 2 and many[0].key != many[1].key
    with pytest.raises(InvalidPayload):
        normalise(IntegrationKind.generic, {"title": "x", "status": "weird"}, None)
    with pytest.raises(InvalidPayload):
        normalise(IntegrationKind.generic, [], None)


def test_parse_json_explains_failures() -> None:
    with pytest.raises(InvalidJson, match="empty"):
        parse_json(b"  ")
    with pytest.raises(InvalidJson, match="not valid JSON"):
        parse_json(b"{")


def test_stored_body_redacts_secrets_and_cuts() -> None:
    data = {"routing_key": "abc", "nested": {"Password": "p"}, "note": "fli_" + "x" * 30, "ok": 1}
    raw = repr(data).encode()
    text, cut = stored_body(raw, data, 10_000)
    assert not cut and text.count(REDACTED) == 3 and '"ok":1' in text
    plain = b'{"title": "fine"}'
    assert stored_body(plain, {"title": "fine"}, 10_000) == (plain.decode(), False)
    long_text, long_cut = stored_body(b"x" * 5000, None, 1024)
    assert long_cut and len(long_text) == 1024
