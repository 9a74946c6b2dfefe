"""The Reports page in real Chromium, on the real GET /api/v1/reports/weekly: a week of
fires, chores and automation made through the API (this week, so that its report has them),
shown as the headline figures, hours by kind, the candidates and the ledger, with the alert
names that come from outside shown as text."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.processes import Firelane


@pytest.fixture(scope="module")
def firelane(served_board: Firelane) -> Firelane:
    """This module's tests share one served Firelane (see tests/e2e/conftest.py)."""
    return served_board


pytestmark = pytest.mark.e2e

HOSTILE = "<img src=x onerror=alert(1)>Disk"


def _ingest(firelane: Firelane, integration: dict[str, Any], **alert: Any) -> list[int]:
    url = integration["ingest_url"].replace("http://127.0.0.1:8000", firelane.url)
    sent = httpx.post(url, headers={"Authorization": f"Bearer {integration['token']}"}, json=alert)
    assert sent.status_code == 202, sent.text
    cards: list[int] = sent.json()["cards"]
    return cards


def _week_of_data(api: httpx.Client, firelane: Firelane) -> dict[str, Any]:
    """A board with three episodes of one alert, time logged on work of three kinds, and an
    automation card (done, with an estimate) that automates the alert."""
    slug = f"r-{uuid.uuid4().hex[:8]}"
    board = api.post("/api/v1/boards", json={"name": f"Reports {slug}", "slug": slug}).json()
    hook = {"name": f"gen-{slug}", "kind": "generic", "board_id": board["id"]}
    integration = api.post("/api/v1/integrations", json=hook).json()
    alert = {"title": "Disk full on db-1", "key": "disk", "labels": {"alertname": HOSTILE}}
    for _ in range(3):  # fired, resolved, fired again (a reopen is a new episode), ...
        [card_id] = _ingest(firelane, integration, **alert)
        _ingest(firelane, integration, **alert, status="resolved")
    fire = api.get(f"/api/v1/cards/{card_id}").json()
    logged = api.patch(
        f"/api/v1/cards/{card_id}", json={"version": fire["version"], "time_spent_minutes": 90}
    )
    assert logged.status_code == 200, logged.text
    for kind, minutes in (("maintenance", 60), ("project", 120)):
        made = api.post(
            f"/api/v1/boards/{board['id']}/cards",
            json={"title": f"{kind} work", "kind": kind, "time_spent_minutes": minutes},
        )
        assert made.status_code == 201, made.text
    key = f"alert:{integration['id']}:{HOSTILE}"
    automation = api.post(
        f"/api/v1/boards/{board['id']}/cards",
        json={
            "title": "Grow disks by themselves",
            "kind": "automation",
            "estimate_minutes": 240,
            "automates": [key],
        },
    ).json()
    done = next(
        c for c in api.get(f"/api/v1/boards/{board['id']}").json()["columns"] if c["is_done"]
    )
    moved = api.post(
        f"/api/v1/cards/{automation['id']}/move",
        json={"column_id": done["id"], "position": "top", "version": automation["version"]},
    )
    assert moved.status_code == 200, moved.text
    return {"board": board, "key": key, "automation": automation}


def test_the_report_of_a_real_week(new_page: Any, api: httpx.Client, firelane: Firelane) -> None:
    data = _week_of_data(api, firelane)
    year, number, _ = datetime.now(UTC).isocalendar()
    week = f"{year}-W{number:02d}"
    slug = data["board"]["slug"]
    expected = api.get("/api/v1/reports/weekly", params={"week": week, "board": slug}).json()
    assert expected["fires"]["interruptions"] == 3
    page = new_page()
    page.goto(f"{firelane.url}/reports")
    expect(page.get_by_role("heading", name="Weekly report")).to_be_visible()
    page.get_by_label("Week").fill(week)
    page.get_by_label("Board").select_option(slug)
    expect(page.get_by_text(f"Week {week} (UTC), board {slug}.")).to_be_visible()
    figures = page.locator(".figures")
    expect(figures.locator(".figure").filter(has_text="interruptions")).to_contain_text("3")
    expect(figures).to_contain_text("MTTA p50 / p90")
    expect(figures).to_contain_text("MTTR p50 / p90")
    toil = expected["toil_ratio"]
    expect(figures.locator(".figure").filter(has_text="toil")).to_contain_text(
        f"{round(toil * 100)} %"
    )
    debt = expected["automation_debt"]["hours_per_year"]
    expect(figures.locator(".figure").filter(has_text="automation debt")).to_contain_text(
        f"{debt:,.0f} h/yr"
    )
    by_kind = page.get_by_role("table", name="Hours by kind")
    for kind in ("fire", "maintenance", "project"):
        row = by_kind.get_by_role("row").filter(has_text=kind)
        expect(row).to_contain_text(f"{expected['hours']['by_kind'][kind]:g}")
    candidates = page.get_by_role("table").filter(has_text="Candidate").first
    expect(candidates).to_contain_text(HOSTILE)  # the alert's name, as text
    expect(candidates).to_contain_text("3")
    ledger = page.get_by_role("table").filter(has_text="Automation card")
    expect(ledger).to_contain_text(f"#{data['automation']['id']}")
    expect(ledger).to_contain_text("too early")
    assert page.locator("main img").count() == 0
    page.wait_for_timeout(200)
    assert new_page.dialogs == []


def test_the_stored_reports_are_listed_and_shown(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    slug = f"h-{uuid.uuid4().hex[:8]}"
    board = api.post("/api/v1/boards", json={"name": f"History {slug}", "slug": slug}).json()
    assert "id" in board, board
    weeks = ["2026-W40", "2026-W41"]
    stored = {}
    for week in weeks:
        made = api.post("/api/v1/reports/weekly", json={"week": week, "board": slug})
        assert made.status_code == 201, made.text
        stored[week] = made.json()["id"]
    page = new_page()
    page.goto(f"{firelane.url}/reports")
    page.get_by_label("Board").select_option(slug)
    history = page.get_by_role("table", name="History")
    rows = history.get_by_role("row")
    expect(rows).to_have_count(3)  # the header and two weeks, newest first
    expect(rows.nth(1)).to_contain_text("2026-W41")
    expect(rows.nth(2)).to_contain_text("2026-W40")
    expect(rows.nth(1)).to_contain_text(slug)
    page.get_by_role("button", name=f"Show 2026-W40, {slug}").click()
    expect(page.get_by_text(f"Week 2026-W40 (UTC), board {slug}.")).to_be_visible()
    expect(page.get_by_label("Week")).to_have_value("2026-W40")
    link = page.get_by_role("link", name=f"2026-W40, {slug} as a page")
    expect(link).to_have_attribute("href", f"/api/v1/reports/{stored['2026-W40']}?format=html")
    link.click()
    expect(page.get_by_role("heading", name="Weekly automation-debt report")).to_be_visible()
