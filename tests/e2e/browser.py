"""Debian's Chromium driven by Playwright, and a Firelane server for the browser tests."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "a-long-test-password"
# Screenshots of failed browser tests land here (CI keeps the work tree).
SHOTS = Path(__file__).parents[2] / ".e2e-screenshots"


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and shutil.which("chromium") is not None


# --- what the browser tests make through the API and look for on a page ------------------


def make_board(
    api: httpx.Client, prefix: str, columns: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A new board of its own (the module's tests share a server), with ``column``: each
    column's id by name."""
    slug = f"{prefix}-{uuid.uuid4().hex[:8]}"
    body: dict[str, Any] = {"name": f"Board {slug}", "slug": slug}
    if columns is not None:
        body["columns"] = columns
    made = api.post("/api/v1/boards", json=body)
    assert made.status_code == 201, made.text
    board: dict[str, Any] = api.get(f"/api/v1/boards/{made.json()['id']}").json()
    board["column"] = {c["name"]: c["id"] for c in board["columns"]}
    return board


def make_card(api: httpx.Client, board: dict[str, Any], title: str, **fields: Any) -> Any:
    made = api.post(f"/api/v1/boards/{board['id']}/cards", json={"title": title, **fields})
    assert made.status_code == 201, made.text
    return made.json()


def open_board(page: Any, url: str, board: dict[str, Any]) -> None:
    """Open the board's page and wait until its stream is live."""
    page.goto(f"{url}/boards/{board['slug']}")
    expect(page.get_by_role("status").filter(has_text="live")).to_be_visible()


def region(page: Any, name: str) -> Any:
    """A column's region, by the column's name exactly."""
    return page.get_by_role("region", name=name, exact=True)
