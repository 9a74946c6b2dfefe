"""Every API route and page: who may call it. A new route fails this test until it is listed."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.auth import credentials
from app.auth import service as auth_service
from app.auth.dependencies import CSRF_HEADER, SESSION_COOKIE
from app.auth.models import Role, UserSession
from app.auth.schemas import UserCreate
from app.core.clock import now
from app.core.db import Database
from tests.conftest import TEST_SECRET, MakeClient

OPEN = "open"
# Ingestion authenticates with the integration's own token: user tokens get 401 there.
INGEST = "ingest"
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
    ("GET", "/api/v1/users/{user_id}"): ANY,
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
    ("GET", "/api/v1/boards/{board_id}/stream"): ANY,
    ("POST", "/api/v1/boards/{board_id}/cards"): MEMBER,
    ("GET", "/api/v1/cards"): ANY,
    ("GET", "/api/v1/cards/{card_id}"): ANY,
    ("PATCH", "/api/v1/cards/{card_id}"): MEMBER,
    ("POST", "/api/v1/cards/{card_id}/move"): MEMBER,
    ("GET", "/api/v1/cards/{card_id}/events"): ANY,
    ("GET", "/api/v1/cards/{card_id}/comments"): ANY,
    ("POST", "/api/v1/cards/{card_id}/comments"): MEMBER,
    ("GET", "/api/v1/cards/{card_id}/links"): ANY,
    ("POST", "/api/v1/cards/{card_id}/checklist"): MEMBER,
    ("PATCH", "/api/v1/cards/{card_id}/checklist/{item_id}"): MEMBER,
    ("DELETE", "/api/v1/cards/{card_id}/checklist/{item_id}"): MEMBER,
    # alerts
    ("GET", "/api/v1/integrations"): ADMIN,
    ("POST", "/api/v1/integrations"): ADMIN,
    ("GET", "/api/v1/integrations/{integration_id}"): ADMIN,
    ("PATCH", "/api/v1/integrations/{integration_id}"): ADMIN,
    ("DELETE", "/api/v1/integrations/{integration_id}"): ADMIN,
    ("POST", "/api/v1/integrations/{integration_id}/rotate-token"): ADMIN,
    ("POST", "/api/v1/ingest/{integration_id}"): INGEST,
    ("GET", "/api/v1/ingest/{integration_id}/heartbeat"): INGEST,
    ("POST", "/api/v1/ingest/{integration_id}/heartbeat"): INGEST,
    ("POST", "/api/v1/ingest/pagerduty/v2/enqueue"): INGEST,
    ("GET", "/api/v1/maintenance-windows"): ANY,
    ("POST", "/api/v1/maintenance-windows"): MEMBER,
    ("GET", "/api/v1/maintenance-windows/{window_id}"): ANY,
    ("PATCH", "/api/v1/maintenance-windows/{window_id}"): MEMBER,
    ("DELETE", "/api/v1/maintenance-windows/{window_id}"): MEMBER,
    ("GET", "/api/v1/cards/{card_id}/alerts"): ANY,
    # schedules
    ("GET", "/api/v1/schedules"): ANY,
    ("POST", "/api/v1/schedules"): ADMIN,
    ("POST", "/api/v1/schedules/preview"): ANY,
    ("GET", "/api/v1/schedules/{schedule_id}"): ANY,
    ("PATCH", "/api/v1/schedules/{schedule_id}"): ADMIN,
    ("DELETE", "/api/v1/schedules/{schedule_id}"): ADMIN,
    ("GET", "/api/v1/schedules/{schedule_id}/preview"): ANY,
    ("POST", "/api/v1/schedules/{schedule_id}/run"): MEMBER,
    ("POST", "/api/v1/schedules/{schedule_id}/pause"): MEMBER,
    ("POST", "/api/v1/schedules/{schedule_id}/resume"): MEMBER,
    ("GET", "/api/v1/schedules/{schedule_id}/occurrences"): ANY,
    # hooks
    ("GET", "/api/v1/event-types"): ANY,
    ("GET", "/api/v1/webhooks"): ADMIN,
    ("POST", "/api/v1/webhooks"): ADMIN,
    ("GET", "/api/v1/webhooks/{webhook_id}"): ADMIN,
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): ADMIN,
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): ADMIN,
    ("POST", "/api/v1/webhooks/{webhook_id}/secret"): ADMIN,
    ("GET", "/api/v1/deliveries"): ADMIN,
    ("GET", "/api/v1/deliveries/{delivery_id}"): ADMIN,
    ("GET", "/api/v1/deliveries/{delivery_id}/attempts"): ADMIN,
    ("POST", "/api/v1/deliveries/{delivery_id}/redeliver"): ADMIN,
    ("GET", "/api/v1/rules"): ADMIN,
    ("POST", "/api/v1/rules"): ADMIN,
    ("GET", "/api/v1/rules/{rule_id}"): ADMIN,
    ("PATCH", "/api/v1/rules/{rule_id}"): ADMIN,
    ("DELETE", "/api/v1/rules/{rule_id}"): ADMIN,
    ("GET", "/api/v1/rules/{rule_id}/runs"): ADMIN,
    # reports
    ("GET", "/api/v1/reports/weekly"): ANY,
    ("POST", "/api/v1/reports/weekly"): ADMIN,
    ("GET", "/api/v1/reports"): ANY,
    ("GET", "/api/v1/reports/{report_id}"): ANY,
    # ops
    ("GET", "/healthz"): OPEN,
    ("GET", "/readyz"): OPEN,
    ("GET", "/metrics"): ANY,
}

LEVEL = {ANY: 0, MEMBER: 1, ADMIN: 2}


def _api_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the OpenAPI schema publishes."""
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    routes = set(_api_routes(app))
    assert ("POST", "/api/v1/cards/{card_id}/move") in routes  # the walk finds routes at all
    missing = sorted(routes - set(MATRIX))
    assert missing == [], f"routes without an entry in the role matrix: {missing}"
    stale = sorted(set(MATRIX) - routes)
    assert stale == [], f"matrix entries for routes that do not exist: {stale}"


@pytest.fixture
def ids(admin: TestClient) -> dict[str, Any]:
    board = admin.post("/api/v1/boards", json={"name": "M", "slug": "m"}).json()
    column = admin.get(f"/api/v1/boards/{board['id']}/columns").json()["items"][0]
    card = admin.post(
        f"/api/v1/boards/{board['id']}/cards", json={"title": "c", "checklist": ["x"]}
    ).json()
    token = admin.post("/api/v1/tokens", json={"label": "m"}).json()
    me = admin.get("/api/v1/auth/me").json()["user"]
    integration = admin.post(
        "/api/v1/integrations",
        json={"name": "am", "kind": "alertmanager", "board_id": board["id"]},
    ).json()
    window = admin.post(
        "/api/v1/maintenance-windows",
        json={"name": "w", "board_id": board["id"], "ends_at": "2099-01-01T00:00:00Z"},
    ).json()
    schedule = admin.post(
        "/api/v1/schedules",
        json={"name": "s", "board_id": board["id"], "cron": "0 9 * * 1", "title": "chore"},
    ).json()
    webhook = admin.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]}
    ).json()
    rule = admin.post(
        "/api/v1/rules",
        json={
            "name": "r",
            "trigger": "card.commented",
            "actions": [{"type": "set_priority", "priority": "high"}],
        },
    ).json()
    admin.post(f"/api/v1/cards/{card['id']}/comments", json={"body": "queues a delivery"})
    delivery = admin.get("/api/v1/deliveries", params={"webhook_id": webhook["id"]}).json()
    return {
        "board_id": board["id"],
        "column_id": column["id"],
        "card_id": card["id"],
        "item_id": card["checklist"][0]["id"],
        "token_id": token["id"],
        "user_id": me["id"],
        "integration_id": integration["id"],
        "integration_token": integration["token"],
        "window_id": window["id"],
        "schedule_id": schedule["id"],
        "webhook_id": webhook["id"],
        "rule_id": rule["id"],
        "delivery_id": delivery["items"][0]["id"],
    }


def _fill(path: str, ids: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)


def _call(client: TestClient, method: str, path: str) -> int:
    if path.endswith("/stream"):  # never ends by itself: read the status, then leave
        with client.stream(method, path) as response:
            return response.status_code
    kwargs: dict[str, Any] = {}
    if method in ("POST", "PATCH", "PUT"):
        kwargs["json"] = {}
    return client.request(method, path, **kwargs).status_code


def _expired_session(app: FastAPI, db: Database) -> TestClient:
    """A client with the cookie (and CSRF token) of an admin's session that has expired."""
    with db.session() as session:
        user = auth_service.get_user_by_name(session, "root")
        assert user is not None
        secret = auth_service.start_session(session, user=user, days=1)
        session.execute(sa.update(UserSession).values(expires_at=now() - timedelta(seconds=1)))
        session.commit()
    csrf = credentials.csrf_token(TEST_SECRET, secret)
    client = TestClient(app, headers={CSRF_HEADER: csrf})
    client.cookies.set(SESSION_COOKIE, secret)
    return client


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_role_matrix(
    method: str,
    path: str,
    ids: dict[str, Any],
    anon: TestClient,
    client_for: MakeClient,
    app: FastAPI,
    db: Database,
) -> None:
    needed = MATRIX[(method, path)]
    url = _fill(path, ids)
    if needed == OPEN:
        assert _call(anon, method, url) not in (401, 403)
        return
    if needed == INGEST:
        assert _call(anon, method, url) == 401
        for role in (ANY, ADMIN):
            assert _call(client_for(role), method, url) == 401, role
        return
    anon.cookies.clear()
    assert _call(anon, method, url) == 401
    # An integration's ingest token is no user's token.
    integration = TestClient(app, headers={"Authorization": f"Bearer {ids['integration_token']}"})
    assert _call(integration, method, url) == 401
    # A browser session past its end (not logged out) is no session, for any role.
    assert _call(_expired_session(app, db), method, url) == 401
    for role in (ANY, MEMBER, ADMIN):
        client = client_for(role)
        status = _call(client, method, url)
        if LEVEL[role] < LEVEL[needed]:
            assert status == 403, (role, status)
        else:
            assert status not in (401, 403), (role, status)


# The browser's pages: without a session they send the browser to /login; with one, any
# role gets the page shell (what a role may do there is the API's to refuse).
PAGES = [
    "/",
    "/boards/m",
    "/cards/1",
    "/integrations",
    "/schedules",
    "/automation",
    "/reports",
]
STATIC = ["/static/app/main.js", "/static/styles/app.css", "/static/vendor/preact/preact.module.js"]


def test_every_page_route_is_listed(app: FastAPI) -> None:
    paths = {getattr(route, "path", "") for route in app.routes}
    pages = {p for p in paths if p and not p.startswith(("/api/", "/docs", "/redoc", "/openapi"))}
    listed = {"/login", "/static", "/healthz", "/readyz", "/metrics", "/boards/{slug}"}
    listed |= {"/cards/{card_id}", *PAGES}
    assert pages - listed == set(), "a page route is missing from PAGES"


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_a_session(path: str, anon: TestClient, ids: dict[str, int]) -> None:
    anon.cookies.clear()
    answer = anon.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("role", [ANY, MEMBER, ADMIN])
def test_pages_answer_every_role_with_a_session(
    role: str, anon: TestClient, db: Database, ids: dict[str, int]
) -> None:
    with db.session() as session:
        data = UserCreate(name=f"page-{role}", role=Role(role), password="a-long-password")
        auth_service.create_user(session, data=data)
    anon.cookies.clear()
    login = {"name": f"page-{role}", "password": "a-long-password"}
    assert anon.post("/api/v1/auth/login", json=login).status_code == 200
    for path in PAGES:
        answer = anon.get(path, follow_redirects=False)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith("text/html")
    assert anon.get("/boards/no-such-board").status_code == 404


@pytest.mark.parametrize("path", ["/login", *STATIC])
def test_login_page_and_static_files_are_open(path: str, anon: TestClient) -> None:
    anon.cookies.clear()
    assert anon.get(path, follow_redirects=False).status_code == 200
