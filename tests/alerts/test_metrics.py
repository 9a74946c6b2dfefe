"""Ingestion counts what it stored by integration and outcome, and what it refused by reason."""

from __future__ import annotations

from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from tests.alerts.conftest import MakeIntegration, load, post


def _count(metric: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(metric, labels) or 0.0


def test_outcomes_and_refusals_are_counted(
    anon: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("alertmanager")
    which = str(integration["id"])
    firing = load("alertmanager_firing")  # two alerts
    resolved = load("alertmanager_firing")
    for alert in resolved["alerts"]:
        alert["status"] = "resolved"
    outcomes = ("new", "repeat", "resolved", "ignored")
    before = {
        o: _count("firelane_alerts_received_total", integration=which, outcome=o) for o in outcomes
    }
    batches = _count("firelane_ingest_batch_size_count")
    refused = {
        reason: _count("firelane_alerts_rejected_total", integration=label, reason=reason)
        for label, reason in ((which, "invalid_json"), ("-", "invalid_integration_token"))
    }
    for payload in (firing, firing, resolved, resolved):
        assert post(anon, integration, payload).status_code == 202
    assert post(anon, integration, b"{").status_code == 400
    assert post(anon, integration, firing, token="fli_wrong").status_code == 401
    after = {
        o: _count("firelane_alerts_received_total", integration=which, outcome=o) for o in outcomes
    }
    assert {o: after[o] - before[o] for o in outcomes} == {
        "new": 2,
        "repeat": 2,
        "resolved": 2,
        "ignored": 2,  # a repeated resolve
    }
    assert _count("firelane_ingest_batch_size_count") - batches == 4
    assert (
        _count("firelane_alerts_rejected_total", integration=which, reason="invalid_json")
        - refused["invalid_json"]
        == 1
    )
    unknown = _count(
        "firelane_alerts_rejected_total", integration="-", reason="invalid_integration_token"
    )
    assert unknown - refused["invalid_integration_token"] == 1
