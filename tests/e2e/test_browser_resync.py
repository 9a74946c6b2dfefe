"""The live board in real Chromium when its gap is too old to replay: a server that resumes
at most 3 missed events tells the returning page to resync, and the page reads the board
again (without a reload of the page) and is live."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import serve_board
from tests.e2e.processes import Firelane

pytestmark = pytest.mark.e2e

STREAM = "**/api/v1/boards/*/stream*"


@pytest.fixture(scope="module")
def firelane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Firelane]:
    """This module's own server: the browser tests' one, resuming 3 missed events at most."""
    tmp_path: Path = tmp_path_factory.mktemp("resync")
    yield from serve_board(tmp_path, FIRELANE_STREAM_RESUME_LIMIT="3")


def test_a_page_away_too_long_resyncs_the_board(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    slug = f"r-{uuid.uuid4().hex[:8]}"
    board = api.post("/api/v1/boards", json={"name": f"Resync {slug}", "slug": slug}).json()
    page = new_page()
    page.clock.install()
    page.goto(f"{firelane.url}/boards/{slug}")
    expect(page.get_by_role("status").filter(has_text="live")).to_be_visible()
    page.route(STREAM, lambda route: route.abort())
    page.clock.fast_forward(2 * 2_000 + 5_000 + 1_000)  # two heartbeats missed (2 s here)
    expect(page.get_by_role("status").filter(has_text="reconnecting…")).to_be_visible()
    for number in range(6):  # more than the 3 a reconnect may replay
        made = api.post(f"/api/v1/boards/{board['id']}/cards", json={"title": f"away {number}"})
        assert made.status_code == 201, made.text
    triage = page.get_by_role("region", name="Triage", exact=True)
    expect(triage.get_by_role("article")).to_have_count(0)
    page.evaluate("() => { window.__notReloaded = true; }")
    reads: list[str] = []

    def heard(request: Any) -> None:
        if f"/api/v1/boards/{board['id']}?" in request.url:
            reads.append(request.url)

    page.on("request", heard)
    page.unroute(STREAM)
    page.clock.fast_forward(3_000)  # the page's own retry, if the browser's has not come
    expect(triage.get_by_role("article")).to_have_count(6)
    expect(page.get_by_role("status").filter(has_text="live")).to_be_visible()
    assert reads, "the board was not read again"
    assert page.evaluate("() => window.__notReloaded") is True
    # Live again from here on.
    made = api.post(f"/api/v1/boards/{board['id']}/cards", json={"title": "after the resync"})
    assert made.status_code == 201
    expect(triage.get_by_role("article").filter(has_text="after the resync")).to_be_visible()
