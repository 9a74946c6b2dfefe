from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from app.auth import service
from app.auth.models import Role
from app.auth.schemas import UserCreate
from app.core.config import Settings
from app.core.db import Database

FIRELANE = [sys.executable, "-m", "app.cli"]


def _cli(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        "FIRELANE_DATABASE_URL": settings.database_url,
        "FIRELANE_SECRET_KEY": settings.secret_key,
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [*FIRELANE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parents[2],
        check=False,
        timeout=60,
    )


def test_cli_user_and_token_work_as_bearer(
    settings: Settings, anon: TestClient, db: Database
) -> None:
    created = _cli(
        settings,
        "user",
        "create",
        "admin",
        "--role",
        "admin",
        "--password-stdin",
        stdin="correct-horse-battery\n",
    )
    assert created.returncode == 0, created.stderr
    issued = _cli(settings, "token", "create", "admin", "--label", "ci")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token.startswith("fl_") and "\n" not in token
    headers = {"Authorization": f"Bearer {token}"}
    me = anon.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200 and me.json()["user"]["role"] == "admin"
    assert anon.get("/api/v1/boards").status_code == 401
    board = anon.post("/api/v1/boards", headers=headers, json={"name": "Ops", "slug": "ops"})
    assert board.status_code == 201
    with db.session() as session:
        user = service.get_user_by_name(session, "admin")
        assert (
            user is not None and user.password_hash and user.password_hash.startswith("$argon2id$")
        )
    duplicate = _cli(settings, "user", "create", "admin", "--role", "viewer")
    assert duplicate.returncode != 0 and "exists" in duplicate.stderr
    bad_role = _cli(settings, "user", "create", "bob", "--role", "overlord")
    assert bad_role.returncode != 0
    unknown = _cli(settings, "token", "create", "ghost")
    assert unknown.returncode != 0 and unknown.stdout == ""


def test_wrong_and_revoked_tokens_are_401(admin: TestClient, anon: TestClient) -> None:
    for header in ("Bearer nope", "Bearer", "Basic Zm9vOmJhcg==", "Token abc"):
        response = anon.get("/api/v1/boards", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"
        assert response.headers["www-authenticate"] == "Bearer"
    created = admin.post("/api/v1/tokens", json={"label": "temp"})
    assert created.status_code == 201
    token = created.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert anon.get("/api/v1/boards", headers=headers).status_code == 200
    listed = admin.get("/api/v1/tokens").json()["items"]
    assert all("token" not in item for item in listed)
    assert any(item["last_used_at"] for item in listed if item["id"] == created.json()["id"])
    revoked = admin.delete(f"/api/v1/tokens/{created.json()['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert anon.get("/api/v1/boards", headers=headers).status_code == 401


def test_disabled_user_loses_access(admin: TestClient, client_for, anon: TestClient) -> None:  # type: ignore[no-untyped-def]
    worker = client_for(Role.member, "worker")
    assert worker.get("/api/v1/boards").status_code == 200
    users = admin.get("/api/v1/users").json()["items"]
    worker_id = next(u["id"] for u in users if u["name"] == "worker")
    assert admin.patch(f"/api/v1/users/{worker_id}", json={"is_active": False}).status_code == 200
    assert worker.get("/api/v1/boards").status_code == 401


def test_last_admin_cannot_be_demoted(admin: TestClient) -> None:
    me = admin.get("/api/v1/auth/me").json()["user"]
    response = admin.patch(f"/api/v1/users/{me['id']}", json={"role": "member"})
    assert response.status_code == 409 and response.json()["error"] == "last_admin"


def test_browser_login_cookie_and_csrf(anon: TestClient, db: Database) -> None:
    with db.session() as session:
        service.create_user(
            session, data=UserCreate(name="ana", role=Role.member, password="long-password-1")
        )
    bad = anon.post("/api/v1/auth/login", json={"name": "ana", "password": "wrong-password"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_credentials"
    nobody = anon.post("/api/v1/auth/login", json={"name": "nobody", "password": "whatever-1"})
    assert nobody.status_code == 401 and nobody.json()["error"] == "invalid_credentials"
    login = anon.post("/api/v1/auth/login", json={"name": "ana", "password": "long-password-1"})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"]
    assert "firelane_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    csrf = login.json()["csrf_token"]
    assert anon.get("/api/v1/auth/me").json()["user"]["name"] == "ana"
    assert anon.get("/api/v1/auth/me").json()["csrf_token"] == csrf
    refused = anon.post("/api/v1/tokens", json={"label": "x"})
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    forged = anon.post("/api/v1/tokens", json={"label": "x"}, headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    allowed = anon.post("/api/v1/tokens", json={"label": "x"}, headers={"X-CSRF-Token": csrf})
    assert allowed.status_code == 201
    out = anon.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert out.status_code == 204
    anon.cookies.clear()
    anon.cookies.set("firelane_session", cookie.split(";")[0].split("=", 1)[1])
    assert anon.get("/api/v1/auth/me").status_code == 401


def test_health_is_open_metrics_are_not(anon: TestClient, viewer: TestClient) -> None:
    assert anon.get("/healthz").json() == {"status": "ok"}
    assert anon.get("/readyz").json() == {"status": "ready"}
    assert anon.get("/metrics").status_code == 401
    viewer.get("/api/v1/boards")
    text = viewer.get("/metrics").text
    assert 'firelane_http_requests_total{method="GET",route="/api/v1/boards",status="200"}' in text
