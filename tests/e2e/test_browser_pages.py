"""The pages beside the board in real Chromium: the login (the way back, never to another
site), the boards list, integrations (the token shown once, what to paste, rotation) and
schedules (by cron or interval, made and edited with their next runs previewed); the
automation page is tests/e2e/test_browser_automation.py. Elements are found as a screen
reader finds them."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import PASSWORD, make_board
from tests.e2e.processes import Firelane

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def firelane(served_board: Firelane) -> Firelane:
    """This module's tests share one served Firelane (see tests/e2e/conftest.py)."""
    return served_board


def test_a_login_leads_back_and_the_boards_list_opens_a_board(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "p")
    page = new_page(None)
    page.goto(f"{firelane.url}/schedules")
    page.get_by_label("Name").fill("bob")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("The name or password is wrong.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Schedules", level=1)).to_be_visible()
    assert page.url == f"{firelane.url}/schedules"
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Boards").click()
    expect(page.get_by_role("heading", name="Boards", level=1)).to_be_visible()
    page.get_by_role("link", name=board["name"]).click()
    expect(page.get_by_role("heading", name=board["name"], level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Triage", exact=True)).to_be_visible()


@pytest.mark.parametrize("kind", ["alertmanager", "grafana", "pagerduty", "generic"])
def test_an_integration_shows_its_token_once_with_what_to_paste(
    kind: str, new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "i")
    page = new_page()
    page.goto(f"{firelane.url}/integrations")
    form = page.get_by_role("form", name="New integration")
    name = f"{kind}-{board['slug']}"
    form.get_by_label("Name").fill(name)
    form.get_by_label("Kind").select_option(kind)
    form.get_by_label("Board").select_option(str(board["id"]))
    form.get_by_role("button", name="Create integration").click()
    created = page.get_by_role("region", name=re.compile(f"^“{name}” is ready"))
    expect(created).to_be_visible()
    made = next(i for i in api.get("/api/v1/integrations").json()["items"] if i["name"] == name)
    token = created.get_by_role("definition").nth(1).inner_text()
    assert token.startswith(made["token_prefix"])
    snippet = created.locator("pre").first
    expect(snippet).to_contain_text("webhook_configs:")
    expect(snippet).to_contain_text(f"url: {made['ingest_url']}")
    expect(snippet).to_contain_text(f"credentials: {token}")
    expect(created.get_by_role("heading", name="Grafana", exact=True)).to_be_visible()
    expect(created).to_contain_text("Contact point → Webhook")
    # "Try it" works as shown (the server's address here is not the default's).
    curl = created.locator("pre").last.inner_text()
    assert f"-H 'Authorization: Bearer {token}'" in curl
    assert curl.endswith(made["ingest_url"])
    body = json.loads(curl.split(" -d '", 1)[1].split("' ", 1)[0])
    sent = httpx.post(
        made["ingest_url"].replace("http://127.0.0.1:8000", firelane.url),
        headers={"Authorization": f"Bearer {token}"},
        json=body,
    )
    assert sent.status_code == 202, sent.text
    (fire,) = sent.json()["cards"]
    assert api.get(f"/api/v1/cards/{fire}").json()["kind"] == "fire"
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text(made["ingest_url"])
    page.reload()
    expect(page.get_by_role("row").filter(has_text=name)).to_be_visible()
    expect(page.get_by_text(token)).to_have_count(0)  # shown once


def test_a_schedule_is_made_and_edited_with_its_next_runs_previewed(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "s")
    name = f"Patch {board['slug']}"
    page = new_page()
    page.goto(f"{firelane.url}/schedules")
    form = page.get_by_role("form", name="New schedule")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Board").select_option(str(board["id"]))
    form.get_by_label("Cron").fill("0 10 * * 1")
    form.get_by_label("Timezone").fill("Europe/Berlin")
    form.get_by_label("Card title").fill("Patch hosts {date}")
    form.get_by_role("button", name="Preview next runs").click()
    runs = page.get_by_role("list").filter(has_text="Patch hosts")
    expect(runs.get_by_role("listitem")).to_have_count(5)
    expect(runs.get_by_role("listitem").first).to_contain_text("T10:00:00+01:00")
    expect(form.get_by_label("Cron")).to_have_value("0 10 * * 1")  # kept through the preview
    form.get_by_role("button", name="Create schedule").click()
    expect(page.get_by_role("status").filter(has_text="Schedule created.").first).to_be_visible()
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("0 10 * * 1")
    expect(row).to_contain_text("Europe/Berlin")
    expect(runs).to_have_count(0)
    row.get_by_role("button", name=f"Edit {name}").click()
    edit = page.get_by_role("form", name="Edit schedule")
    expect(edit.get_by_label("Cron")).to_have_value("0 10 * * 1")
    edit.get_by_label("Cron").fill("30 9 * * 2")
    edit.get_by_role("button", name="Preview next runs").click()
    expect(runs.get_by_role("listitem").first).to_contain_text("T09:30:00+01:00")
    edit.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Schedule saved.").first).to_be_visible()
    expect(row).to_contain_text("30 9 * * 2")
    saved = next(s for s in api.get("/api/v1/schedules").json()["items"] if s["name"] == name)
    assert saved["cron"] == "30 9 * * 2"
    assert saved["board_id"] == board["id"]
    row.get_by_role("button", name="Run now").click()
    expect(page.get_by_role("status").filter(has_text=f"{name}: run done.").first).to_be_visible()
    made = api.get(f"/api/v1/schedules/{saved['id']}/occurrences").json()["items"]
    assert [o["trigger"] for o in made] == ["manual"]
    cards = api.get("/api/v1/cards", params={"board_id": board["id"]}).json()["items"]
    assert [c["kind"] for c in cards] == ["maintenance"]
    row.get_by_role("button", name="Pause").click()
    expect(row).to_contain_text("paused")
    expect(row.get_by_role("button", name="Resume")).to_be_visible()


def test_an_admin_makes_a_board_and_a_member_gets_no_admin_forms(
    new_page: Any, firelane: Firelane
) -> None:
    slug = f"m-{uuid.uuid4().hex[:8]}"
    page = new_page("alice")
    form = page.get_by_role("form", name="New board")
    form.get_by_label("Board name").fill("Made here")
    form.get_by_label("Slug").fill(slug)
    form.get_by_role("button", name="Create board").click()
    expect(page).to_have_url(f"{firelane.url}/boards/{slug}")
    expect(page.get_by_role("heading", name="Made here", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Triage", exact=True)).to_be_visible()
    member = new_page("bob")
    expect(member.get_by_role("link", name="Made here")).to_be_visible()
    expect(member.get_by_role("form", name="New board")).to_have_count(0)
    for path, form_name in (
        ("/integrations", "New integration"),
        ("/schedules", "New schedule"),
        ("/automation", "New webhook"),
        ("/automation", "New rule"),
    ):
        member.goto(f"{firelane.url}{path}")
        expect(member.get_by_role("heading", level=1)).to_be_visible()
        expect(member.get_by_role("form", name=form_name)).to_have_count(0)


def test_an_address_of_nothing_says_so(new_page: Any, firelane: Firelane) -> None:
    page = new_page()
    for path, heading in (
        ("/boards/no-such-board", "No such board"),
        ("/cards/987654", "No such card"),
    ):
        page.goto(f"{firelane.url}{path}")
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("boards", re.I)).last).to_be_visible()


@pytest.mark.parametrize(
    "elsewhere", ["//evil.example/x", "/\\evil.example/x", "https://evil.example"]
)
def test_a_login_never_leads_to_another_site(
    elsewhere: str, new_page: Any, firelane: Firelane
) -> None:
    page = new_page(None)
    elsewhere_asked: list[str] = []

    def route(request_route: Any) -> None:
        if urlsplit(request_route.request.url).hostname == "evil.example":
            elsewhere_asked.append(request_route.request.url)
            request_route.abort()
        else:
            request_route.continue_()

    page.context.route("**/*", route)
    page.goto(f"{firelane.url}/login?next={quote(elsewhere)}")
    page.get_by_label("Name").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Boards", level=1)).to_be_visible()
    assert page.url == f"{firelane.url}/"
    assert elsewhere_asked == []


def test_an_integrations_token_is_rotated_after_a_second_click(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "o")
    name = f"rotated-{board['slug']}"
    body = {"name": name, "kind": "generic", "board_id": board["id"]}
    made = api.post("/api/v1/integrations", json=body).json()
    page = new_page()
    page.goto(f"{firelane.url}/integrations")
    row = page.get_by_role("row").filter(has_text=name)
    row.get_by_role("button", name=f"Rotate the token of {name}").click()
    row.get_by_role("button", name="Keep it").click()  # the first click only asks
    row.get_by_role("button", name=f"Rotate the token of {name}").click()
    row.get_by_role("button", name="Rotate: the old token stops working").click()
    created = page.get_by_role("region", name=re.compile(f"^“{name}” is ready"))
    token = created.get_by_role("definition").nth(1).inner_text()
    assert token != made["token"]
    url = made["ingest_url"].replace("http://127.0.0.1:8000", firelane.url)
    alert = {"title": "Rotated", "key": "rotated"}
    for bearer, status in ((made["token"], 401), (token, 202)):
        sent = httpx.post(url, headers={"Authorization": f"Bearer {bearer}"}, json=alert)
        assert sent.status_code == status, sent.text


def test_a_schedule_by_interval(new_page: Any, api: httpx.Client, firelane: Firelane) -> None:
    board = make_board(api, "v")
    name = f"Rotate logs {board['slug']}"
    page = new_page()
    page.goto(f"{firelane.url}/schedules")
    form = page.get_by_role("form", name="New schedule")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Board").select_option(str(board["id"]))
    form.get_by_label("Card title").fill("Rotate the logs")
    form.get_by_role("button", name="Create schedule").click()  # no timing: the server says
    expect(page.get_by_role("alert")).to_contain_text("interval_minutes")
    form.get_by_label("Or every (minutes)").fill("90")
    form.get_by_role("button", name="Preview next runs").click()
    runs = page.get_by_role("list").filter(has_text="Rotate the logs").get_by_role("listitem")
    expect(runs).to_have_count(5)
    form.get_by_role("button", name="Create schedule").click()
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("every 90 min")
    row.get_by_role("button", name=f"Edit {name}").click()
    edit = page.get_by_role("form", name="Edit schedule")
    expect(edit.get_by_label("Or every (minutes)")).to_have_value("90")
    edit.get_by_label("Cron").fill("0 4 * * *")  # a cron replaces the interval
    edit.get_by_role("button", name="Preview next runs").click()
    expect(runs.first).to_contain_text("T04:00:00")
    edit.get_by_role("button", name="Save").click()
    expect(row).to_contain_text("0 4 * * *")
    saved = next(s for s in api.get("/api/v1/schedules").json()["items"] if s["name"] == name)
    assert saved["cron"] == "0 4 * * *" and saved["interval_minutes"] is None
