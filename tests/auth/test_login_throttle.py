"""Failed logins are limited per name and per client address; a good login clears its name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.auth import service
from app.auth.models import Role
from app.auth.schemas import UserCreate
from app.core.config import Settings
from app.core.db import Database
from app.main import create_app

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def client(settings: Settings, db: Database) -> Iterator[TestClient]:
    limited = settings.model_copy(
        update={"login_attempts": 3, "login_attempts_per_address": 5, "login_window_minutes": 15}
    )
    with db.session() as session:
        for name in ("ana", "bob", "cy"):
            data = UserCreate(name=name, role=Role.member, password=f"{name}-long-password")
            service.create_user(session, data=data)
    with TestClient(create_app(limited, db=db, run_scheduler=False)) as made:
        yield made


def _login(client: TestClient, name: str, password: str) -> tuple[int, dict[str, str], Any]:
    response = client.post(LOGIN, json={"name": name, "password": password})
    return response.status_code, dict(response.headers), response.json()


def test_a_name_past_its_limit_is_refused_even_with_the_right_password(
    client: TestClient,
) -> None:
    for _ in range(3):
        assert _login(client, "ana", "wrong-password")[0] == 401
    status, headers, body = _login(client, "ana", "ana-long-password")
    assert status == 429
    assert body["error"] == "too_many_login_attempts" and body["detail"]
    assert 0 < int(headers["retry-after"]) <= 15 * 60
    # Another name from the same address still logs in.
    assert _login(client, "bob", "bob-long-password")[0] == 200


def test_a_good_login_clears_its_names_failures(client: TestClient) -> None:
    for _ in range(2):
        assert _login(client, "ana", "wrong-password")[0] == 401
    assert _login(client, "ana", "ana-long-password")[0] == 200
    for _ in range(2):
        assert _login(client, "ana", "wrong-password")[0] == 401
    assert _login(client, "ana", "ana-long-password")[0] == 200


def test_an_address_past_its_limit_is_refused_for_every_name(client: TestClient) -> None:
    # Five failures spread over names, none past its own limit of three.
    for name in ("ana", "ana", "bob", "bob", "nobody"):
        assert _login(client, name, "wrong-password")[0] == 401
    status, headers, body = _login(client, "cy", "cy-long-password")
    assert status == 429 and body["error"] == "too_many_login_attempts"
    assert int(headers["retry-after"]) > 0
