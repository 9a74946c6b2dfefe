"""Firelane always keeps an active admin, even when two admins demote each other at once."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.auth import service
from app.auth.exceptions import LastAdmin
from app.auth.models import Role, User
from app.auth.schemas import UserCreate, UserUpdate
from app.core.db import Database


def test_the_last_active_admin_is_kept(admin: TestClient) -> None:
    me = admin.get("/api/v1/auth/me").json()["user"]
    other = admin.post("/api/v1/users", json={"name": "ada", "role": "admin"}).json()
    assert admin.patch(f"/api/v1/users/{other['id']}", json={"is_active": False}).status_code == 200
    for change in ({"role": "member"}, {"is_active": False}, {"role": "viewer", "is_active": True}):
        response = admin.patch(f"/api/v1/users/{me['id']}", json=change)
        assert response.status_code == 409 and response.json()["error"] == "last_admin", change


def _waiting_on_a_lock(db: Database) -> bool:
    if db.dialect != "postgresql":
        return True  # SQLite: the open write transaction holds every other writer back
    with db.engine.connect() as conn:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        return bool(conn.execute(sa.text(query)).scalar_one())


def test_two_admins_demoting_each_other_at_once_leave_one(db: Database) -> None:
    with db.session() as session:
        first = service.create_user(session, data=UserCreate(name="a1", role=Role.admin))
        second = service.create_user(session, data=UserCreate(name="a2", role=Role.admin))
        first_id, second_id = first.id, second.id
    outcome: list[BaseException | None] = []

    def demote_second() -> None:
        with db.session() as session:
            user = session.get(User, second_id)
            assert user is not None
            try:
                service.update_user(session, user=user, data=UserUpdate(role=Role.member))
                outcome.append(None)
            except LastAdmin as exc:
                outcome.append(exc)

    with db.session() as session:
        user = session.get(User, first_id)
        assert user is not None
        # The first demotion has counted the admins (two) and not committed yet ...
        assert service._active_admins(session) == 2
        racing = threading.Thread(target=demote_second)
        racing.start()
        # ... when the second one counts: it must wait for the first one's commit.
        deadline = time.monotonic() + 30
        while racing.is_alive() and not _waiting_on_a_lock(db):
            assert time.monotonic() < deadline, "the second demotion neither waited nor ended"
            racing.join(0.01)
        user.role = Role.member
        session.add(user)
        session.commit()
    racing.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], LastAdmin)
    with db.session() as session:
        assert service._active_admins(session) == 1


@pytest.mark.parametrize("path", ["/api/v1/users", "/api/v1/users/{id}"])
def test_every_role_reads_users_alike(viewer: TestClient, admin: TestClient, path: str) -> None:
    me = admin.get("/api/v1/auth/me").json()["user"]
    response = viewer.get(path.format(id=me["id"]))
    assert response.status_code == 200, response.text
    assert viewer.patch(f"/api/v1/users/{me['id']}", json={"role": "viewer"}).status_code == 403
