"""Test fixtures: a real database per backend (migrated), cleaned after every test.

Every test that uses ``db`` runs twice: on SQLite and on PostgreSQL
(``FIRELANE_TEST_DATABASE_URL``, a server where the test user may create databases).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.auth import service as auth_service
from app.auth.models import Role
from app.auth.schemas import UserCreate
from app.core.config import Settings
from app.core.db import Database, metadata
from app.core.migrate import upgrade
from app.main import create_app
from tests.support import STRICT, need, postgres_database

TEST_SECRET = "test-secret-key-0123456789abcdef"
# The tests' webhook receivers listen on 127.0.0.1 (tests/hooks/test_targets.py turns it off).
os.environ.setdefault("FIRELANE_HOOKS_ALLOW_PRIVATE", "true")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if STRICT and report.skipped and call.when in ("setup", "call"):
        report.outcome = "failed"
        report.longrepr = (
            f"skipped in strict mode (CI), which counts as a failure: {report.longrepr}"
        )


def _postgres_url() -> str | None:
    return os.environ.get("FIRELANE_TEST_DATABASE_URL") or None


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database of each backend, for the whole test session."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "firelane-test.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield url
        return
    base = _postgres_url()
    need(base is not None, "PostgreSQL (FIRELANE_TEST_DATABASE_URL)")
    assert base is not None
    with ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_database(base, "firelane_test"))
        except sa.exc.OperationalError as exc:
            need(
                False,
                f"PostgreSQL at {make_url(base).render_as_string(hide_password=True)} ({exc.orig})",
            )
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def _database(database_url: str) -> Iterator[Database]:
    database = Database.from_url(database_url)
    yield database
    database.dispose()


def _wipe(database: Database) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with database.engine.begin() as conn:
        if database.dialect == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            conn.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(sa.text(f'DELETE FROM "{name}"'))


@pytest.fixture
def db(_database: Database) -> Iterator[Database]:
    """The session's database, emptied after each test."""
    yield _database
    _wipe(_database)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        secret_key=TEST_SECRET,
        scheduler=False,
    )


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, db=db, run_scheduler=False)


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    """A client with no credentials."""
    with TestClient(app) as client:
        yield client


MakeClient = Callable[..., TestClient]


@pytest.fixture
def client_for(app: FastAPI, db: Database) -> MakeClient:
    """Build a client authenticated as a new user of the given role."""
    made = 0

    def make(role: Role | str = Role.member, name: str | None = None) -> TestClient:
        nonlocal made
        made += 1
        user_name = name or f"{Role(role).value}-{made}"
        with db.session() as session:
            user = auth_service.create_user(
                session, data=UserCreate(name=user_name, role=Role(role))
            )
            _, token = auth_service.create_token(session, user=user, label="tests")
        return TestClient(app, headers={"Authorization": f"Bearer {token}"})

    return make


@pytest.fixture
def admin(client_for: MakeClient) -> TestClient:
    return client_for(Role.admin, "root")


@pytest.fixture
def member(client_for: MakeClient) -> TestClient:
    return client_for(Role.member, "mia")


@pytest.fixture
def viewer(client_for: MakeClient) -> TestClient:
    return client_for(Role.viewer, "vic")
