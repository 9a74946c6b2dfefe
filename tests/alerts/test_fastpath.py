"""The ingest endpoints answered before FastAPI's routing: same answers, same docs, same metrics."""

from __future__ import annotations

import warnings

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.alerts.conftest import MakeIntegration, load, post


def test_the_openapi_schema_has_one_operation_id_per_operation(app: FastAPI) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns of a duplicate operation id
        schema = app.openapi()
    ids = [
        operation["operationId"]
        for methods in schema["paths"].values()
        for operation in methods.values()
    ]
    assert len(ids) == len(set(ids))
    heartbeat = schema["paths"]["/api/v1/ingest/{integration_id}/heartbeat"]
    assert heartbeat["get"]["operationId"] != heartbeat["post"]["operationId"]
    # The ingest endpoints stay documented, answered by the fast path or not.
    assert "post" in schema["paths"]["/api/v1/ingest/{integration_id}"]
    assert "post" in schema["paths"]["/api/v1/ingest/pagerduty/v2/enqueue"]


def test_both_heartbeat_methods_answer(anon: TestClient, make_integration: MakeIntegration) -> None:
    integration = make_integration("generic", heartbeat_interval_seconds=300)
    url = integration["heartbeat_url"].split("://", 1)[1].split("/", 1)[1]
    bearer = {"Authorization": f"Bearer {integration['token']}"}
    assert anon.get(f"/{url}", headers=bearer).status_code == 202
    assert anon.post(f"/{url}", headers=bearer).status_code == 202


def test_paths_it_does_not_take_are_answered_by_fastapi(anon: TestClient) -> None:
    not_an_id = anon.post("/api/v1/ingest/abc", json={})  # ids are digits: no such path
    assert not_an_id.status_code == 404
    assert not_an_id.json()["error"] == "not_found"
    assert anon.get("/api/v1/ingest/1").status_code == 405
    assert anon.post("/api/v1/ingest/1/", follow_redirects=False).status_code == 307


def test_its_answers_are_counted_under_the_route(
    anon: TestClient, viewer: TestClient, make_integration: MakeIntegration
) -> None:
    integration = make_integration("alertmanager")
    assert post(anon, integration, load("alertmanager_firing")).status_code == 202
    assert post(anon, integration, b"{").status_code == 400
    text = viewer.get("/metrics").text
    route = 'route="/api/v1/ingest/{integration_id}"'
    assert f'firelane_http_requests_total{{method="POST",{route},status="202"}} 1.0' in text
    assert f'firelane_http_requests_total{{method="POST",{route},status="400"}} 1.0' in text


def test_unknown_integration_and_pagerduty_errors_keep_their_shape(anon: TestClient) -> None:
    unknown = anon.post(
        "/api/v1/ingest/999999", json={}, headers={"Authorization": "Bearer fl_nothing"}
    )
    assert unknown.status_code == 401
    assert unknown.json() == {
        "error": "invalid_integration_token",
        "detail": "Unknown integration or wrong token.",
    }
    assert unknown.headers["www-authenticate"] == "Bearer"
    no_key = anon.post("/api/v1/ingest/pagerduty/v2/enqueue", json={"event_action": "trigger"})
    assert no_key.status_code == 401
    assert no_key.headers["content-type"] == "application/json"
