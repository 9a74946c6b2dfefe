"""Values no store can hold get a 4xx on every route, on both backends, never a 500.

The mechanisms are in app/core: ``Id`` (ids are 1 to 2**63 - 1 in paths, queries and
bodies), ``StrictModel`` (no NUL, lone surrogate or 65-bit integer anywhere in a body),
``Patch`` (null only where it clears) and ``RequestLimits`` (JSON depth, NUL in URLs).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.middleware import MAX_JSON_DEPTH, json_too_deep

HUGE = "99999999999999999999"  # beyond 64 bits
# Beyond PostgreSQL's integer columns (SQLite's hold 64 bits), and just within 64 bits.
TOO_LARGE = ("2147483648", "9223372036854775806", HUGE)


def _shape(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert isinstance(body["error"], str) and isinstance(body["detail"], str), body
    if code is not None:
        assert body["error"] == code, body
    return body


def _post(client: TestClient, url: str, body: Any) -> Any:
    """POST ``body`` as JSON with \\u escapes (how a lone surrogate travels)."""
    headers = {"content-type": "application/json"}
    return client.post(url, content=json.dumps(body), headers=headers)


def _operations(app: FastAPI) -> list[tuple[str, str]]:
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


@pytest.fixture
def board(admin: TestClient) -> dict[str, Any]:
    response = admin.post("/api/v1/boards", json={"name": "B", "slug": "b"})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture
def card(admin: TestClient, board: dict[str, Any]) -> dict[str, Any]:
    response = admin.post(f"/api/v1/boards/{board['id']}/cards", json={"title": "a card"})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.mark.parametrize("huge", TOO_LARGE)
def test_a_huge_id_in_any_path_is_a_4xx(app: FastAPI, admin: TestClient, huge: str) -> None:
    with_ids = [(m, p) for m, p in _operations(app) if "_id}" in p]
    assert len(with_ids) > 30
    for method, path in with_ids:
        url = re.sub(r"\{\w+\}", huge, path)
        kwargs: dict[str, Any] = {"json": {}} if method in ("POST", "PATCH", "PUT") else {}
        response = admin.request(method, url, **kwargs)
        assert 400 <= response.status_code < 500, (method, url, response.text)
        _shape(response, response.status_code)


def test_huge_ids_in_queries_bodies_and_cursors_are_refused(
    admin: TestClient, board: dict[str, Any], card: dict[str, Any]
) -> None:
    _shape(admin.get("/api/v1/cards", params={"board_id": HUGE}), 422, "validation_error")
    _shape(admin.get("/api/v1/deliveries", params={"rule_id": HUGE}), 422, "validation_error")
    created = admin.post(
        f"/api/v1/boards/{board['id']}/cards", json={"title": "x", "column_id": int(HUGE)}
    )
    _shape(created, 422, "validation_error")
    moved = admin.post(
        f"/api/v1/cards/{card['id']}/move", json={"version": 1, "after_card_id": int(HUGE)}
    )
    _shape(moved, 422, "validation_error")
    # Free JSON holds no integer beyond 64 bits either (no store or signer could use it).
    rule = {
        "name": "r",
        "trigger": "card.created",
        "actions": [{"type": "web_request", "url": "http://x.example/", "body": {"n": 2**64}}],
    }
    body = _shape(admin.post("/api/v1/rules", json=rule), 422, "validation_error")
    assert "64 bits" in body["detail"]
    cursor = "WyJ0b2tlbiIsOTk5OTk5OTk5OTk5OTk5OTk5OTldfQ"  # ["token", 999...] by hand
    _shape(admin.get("/api/v1/tokens", params={"cursor": cursor}), 400, "invalid_cursor")
    cursor = "WyJ0b2tlbiIsMjE0NzQ4MzY0OF0"  # ["token", 2147483648]
    _shape(admin.get("/api/v1/tokens", params={"cursor": cursor}), 400, "invalid_cursor")
    # Every integer field of a body fits the store's integer columns.
    integration = {"name": "i", "kind": "generic", "board_id": board["id"], "max_body_bytes": 2**31}
    body = _shape(admin.post("/api/v1/integrations", json=integration), 422, "validation_error")
    assert "max_body_bytes" in body["detail"]


@pytest.mark.parametrize("field", ["priority", "kind", "title", "description", "labels"])
def test_null_for_a_field_that_cannot_be_empty_is_422(
    member: TestClient, card: dict[str, Any], field: str
) -> None:
    response = member.patch(f"/api/v1/cards/{card['id']}", json={field: None, "version": 1})
    body = _shape(response, 422, "validation_error")
    assert f"{field} cannot be null" in body["detail"]
    assert member.get(f"/api/v1/cards/{card['id']}").json()["version"] == 1


def test_null_clears_where_it_means_none(member: TestClient, card: dict[str, Any]) -> None:
    set_due = member.patch(
        f"/api/v1/cards/{card['id']}", json={"due_at": "2030-01-01T00:00:00Z", "version": 1}
    )
    assert set_due.status_code == 200, set_due.text
    cleared = member.patch(f"/api/v1/cards/{card['id']}", json={"due_at": None, "version": 2})
    assert cleared.status_code == 200 and cleared.json()["due_at"] is None


def test_every_patch_schema_says_where_null_is_accepted(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]
    card = schemas["CardUpdate"]["properties"]
    assert "anyOf" not in card["priority"] and "null" not in str(card["priority"])
    assert {"type": "null"} in card["due_at"]["anyOf"]
    for name, schema in schemas.items():
        if name.endswith("Update"):
            assert "anyOf" not in schema["properties"].get("name", {}), name


def test_json_nested_too_deep_is_400_before_any_work(
    member: TestClient, admin: TestClient, board: dict[str, Any]
) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    for client, url in (
        (member, f"/api/v1/boards/{board['id']}/cards"),
        (admin, "/api/v1/rules"),
        (member, "/api/v1/ingest/1"),
    ):
        response = client.post(url, content=deep, headers={"content-type": "application/json"})
        _shape(response, 400, "json_too_deep")
    # orjson writes at most 255 levels: a rule's body template deeper than the limit is
    # refused when saved, not when it runs.
    body: Any = "leaf"
    for _ in range(MAX_JSON_DEPTH):
        body = {"x": body}
    rule = {
        "name": "r",
        "trigger": "card.created",
        "actions": [{"type": "web_request", "url": "http://x.example/", "body": body}],
    }
    _shape(admin.post("/api/v1/rules", json=rule), 400, "json_too_deep")
    assert admin.get("/api/v1/rules").json()["items"] == []


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert not json_too_deep(b'{"a": "' + b"[" * 500 + b'"}')
    assert not json_too_deep(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert json_too_deep(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    escaped = b'["\\\\", ' + b"[" * 70 + b"]" * 70 + b"]"  # the string ends after \\
    assert json_too_deep(escaped)
    # Wide is not deep: a thousand alerts side by side are fine.
    assert not json_too_deep(b"[" + b",".join([b'{"labels": {}}'] * 1000) + b"]")


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"])
def test_unstorable_text_in_a_body_is_422_on_both_backends(
    member: TestClient, board: dict[str, Any], card: dict[str, Any], text: str
) -> None:
    created = _post(member, f"/api/v1/boards/{board['id']}/cards", {"title": text})
    body = _shape(created, 422, "validation_error")
    assert body["fields"][0]["msg"]
    comment = _post(member, f"/api/v1/cards/{card['id']}/comments", {"body": text})
    _shape(comment, 422, "validation_error")
    labels = _post(member, f"/api/v1/boards/{board['id']}/cards", {"title": "t", "labels": [text]})
    _shape(labels, 422)
    cards = member.get("/api/v1/cards", params={"board_id": board["id"]}).json()["items"]
    assert [c["title"] for c in cards] == ["a card"]


def test_nul_in_a_url_is_400(member: TestClient) -> None:
    _shape(member.get("/api/v1/cards", params={"q": "a\x00b"}), 400, "invalid_url")
    _shape(member.get("/api/v1/cards", params={"label": "\x00"}), 400, "invalid_url")
    _shape(member.get("/api/v1/boards/%00"), 400, "invalid_url")


def test_values_of_another_json_type_are_not_coerced(
    admin: TestClient, board: dict[str, Any]
) -> None:
    me = admin.get("/api/v1/auth/me").json()["user"]
    other = admin.post("/api/v1/users", json={"name": "other", "role": "viewer"}).json()
    for body in ({"is_active": 0}, {"is_active": "false"}):
        response = admin.patch(f"/api/v1/users/{other['id']}", json=body)
        _shape(response, 422, "validation_error")
    assert admin.get(f"/api/v1/users/{other['id']}").json()["is_active"] is True
    created = admin.post(
        f"/api/v1/boards/{board['id']}/cards", json={"title": "x", "time_spent_minutes": "5"}
    )
    _shape(created, 422, "validation_error")
    assert me["role"] == "admin"


def test_405_lists_every_method_of_the_path(member: TestClient, card: dict[str, Any]) -> None:
    response = member.put(f"/api/v1/cards/{card['id']}", json={})
    _shape(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, PATCH"
    listed = member.delete("/api/v1/boards")
    assert listed.status_code == 405 and listed.headers["allow"] == "GET, POST"


def test_every_operation_declares_the_error_shape_and_a_stable_id(app: FastAPI) -> None:
    spec = app.openapi()
    operations = [op for ops in spec["paths"].values() for op in ops.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids)) and "list_boards" in ids
    for op in operations:
        responses = op["responses"]
        for status in ("400", "401", "403", "404", "409", "413", "422", "429"):
            schema = responses[status]["content"]["application/json"]["schema"]
            expected = "InvalidBody" if status == "422" else "ErrorBody"
            assert schema["$ref"].endswith(f"/{expected}"), (op["operationId"], status)
    invalid = spec["components"]["schemas"]["InvalidBody"]
    assert set(invalid["required"]) == {"error", "detail", "fields"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
