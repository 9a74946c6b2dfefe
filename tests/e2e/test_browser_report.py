"""The weekly report's HTML page in real Chromium, as a logged-in person opens it from the
chat message's link: its headline and charts are there with their names, the alert's
hostile title is plain text, and no script runs (the page's policy allows none)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from app.reports.window import Week
from tests.e2e.processes import Firelane
from tests.reports.samples import HOSTILE

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def firelane(served_board: Firelane) -> Firelane:
    """This module's tests share one served Firelane (see tests/e2e/conftest.py)."""
    return served_board


def _fire(api: httpx.Client, ingest: dict[str, Any], status: str) -> int:
    path = "/" + ingest["ingest_url"].split("://", 1)[1].split("/", 1)[1]
    alert = {
        "title": HOSTILE,
        "key": "hostile/web-1",
        "status": status,
        "labels": {"alertname": HOSTILE, "instance": "web-1"},
    }
    answer = api.post(path, json=alert, headers={"Authorization": f"Bearer {ingest['token']}"})
    assert answer.status_code == 202, answer.text
    card: int = answer.json()["cards"][0]
    return card


def test_the_report_page(new_page: Any, api: httpx.Client, firelane: Firelane) -> None:
    board = api.post("/api/v1/boards", json={"name": "Reported", "slug": "reported"}).json()
    ingest = api.post(
        "/api/v1/integrations", json={"name": "gen", "kind": "generic", "board_id": board["id"]}
    ).json()
    for _ in range(3):  # three episodes: a candidate
        card = _fire(api, ingest, "firing")
        _fire(api, ingest, "resolved")
    created = datetime.fromisoformat(api.get(f"/api/v1/cards/{card}").json()["created_at"])
    week = str(Week.of(created.date()))  # the report timezone is UTC here
    made = api.post("/api/v1/reports/weekly", json={"week": week, "board": "reported"})
    assert made.status_code == 201, made.text
    assert made.json()["report"]["fires"]["interruptions"] == 3

    page = new_page()
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(f"{message.type}: {message.text}"))
    answer = page.goto(f"{firelane.url}/api/v1/reports/{made.json()['id']}?format=html")
    assert answer is not None and answer.status == 200
    assert "script-src" not in answer.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="Weekly automation-debt report")).to_be_visible()
    expect(page.get_by_text(f"{week} · board reported")).to_be_visible()
    for chart in ("Hours by kind of work", "Interruptions by time of day", "What to automate"):
        expect(page.get_by_role("img", name=re.compile(f"^{chart}"))).to_be_visible()
    interruptions = page.get_by_role("img", name=re.compile("^Interruptions by time of day"))
    expect(interruptions).to_have_accessible_name(re.compile("3 interruptions: "))
    expect(page.get_by_role("img", name=re.compile("^Interruptions, oldest first"))).to_have_count(
        1
    )
    # The alert's name is shown as the text it is, everywhere; nothing of it ran.
    expect(page.get_by_role("cell", name=re.compile(r"^<script>window\.pwned=1"))).to_have_count(
        2  # the candidates' table and the offenders'
    )
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("script, iframe, object, embed").count() == 0
    # One link: the report's own address (FIRELANE_BASE_URL's, the default here).
    links = page.locator("a").evaluate_all("links => links.map(a => a.href)")
    assert links == [f"http://127.0.0.1:8000/api/v1/reports/{made.json()['id']}?format=html"]
    assert not [line for line in complaints if "error" in line], complaints
