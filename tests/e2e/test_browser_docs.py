"""The API docs in real Chromium, with every address but this server's cut off: /docs draws
Swagger UI from vendored files and "Authorize" takes an API token; /redoc draws ReDoc."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.processes import Firelane


@pytest.fixture(scope="module")
def firelane(served_board: Firelane) -> Firelane:
    """This module's tests share one served Firelane (see tests/e2e/conftest.py)."""
    return served_board


pytestmark = pytest.mark.e2e

DRAWN = 30_000  # ms for a page to draw the API's document


class Offline:
    """A browser page that may reach this server only; it records what else was asked for
    and what the browser complained about (CSP refusals show in the console)."""

    def __init__(self, context: Any, server: str) -> None:
        self.elsewhere: list[str] = []
        self.complaints: list[str] = []
        host = urlsplit(server).netloc
        context.route("**/*", self._route(host))
        self.page = context.new_page()
        self.page.on(
            "console",
            lambda message: (
                message.type in ("error", "warning") and self.complaints.append(message.text)
            ),
        )

    def _route(self, host: str) -> Any:
        def route(request_route: Any) -> None:
            url = request_route.request.url
            if urlsplit(url).netloc == host or url.startswith(("data:", "blob:")):
                request_route.continue_()
            else:
                self.elsewhere.append(url)
                request_route.abort()

        return route

    def check(self, *, but: str = "") -> None:
        """Nothing was asked of another host, nor refused by the policy (but ``but``)."""
        elsewhere = [url for url in self.elsewhere if not (but and url == but)]
        assert elsewhere == [], f"the page asked other hosts: {elsewhere}"
        refused = [text for text in self.complaints if "Content Security Policy" in text]
        assert [text for text in refused if not (but and but in text)] == [], refused


@pytest.fixture
def offline(chromium: Any, firelane: Firelane) -> Iterator[Offline]:
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    yield Offline(context, firelane.url)
    context.close()


def test_swagger_ui_draws_offline_and_authorize_takes_an_api_token(
    offline: Offline, firelane: Firelane
) -> None:
    token = firelane.run("token", "create", "alice", "--label", "docs")
    page = offline.page
    page.goto(f"{firelane.url}/docs")
    expect(page.get_by_role("heading", name=re.compile("^Firelane "))).to_be_visible(timeout=DRAWN)
    page.get_by_role("button", name="Authorize").first.click()
    scheme = page.get_by_role("heading", name="apiToken (http, Bearer)")
    api_token = page.locator(".auth-container", has=scheme)
    api_token.get_by_role("textbox").fill(token)
    api_token.get_by_role("button", name="Apply credentials").click()
    page.get_by_role("button", name="Close").first.click()
    me = page.locator(".opblock", has_text="/api/v1/auth/me")
    me.locator(".opblock-summary").click()
    me.get_by_role("button", name="Try it out").click()
    me.get_by_role("button", name="Execute").click()
    answer = me.locator(".live-responses-table tbody .response")
    expect(answer.locator(".response-col_status")).to_have_text("200")
    expect(answer).to_contain_text('"name": "alice"')
    offline.check()


def test_redoc_draws_offline(offline: Offline, firelane: Firelane) -> None:
    page = offline.page
    page.goto(f"{firelane.url}/redoc")
    # ReDoc reads the whole OpenAPI document before it draws: slow on a busy 2-core machine.
    heading = page.get_by_role("heading", name=re.compile("^Firelane")).first
    expect(heading).to_be_visible(timeout=DRAWN)
    expect(page.get_by_text("Move a card after/before another card").first).to_be_attached()
    # ReDoc's "API docs by Redocly" badge links its logo from Redocly's site, always; the
    # policy keeps it out (the badge shows without it).
    offline.check(but="https://cdn.redoc.ly/redoc/logo-mini.svg")
