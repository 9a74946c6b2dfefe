"""The OpenAPI document names how each endpoint authenticates, so "Authorize" in /docs works."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _security(schema: dict[str, Any], path: str, method: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = schema["paths"][path][method].get("security", [])
    return found


def test_security_schemes_are_declared(anon: TestClient) -> None:
    schema = anon.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiToken"]["type"] == "http" and schemes["apiToken"]["scheme"] == "bearer"
    assert schemes["browserSession"] == {
        **schemes["browserSession"],
        "type": "apiKey",
        "in": "cookie",
        "name": "firelane_session",
    }
    assert schemes["integrationToken"]["scheme"] == "bearer"
    either = [{"apiToken": []}, {"browserSession": []}]
    assert _security(schema, "/api/v1/boards", "get") == either
    assert _security(schema, "/api/v1/cards/{card_id}/move", "post") == either
    assert _security(schema, "/metrics", "get") == either
    assert _security(schema, "/api/v1/ingest/{integration_id}", "post") == [
        {"integrationToken": []}
    ]
    assert _security(schema, "/api/v1/auth/login", "post") == []
    assert _security(schema, "/healthz", "get") == []


def test_a_token_sent_as_the_docs_send_it_works(admin: TestClient, anon: TestClient) -> None:
    token = admin.post("/api/v1/tokens", json={"label": "docs"}).json()["token"]
    # What Swagger UI sends once a token is entered under "Authorize" → apiToken.
    answer = anon.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json()["user"]["name"] == "root"
    for header in ("Bearer", "Bearer   ", "Basic Zm9vOmJhcg==", ""):
        refused = anon.get("/api/v1/auth/me", headers={"Authorization": header})
        assert refused.status_code == 401, header
        assert "Authorization: Bearer" in refused.json()["detail"]
