"""/healthz, /readyz and /metrics as operators use them: readiness that means ready, gauges
read from the database, request ids, and /metrics opened only by the setting."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core import clock
from app.core.clock import ManualClock
from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.main import create_app
from tests.support import postgres_database, sample


def test_ready_when_the_database_is_at_head(anon: TestClient) -> None:
    assert anon.get("/healthz").json() == {"status": "ok"}
    assert anon.get("/readyz").json() == {"status": "ready"}


@pytest.fixture
def behind(database_url: str, tmp_path: Path) -> Iterator[Database]:
    """A database of the same backend left at the first migration."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'old.db'}"
        upgrade(url, "20261126_spine")
        yield Database.from_url(url)
        return
    with postgres_database(database_url, "firelane_behind") as url:
        upgrade(url, "20261126_spine")
        old = Database.from_url(url)
        yield old
        old.dispose()


def test_not_ready_while_the_schema_is_behind(settings: Settings, behind: Database) -> None:
    with TestClient(create_app(settings, db=behind, run_scheduler=False)) as client:
        answer = client.get("/readyz")
        assert client.get("/healthz").status_code == 200  # alive all the same
    assert answer.status_code == 503
    body = answer.json()
    assert body["error"] == "not_ready"
    assert "20261126_spine" in body["detail"] and "firelane db upgrade" in body["detail"]
    assert len(body["reasons"]) == 1


def test_not_ready_when_a_loop_stops_going_round(app: object, anon: TestClient) -> None:
    ticks = anon.app.state.ticks  # type: ignore[attr-defined]
    manual = ManualClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    with clock.use(manual):
        ticks.expect("delivery")
        manual.advance(timedelta(seconds=119))
        assert anon.get("/readyz").status_code == 200
        manual.advance(timedelta(seconds=2))
        stale = anon.get("/readyz")
        assert stale.status_code == 503
        assert stale.json()["reasons"] == ["the delivery loop has not gone round for 121 s"]
        ticks.beat("delivery")
        assert anon.get("/readyz").status_code == 200
        ticks.forget("delivery")  # stopped on purpose: not a reason
        manual.advance(timedelta(hours=1))
        assert anon.get("/readyz").status_code == 200


def test_a_served_app_with_its_scheduler_is_ready_and_says_when_its_loops_ticked(
    settings: Settings, db: Database, admin: TestClient
) -> None:
    app = create_app(settings, db=db, run_scheduler=True)
    with TestClient(app, headers=admin.headers) as client:
        assert client.get("/readyz").status_code == 200
        text = client.get("/metrics").text
    for loop in ("scheduler", "delivery"):
        ticked = sample(text, "firelane_loop_last_tick_timestamp_seconds", loop=loop)
        assert ticked is not None and ticked > 0
    assert app.state.ticks.stale(0) == {}  # both forgot on stopping


def test_metrics_read_the_database(admin: TestClient, viewer: TestClient) -> None:
    board = admin.post("/api/v1/boards", json={"name": "Ops", "slug": "ops"}).json()
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["card.created"]}
    assert admin.post("/api/v1/webhooks", json=hook).status_code == 201
    for title in ("Disk full", "Cert expires"):
        made = admin.post(f"/api/v1/boards/{board['id']}/cards", json={"title": title})
        assert made.status_code == 201
    text = viewer.get("/metrics").text
    column = admin.get(f"/api/v1/boards/{board['id']}/columns").json()["items"][0]["name"]
    assert sample(text, "firelane_cards_open", board="ops", column=column, kind="project") == 2
    # Each transaction's events wait for the fan-out, which makes the deliveries.
    assert sample(text, "firelane_hook_batches_waiting") == 2
    assert sample(text, "firelane_hook_queue_depth") == 0
    assert sample(text, "firelane_schedules_overdue_seconds") == 0
    assert sample(text, "firelane_ready") == 1
    # Request latency by route template, never by raw path.
    admin.get(f"/api/v1/boards/{board['id']}")
    text = viewer.get("/metrics").text
    assert 'firelane_http_request_seconds_count{route="/api/v1/boards/{board_id}"}' in text
    assert f"/api/v1/boards/{board['id']}" not in text


def test_metrics_need_a_token_unless_public(settings: Settings, db: Database) -> None:
    with TestClient(create_app(settings, db=db, run_scheduler=False)) as closed:
        assert closed.get("/metrics").status_code == 401
    public = settings.model_copy(update={"metrics_public": True})
    with TestClient(create_app(public, db=db, run_scheduler=False)) as opened:
        answer = opened.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert "firelane_ready 1.0" in answer.text


def test_every_answer_carries_a_request_id(anon: TestClient) -> None:
    given = anon.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = anon.get("/api/v1/boards").headers["x-request-id"]  # a 401 too
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    refused = anon.get("/healthz", headers={"X-Request-ID": 'x" injected=1'})
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["x-request-id"])
