"""Stored reports through the API: made (and made again) by an admin, answered by
GET /reports/weekly once stored, listed newest first, read in three renderings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.auth.models import Role
from app.core.clock import ManualClock
from app.reports.render.html import POLICY
from tests.conftest import MakeClient
from tests.reports.conftest import History


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def history(client_for: MakeClient, manual_clock: ManualClock) -> History:
    admin = client_for(Role.admin, "root")
    people = {"ann": client_for(Role.member, "ann")}
    return History(admin, people, manual_clock)


@pytest.fixture
def fires(history: History) -> History:
    """One fire on board ops in week 2026-W13 (Mon 23 Mar, Europe/Berlin), one in W12."""
    h = history
    ops = h.board("ops")
    h.board("dev")
    h.integration("prom", ops)
    h.at(utc("2026-03-17T08:00")).signal("prom", "DiskFull", instance="web-0")
    card = h.at(utc("2026-03-24T08:00")).signal("prom", "DiskFull", instance="web-1")
    assert card is not None
    h.at(utc("2026-03-24T08:05")).comment("ann", card)
    h.at(utc("2026-04-01T12:00"))  # W13 is the last complete week
    return h


def _make(client: TestClient, **body: Any) -> Any:
    return client.post("/api/v1/reports/weekly", json=body)


def test_made_stored_answered_and_made_again(fires: History, member: TestClient) -> None:
    admin = fires.admin
    computed = admin.get("/api/v1/reports/weekly")
    assert computed.status_code == 200 and "x-firelane-report-id" not in computed.headers
    assert computed.json()["fires"]["interruptions"] == 1

    made = _make(admin, week="2026-W13")
    assert made.status_code == 201, made.text
    snapshot = made.json()
    assert snapshot["week"] == "2026-W13" and snapshot["board"] is None
    assert snapshot["made_by"] == "user:root" and snapshot["definition_version"] == 1
    assert snapshot["made_at"] == "2026-04-01T12:00:00Z" and snapshot["published_at"] is None
    assert snapshot["report"] == computed.json()
    assert snapshot["headline"]["interruptions"] == 1

    stored = admin.get("/api/v1/reports/weekly", params={"week": "2026-W13"})
    assert stored.headers["x-firelane-report-id"] == str(snapshot["id"])
    assert stored.json() == computed.json()

    # A late-arriving fire of that week: the stored report stays as it was made ...
    fires.at(utc("2026-03-25T09:00")).signal("prom", "HighCPU", instance="db-1")
    fires.at(utc("2026-04-02T12:00"))
    assert admin.get("/api/v1/reports/weekly").json()["fires"]["interruptions"] == 1
    # ... until an admin makes it again: same snapshot, new figures.
    assert _make(member, week="2026-W13").status_code == 403
    again = _make(admin, week="2026-W13")
    assert again.status_code == 200, again.text
    assert again.json()["id"] == snapshot["id"]
    assert again.json()["report"]["fires"]["interruptions"] == 2
    assert again.json()["made_at"] == "2026-04-02T12:00:00Z"
    assert admin.get("/api/v1/reports/weekly").json()["fires"]["interruptions"] == 2


def test_board_scope_and_refusals(fires: History) -> None:
    admin = fires.admin
    ops = _make(admin, board="ops")  # the default week: the last complete one
    assert ops.status_code == 201, ops.text
    assert ops.json()["week"] == "2026-W13" and ops.json()["board"] == "ops"
    dev = _make(admin, board="dev").json()
    assert dev["report"]["fires"]["interruptions"] == 0
    assert _make(admin).json()["id"] not in (ops.json()["id"], dev["id"])
    unknown = _make(admin, board="nope")
    assert unknown.status_code == 404 and unknown.json()["error"] == "board_not_found"
    bad = _make(admin, week="2026-W54")
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_week"


def test_listed_newest_first_and_read_in_three_renderings(
    fires: History, viewer: TestClient
) -> None:
    admin = fires.admin
    ids = {}
    for week, board in (("2026-W11", None), ("2026-W13", None), ("2026-W12", None)):
        ids[week] = _make(admin, week=week, board=board).json()["id"]
    ids["ops"] = _make(admin, week="2026-W13", board="ops").json()["id"]

    first = viewer.get("/api/v1/reports", params={"limit": 2})
    assert first.status_code == 200
    page = first.json()
    assert [item["id"] for item in page["items"]] == [ids["ops"], ids["2026-W13"]]
    second = viewer.get("/api/v1/reports", params={"limit": 2, "cursor": page["next_cursor"]})
    assert [item["week"] for item in second.json()["items"]] == ["2026-W12", "2026-W11"]
    assert second.json()["next_cursor"] is None
    only = viewer.get("/api/v1/reports", params={"board": "ops"}).json()["items"]
    assert [(item["id"], item["board"]) for item in only] == [(ids["ops"], "ops")]
    assert viewer.get("/api/v1/reports", params={"board": "nope"}).status_code == 404
    assert viewer.get("/api/v1/reports", params={"cursor": "x"}).status_code == 400

    read = viewer.get(f"/api/v1/reports/{ids['2026-W13']}")
    assert read.status_code == 200
    assert read.json()["report"]["week"] == "2026-W13"
    assert (
        read.json()["report"]
        == viewer.get("/api/v1/reports/weekly", params={"week": "2026-W13"}).json()
    )

    md = viewer.get(f"/api/v1/reports/{ids['2026-W13']}", params={"format": "markdown"})
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert md.text.startswith("# Weekly automation-debt report 2026-W13, all boards\n")
    assert f"/api/v1/reports/{ids['2026-W13']}?format=html" in md.text

    page_html = viewer.get("/api/v1/reports/weekly", params={"week": "2026-W13", "format": "html"})
    assert page_html.headers["content-type"] == "text/html; charset=utf-8"
    assert page_html.headers["content-security-policy"] == POLICY
    assert "script-src" not in POLICY and "default-src 'none'" in POLICY
    assert page_html.headers["x-firelane-report-id"] == str(ids["2026-W13"])
    assert page_html.text.startswith("<!DOCTYPE html>") and "<svg" in page_html.text

    computed_md = viewer.get(
        "/api/v1/reports/weekly", params={"week": "2026-W10", "format": "markdown"}
    )
    assert "Computed on request" in computed_md.text

    missing = viewer.get("/api/v1/reports/999999")
    assert missing.status_code == 404 and missing.json()["error"] == "report_not_found"
    assert viewer.get(f"/api/v1/reports/{ids['ops']}", params={"format": "xml"}).status_code == 422


def test_deleting_a_board_deletes_its_reports(fires: History) -> None:
    admin = fires.admin
    ops = _make(admin, board="ops").json()
    everything = _make(admin).json()
    assert admin.delete(f"/api/v1/boards/{ops['board_id']}").status_code == 204
    assert admin.get(f"/api/v1/reports/{ops['id']}").status_code == 404
    assert admin.get(f"/api/v1/reports/{everything['id']}").status_code == 200
