"""Every API route: who may call it. A new route fails this test until it is listed here."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.conftest import MakeClient

OPEN = "open"
ANY = "viewer"  # any authenticated user
MEMBER = "member"
ADMIN = "admin"

# (method, path) -> the least role that may call it.
MATRIX: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/auth/login"): OPEN,
    ("POST", "/api/v1/auth/logout"): ANY,
    ("GET", "/api/v1/auth/me"): ANY,
    ("GET", "/api/v1/users"): ANY,
    ("POST", "/api/v1/users"): ADMIN,
    ("GET", "/api/v1/users/{user_id}"): ADMIN,
    ("PATCH", "/api/v1/users/{user_id}"): ADMIN,
    ("GET", "/api/v1/tokens"): ANY,
    ("POST", "/api/v1/tokens"): ANY,
    ("DELETE", "/api/v1/tokens/{token_id}"): ANY,
    ("GET", "/api/v1/boards"): ANY,
    ("POST", "/api/v1/boards"): ADMIN,
    ("GET", "/api/v1/boards/{board_id}"): ANY,
    ("PATCH", "/api/v1/boards/{board_id}"): ADMIN,
    ("DELETE", "/api/v1/boards/{board_id}"): ADMIN,
    ("GET", "/api/v1/boards/{board_id}/columns"): ANY,
    ("POST", "/api/v1/boards/{board_id}/columns"): ADMIN,
    ("PATCH", "/api/v1/boards/{board_id}/columns/{column_id}"): ADMIN,
    ("DELETE", "/api/v1/boards/{board_id}/columns/{column_id}"): ADMIN,
    ("GET", "/api/v1/boards/{board_id}/cards"): ANY,
    ("POST", "/api/v1/boards/{board_id}/cards"): MEMBER,
    ("GET", "/api/v1/cards"): ANY,
    ("GET", "/api/v1/cards/{card_id}"): ANY,
    ("PATCH", "/api/v1/cards/{card_id}"): MEMBER,
    ("POST", "/api/v1/cards/{card_id}/move"): MEMBER,
    ("GET", "/api/v1/cards/{card_id}/events"): ANY,
    ("GET", "/api/v1/cards/{card_id}/comments"): ANY,
    ("POST", "/api/v1/cards/{card_id}/comments"): MEMBER,
    ("POST", "/api/v1/cards/{card_id}/checklist"): MEMBER,
    ("PATCH", "/api/v1/cards/{card_id}/checklist/{item_id}"): MEMBER,
    ("DELETE", "/api/v1/cards/{card_id}/checklist/{item_id}"): MEMBER,
    ("GET", "/healthz"): OPEN,
    ("GET", "/readyz"): OPEN,
    ("GET", "/metrics"): ANY,
}

LEVEL = {ANY: 0, MEMBER: 1, ADMIN: 2}


def _api_routes(app: FastAPI) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                if route.include_in_schema:
                    found.extend((m, prefix + route.path) for m in sorted(route.methods))
            elif hasattr(route, "routes"):
                walk(route.routes, prefix + getattr(route, "path", ""))

    walk(app.routes, "")
    return [r for r in found if r[1] not in ("/openapi.json",)]


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    missing = sorted(set(_api_routes(app)) - set(MATRIX))
    assert missing == [], f"routes without an entry in the role matrix: {missing}"


@pytest.fixture
def ids(admin: TestClient) -> dict[str, int]:
    board = admin.post("/api/v1/boards", json={"name": "M", "slug": "m"}).json()
    column = admin.get(f"/api/v1/boards/{board['id']}/columns").json()["items"][0]
    card = admin.post(
        f"/api/v1/boards/{board['id']}/cards", json={"title": "c", "checklist": ["x"]}
    ).json()
    token = admin.post("/api/v1/tokens", json={"label": "m"}).json()
    me = admin.get("/api/v1/auth/me").json()["user"]
    return {
        "board_id": board["id"],
        "column_id": column["id"],
        "card_id": card["id"],
        "item_id": card["checklist"][0]["id"],
        "token_id": token["id"],
        "user_id": me["id"],
    }


def _fill(path: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)


def _call(client: TestClient, method: str, path: str) -> int:
    kwargs: dict[str, Any] = {}
    if method in ("POST", "PATCH", "PUT"):
        kwargs["json"] = {}
    return client.request(method, path, **kwargs).status_code


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_role_matrix(
    method: str,
    path: str,
    ids: dict[str, int],
    anon: TestClient,
    client_for: MakeClient,
) -> None:
    needed = MATRIX[(method, path)]
    url = _fill(path, ids)
    if needed == OPEN:
        assert _call(anon, method, url) not in (401, 403)
        return
    anon.cookies.clear()
    assert _call(anon, method, url) == 401
    for role in (ANY, MEMBER, ADMIN):
        client = client_for(role)
        status = _call(client, method, url)
        if LEVEL[role] < LEVEL[needed]:
            assert status == 403, (role, status)
        else:
            assert status not in (401, 403), (role, status)
