"""Fixtures of the end-to-end tests: Firelane's CLI as real processes, a real receiver;
for the browser tests, one served Firelane and one Chromium per module.

A browser test module takes the served one as its ``firelane`` (which ``api`` and
``new_page`` use too) by overriding the fixture in the module:
``@pytest.fixture(scope="module") def firelane(served_board: Firelane) -> Firelane``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.browser import CHROMIUM, FLAGS, PASSWORD, SHOTS, chromium_available
from tests.e2e.processes import Firelane
from tests.hooks.receiver import Receiver
from tests.support import need


@pytest.fixture
def firelane(tmp_path: Path) -> Iterator[Firelane]:
    """A Firelane installation over a SQLite file in ``tmp_path``, upgraded; its processes
    are stopped at the end. Webhook deliveries are polled for every half second."""
    made = Firelane(tmp_path, FIRELANE_HOOKS_POLL_SECONDS="0.5")
    made.run("db", "upgrade")
    yield made
    made.stop_all()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    need(chromium_available(), f"Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def served_board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Firelane]:
    """``firelane serve --ingest-writer`` over SQLite, with an admin who has a password (the
    browser tests': a module's tests share it)."""
    yield from serve_board(tmp_path_factory.mktemp("browser"))


def serve_board(tmp_path: Path, **env: str) -> Iterator[Firelane]:
    """The browser tests' server (``served_board``), with more settings in ``env``."""
    server = Firelane(tmp_path, FIRELANE_STREAM_HEARTBEAT_SECONDS="2", **env)
    try:
        server.serve("--ingest-writer", "--no-scheduler", "--no-access-log")
        with server.admin_client() as api:
            for name, role in (("alice", "admin"), ("bob", "member")):
                made = api.post(
                    "/api/v1/users", json={"name": name, "role": role, "password": PASSWORD}
                )
                assert made.status_code == 201, made.text
        yield server
    finally:
        server.stop_all()


@pytest.fixture
def api(firelane: Firelane) -> Iterator[httpx.Client]:
    token = firelane.run("token", "create", "alice")
    with httpx.Client(
        base_url=firelane.url, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


@pytest.fixture
def new_page(chromium: Any, firelane: Firelane, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Open pages in fresh browser contexts (one person each, logged in unless ``user`` is
    None); screenshots if the test fails."""
    contexts: list[Any] = []
    dialogs: list[str] = []

    def make(user: str | None = "alice", **options: Any) -> Any:
        context = chromium.new_context(viewport={"width": 1400, "height": 900}, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        if user is None:
            return page
        page.goto(f"{firelane.url}/login")
        page.get_by_label("Name").fill(user)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{firelane.url}/")
        return page

    make.dialogs = dialogs  # type: ignore[attr-defined]
    yield make
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SHOTS.mkdir(exist_ok=True)
        for index, context in enumerate(contexts):
            for number, page in enumerate(context.pages):
                page.screenshot(path=str(SHOTS / f"{request.node.name}-{index}-{number}.png"))
    for context in contexts:
        context.close()
