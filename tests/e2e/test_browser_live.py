"""The live board in real Chromium, beyond cards: column changes made elsewhere arrive
(added, renamed, reordered, re-limited, deleted) without a reload. Elements are found as a
screen reader finds them: by role and name."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import make_board, open_board
from tests.e2e.processes import Firelane


@pytest.fixture(scope="module")
def firelane(served_board: Firelane) -> Firelane:
    """This module's tests share one served Firelane (see tests/e2e/conftest.py)."""
    return served_board


pytestmark = pytest.mark.e2e


def _headings(page: Any) -> list[str]:
    names: list[str] = page.locator("section.column h2").all_inner_texts()
    return [name.strip().lower() for name in names]


def test_column_changes_made_elsewhere_reach_the_open_board(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "l")
    page = new_page()
    open_board(page, firelane.url, board)
    columns = f"/api/v1/boards/{board['id']}/columns"
    added = api.post(columns, json={"name": "Blocked", "position": 1}).json()
    blocked = page.get_by_role("region", name="Blocked", exact=True)
    expect(blocked).to_be_visible(timeout=3000)
    assert _headings(page) == ["triage", "blocked", "in progress", "done"]
    # A card can go to the new column at once (the menu knows it too).
    made = api.post(f"/api/v1/boards/{board['id']}/cards", json={"title": "Wait for vendor"})
    assert made.status_code == 201
    page.get_by_role("button", name="Move Wait for vendor").click()
    page.get_by_role("menuitem", name="To Blocked").click()
    expect(blocked.get_by_role("article").filter(has_text="Wait for vendor")).to_be_visible()
    api.patch(f"{columns}/{added['id']}", json={"name": "Waiting", "wip_limit": 1})
    waiting = page.get_by_role("region", name="Waiting", exact=True)
    expect(waiting).to_be_visible(timeout=3000)
    expect(waiting.get_by_label("1 of 1")).to_be_visible()
    expect(waiting.get_by_role("article").filter(has_text="Wait for vendor")).to_be_visible()
    api.patch(f"{columns}/{added['id']}", json={"position": 3})
    expect(page.locator("section.column h2").last).to_have_text("Waiting", timeout=3000)
    api.patch(f"/api/v1/boards/{board['id']}", json={"name": "Vendor work"})
    expect(page.get_by_role("heading", name="Vendor work", level=1)).to_be_visible(timeout=3000)
    card_id = made.json()["id"]
    version = api.get(f"/api/v1/cards/{card_id}").json()["version"]
    moved = api.post(
        f"/api/v1/cards/{card_id}/move",
        json={"column_id": board["column"]["Triage"], "position": "top", "version": version},
    )
    assert moved.status_code == 200, moved.text
    assert api.delete(f"{columns}/{added['id']}").status_code == 204
    expect(waiting).to_have_count(0, timeout=3000)
    assert _headings(page) == ["triage", "in progress", "done"]


STREAM = "**/api/v1/boards/*/stream*"


def test_a_silent_stream_says_reconnecting_and_the_board_resumes(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    """The page's clock is Playwright's: its heartbeat watchdog is driven, not waited for.

    The stream the page holds keeps beating (the server is fine); the clock jumps past two
    heartbeats as if a proxy held them back, and every new stream is refused while a card
    is added elsewhere. Once streams get through, the page resumes from its last event id:
    the card arrives without a reload.
    """
    board = make_board(api, "l")
    page = new_page()
    page.clock.install()
    open_board(page, firelane.url, board)
    page.route(STREAM, lambda route: route.abort())
    page.clock.fast_forward(2 * 2_000 + 5_000 + 1_000)  # heartbeat 2 s (tests/e2e/conftest)
    expect(page.get_by_role("status").filter(has_text="reconnecting…")).to_be_visible()
    made = api.post(f"/api/v1/boards/{board['id']}/cards", json={"title": "Added meanwhile"})
    assert made.status_code == 201
    triage = page.get_by_role("region", name="Triage", exact=True)
    expect(triage.get_by_role("article")).to_have_count(0)
    page.evaluate("() => { window.__notReloaded = true; }")
    answered: list[str] = []
    page.on("response", lambda r: "/stream" in r.url and answered.append(r.url))
    page.unroute(STREAM)
    page.clock.fast_forward(3_000)  # the page's own retry, if the browser's has not come
    expect(page.get_by_role("status").filter(has_text="live")).to_be_visible()
    expect(triage.get_by_role("article").filter(has_text="Added meanwhile")).to_be_visible()
    assert page.evaluate("() => window.__notReloaded") is True
    assert answered and "resume=" in answered[-1]  # resumed by id, not a reload of the board
