"""Integrations are admin-managed; tokens are shown once and stored hashed."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.core.db import Database
from tests.alerts.conftest import MakeIntegration


def test_create_answers_token_once_and_stores_its_hash(
    admin: TestClient, make_integration: MakeIntegration, db: Database, board: dict[str, Any]
) -> None:
    created = make_integration(
        "alertmanager",
        column_id=board["columns"]["Doing"],
        severity_map={"Warning": "high"},
        stale_timeout_seconds=3600,
    )
    assert created["token"].startswith("fli_") and created["token_prefix"] == created["token"][:10]
    assert created["ingest_url"].endswith(f"/api/v1/ingest/{created['id']}")
    assert created["heartbeat_url"] == created["ingest_url"] + "/heartbeat"
    assert created["severity_map"] == {"warning": "high"}
    read = admin.get(f"/api/v1/integrations/{created['id']}").json()
    assert "token" not in read and read["name"] == created["name"]
    with db.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT token_hash FROM integration")).scalar_one()
    assert created["token"] not in stored and len(stored) == 64
    listed = admin.get("/api/v1/integrations", params={"limit": 1}).json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert "token" not in listed["items"][0]


def test_only_admins_manage_integrations(
    member: TestClient, viewer: TestClient, anon: TestClient, board: dict[str, Any]
) -> None:
    body = {"name": "x", "kind": "generic", "board_id": board["id"]}
    assert member.post("/api/v1/integrations", json=body).status_code == 403
    assert viewer.get("/api/v1/integrations").status_code == 403
    assert anon.get("/api/v1/integrations").status_code == 401


def test_validation_of_settings(
    admin: TestClient, make_integration: MakeIntegration, board: dict[str, Any]
) -> None:
    base = {"name": "bad", "kind": "generic", "board_id": board["id"]}
    cases: list[dict[str, Any]] = [
        {"kind": "nagios"},
        {"board_id": 999_999},
        {"column_id": 999_999},
        {"severity_map": {"critical": "apocalyptic"}},
        {"hmac_secret": "short"},
        {"stale_timeout_seconds": 5},
        {"field_mapping": {"title": "a.b", "colour": "c"}},
        {"unknown": 1},
    ]
    for extra in cases:
        response = admin.post("/api/v1/integrations", json={**base, **extra})
        assert response.status_code == 422, (extra, response.text)
        assert response.json()["detail"]
    make_integration("generic")
    taken = admin.post("/api/v1/integrations", json={**base, "name": "generic-1"})
    assert taken.status_code == 409 and taken.json()["error"] == "integration_name_taken"


def test_patch_rotate_delete(
    admin: TestClient, anon: TestClient, make_integration: MakeIntegration, board: dict[str, Any]
) -> None:
    created = make_integration("generic", hmac_secret="s" * 20)
    patched = admin.patch(
        f"/api/v1/integrations/{created['id']}",
        json={"hmac_secret": None, "resolve_column_id": board["columns"]["Resolved"]},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["has_hmac_secret"] is False
    assert patched.json()["resolve_column_id"] == board["columns"]["Resolved"]
    rotated = admin.post(f"/api/v1/integrations/{created['id']}/rotate-token").json()
    assert rotated["token"] != created["token"]
    assert admin.delete(f"/api/v1/integrations/{created['id']}").status_code == 204
    assert admin.get(f"/api/v1/integrations/{created['id']}").status_code == 404
    gone = anon.post(
        f"/api/v1/ingest/{created['id']}",
        json={"title": "x"},
        headers={"Authorization": f"Bearer {rotated['token']}"},
    )
    assert gone.status_code == 401
