"""The board in real Chromium, what a person works with all day: what a card shows at a
glance (kind, priority, labels, assignee, due date; a fire's status, occurrences and
flapping), the filters, the keyboard shortcuts, a soft WIP limit passed, and drags that
send the neighbour and the version. Elements are found as a screen reader finds them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import make_board, make_card, open_board, region
from tests.e2e.processes import Firelane

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def firelane(served_board: Firelane) -> Firelane:
    """This module's tests share one served Firelane (see tests/e2e/conftest.py)."""
    return served_board


def _ingest(firelane: Firelane, integration: dict[str, Any], **alert: Any) -> None:
    url = integration["ingest_url"].replace("http://127.0.0.1:8000", firelane.url)
    sent = httpx.post(url, headers={"Authorization": f"Bearer {integration['token']}"}, json=alert)
    assert sent.status_code == 202, sent.text


def test_a_card_shows_what_a_glance_needs(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "t")
    due = (datetime.now(UTC) + timedelta(days=3)).replace(hour=12, minute=0, second=0)
    make_card(
        api,
        board,
        "Replace the RAID disk",
        kind="project",
        priority="high",
        labels=["disk", "db-1"],
        assignee="bob",
        due_at=due.isoformat(),
    )
    body = {"name": f"gen-{board['slug']}", "kind": "generic", "board_id": board["id"]}
    integration = api.post("/api/v1/integrations", json=body).json()
    flapping = {"title": "Disk full on db-1", "key": "disk", "severity": "critical"}
    for status in ("firing", "resolved", "firing"):  # back within the flap window
        _ingest(firelane, integration, **flapping, status=status)
    quiet = {"title": "Load high on web-2", "key": "load", "severity": "warning"}
    for status in ("firing", "resolved"):
        _ingest(firelane, integration, **quiet, status=status)
    page = new_page()
    open_board(page, firelane.url, board)
    triage = region(page, "Triage")
    work = triage.get_by_role("article", name="Replace the RAID disk")
    for text in ("project", "high", "disk", "db-1", "@bob", f"due {due:%b} {due.day}"):
        expect(work).to_contain_text(text)
    fire = triage.get_by_role("article", name="Disk full on db-1")
    listed = api.get("/api/v1/cards", params={"board_id": board["id"]}).json()["items"]
    fire_id = next(c["id"] for c in listed if c["title"] == "Disk full on db-1")
    facts = api.get(f"/api/v1/cards/{fire_id}").json()["alert"]
    assert facts["flaps"] == 1 and facts["occurrences"] >= 2
    occurrences = f"\N{MULTIPLICATION SIGN}{facts['occurrences']}"
    for text in ("fire", "critical", "firing for", occurrences, "↯ flapping"):
        expect(fire).to_contain_text(text)
    expect(fire.get_by_title("flapped 1 times")).to_be_visible()
    resolved = triage.get_by_role("article", name="Load high on web-2")
    expect(resolved).to_contain_text("resolved at source")
    expect(resolved).not_to_contain_text("firing for")
    # The kinds look different: a fire's colour is not a project's.
    colours = [card.evaluate("e => getComputedStyle(e).borderLeftColor") for card in (work, fire)]
    assert colours[0] != colours[1]


def test_the_filters_narrow_the_board(new_page: Any, api: httpx.Client, firelane: Firelane) -> None:
    board = make_board(api, "t")
    make_card(api, board, "Disk full on db-1", kind="fire", labels=["disk"])
    make_card(api, board, "Rotate the keys", kind="project", assignee="bob")
    make_card(api, board, "Patch the hosts", kind="maintenance", labels=["os"])
    make_card(api, board, "Check the disk runbook", kind="change", description="nothing here")
    page = new_page()
    open_board(page, firelane.url, board)
    cards = region(page, "Triage").get_by_role("article")
    expect(cards).to_have_count(4)
    filters = page.get_by_role("search", name="Filter cards")
    filters.get_by_label("Search").fill("disk")
    expect(cards).to_have_count(2)
    filters.get_by_label("Search").fill("")
    filters.get_by_label("Kind").select_option("maintenance")
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text("Patch the hosts")
    filters.get_by_label("Kind").select_option("")
    filters.get_by_label("Label").fill("disk")
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text("Disk full on db-1")
    filters.get_by_label("Label").fill("")
    filters.get_by_label("Assignee").fill("bob")
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text("Rotate the keys")
    # A live card that does not match stays out; one that does comes in (in event order).
    make_card(api, board, "Rotate the certs", kind="project", assignee="alice")
    make_card(api, board, "Rotate the tokens", kind="project", assignee="bob")
    expect(cards.filter(has_text="Rotate the tokens")).to_be_visible()
    expect(cards).to_have_count(2)
    filters.get_by_role("button", name="Clear filters").click()
    expect(cards).to_have_count(6)
    expect(filters.get_by_label("Assignee")).to_have_value("")


def test_the_keyboard_shortcuts(new_page: Any, api: httpx.Client, firelane: Firelane) -> None:
    board = make_board(api, "t")
    second = make_card(api, board, "Second card")
    first = make_card(api, board, "First card", position="top")
    page = new_page()
    open_board(page, firelane.url, board)
    blur = "() => document.activeElement && document.activeElement.blur()"
    page.keyboard.press("n")
    title = page.get_by_label("Title", exact=True)
    expect(title).to_be_focused()
    page.keyboard.type("j and k typed here are text")
    expect(title).to_have_value("j and k typed here are text")
    page.evaluate(blur)
    page.keyboard.press("/")
    expect(page.get_by_role("searchbox", name="Search")).to_be_focused()
    page.evaluate(blur)
    cards = region(page, "Triage").get_by_role("article")
    page.keyboard.press("j")
    expect(cards.nth(0)).to_be_focused()
    expect(cards.nth(0)).to_have_attribute("data-card-id", str(first["id"]))
    page.keyboard.press("j")
    expect(cards.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(cards.nth(0)).to_be_focused()
    # Shift + ↓ / ↑ move the focused card within its column (and it keeps the focus).
    with page.expect_response(_moved) as answer:
        page.keyboard.press("Shift+ArrowDown")
    assert answer.value.status == 200
    expect(cards.nth(1)).to_have_attribute("data-card-id", str(first["id"]))
    expect(cards.nth(1)).to_be_focused()
    with page.expect_response(_moved) as answer:
        page.keyboard.press("Shift+ArrowUp")
    assert answer.value.status == 200
    expect(cards.nth(0)).to_have_attribute("data-card-id", str(first["id"]))
    expect(cards.nth(0)).to_be_focused()
    page.keyboard.press("?")
    help = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help).to_be_visible()
    for key in ("n", "/", "j / k", "e", "?"):
        expect(help.get_by_text(key, exact=True)).to_be_visible()
    page.keyboard.press("Escape")
    expect(help).to_have_count(0)
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(cards.nth(1)).to_be_focused()
    page.keyboard.press("e")
    expect(page).to_have_url(f"{firelane.url}/cards/{second['id']}")
    expect(page.get_by_label("Title", exact=True)).to_have_value("Second card")


def test_a_soft_wip_limit_passed_is_highlighted_and_said(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    columns: list[dict[str, Any]] = [
        {"name": "Triage"},
        {"name": "Review", "wip_limit": 1},
        {"name": "Done"},
    ]
    board = make_board(api, "t", columns)
    make_card(api, board, "Already in review", column_id=board["column"]["Review"])
    waiting = make_card(api, board, "Wants review too")
    page = new_page()
    open_board(page, firelane.url, board)
    review = region(page, "Review")
    expect(review.get_by_label("1 of 1", exact=True)).to_be_visible()
    page.get_by_role("button", name="Move Wants review too").click()
    page.get_by_role("menuitem", name="To Review").click()
    expect(review.get_by_role("article", name="Wants review too")).to_be_visible()
    count = review.get_by_label("2 of 1, over the limit")
    expect(count).to_be_visible()
    expect(count).to_have_class(re.compile(r"\bover\b"))
    warning = page.locator(".notice-warning")
    expect(warning).to_have_attribute("role", "status")
    expect(warning).to_contain_text("Column 'Review' is over its WIP limit (2/1).")
    moved = api.get(f"/api/v1/cards/{waiting['id']}").json()
    assert moved["column_id"] == board["column"]["Review"]


def _drag(page: Any, card: Any, *points: tuple[float, float]) -> None:
    card.hover()
    page.mouse.down()
    for x, y in points:
        page.mouse.move(x, y, steps=15)
    page.mouse.up()


def _moved(response: Any) -> bool:
    return bool(response.url.endswith("/move"))


def test_drags_send_the_neighbour_and_the_version(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "t")
    cards = {t: make_card(api, board, t, position="top") for t in ("Card C", "Card B", "Card A")}
    beside = make_card(api, board, "Card X", column_id=board["column"]["In progress"])
    page = new_page()
    sent: list[dict[str, Any]] = []

    def heard(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/move"):
            sent.append({"url": request.url, **json.loads(request.post_data or "{}")})

    page.on("request", heard)
    open_board(page, firelane.url, board)
    triage = region(page, "Triage").get_by_role("article")
    expect(triage).to_have_text([re.compile("Card A"), re.compile("Card B"), re.compile("Card C")])
    bottom = triage.nth(2).bounding_box()
    centre = bottom["x"] + bottom["width"] / 2
    with page.expect_response(_moved) as answer:
        _drag(page, triage.nth(0), (centre, bottom["y"] + bottom["height"] - 4))  # A below C
    assert answer.value.status == 200
    expect(triage).to_have_text([re.compile("Card B"), re.compile("Card C"), re.compile("Card A")])
    expect(page.locator(".notice-error")).to_have_count(0)
    a = cards["Card A"]
    assert sent[0] == {
        "url": f"{firelane.url}/api/v1/cards/{a['id']}/move",
        "version": a["version"],
        "column_id": board["column"]["Triage"],
        "after_card_id": cards["Card C"]["id"],
    }
    x = region(page, "In progress").get_by_role("article", name="Card X").bounding_box()
    with page.expect_response(_moved) as answer:
        _drag(page, triage.nth(2), (x["x"] + x["width"] / 2, x["y"] + 4))  # A onto X: above it
    assert answer.value.status == 200
    progress = region(page, "In progress").get_by_role("article")
    expect(progress).to_have_text([re.compile("Card A"), re.compile("Card X")])
    expect(page.locator(".notice-error")).to_have_count(0)
    assert sent[1]["version"] == a["version"] + 1  # as the first move left it
    assert sent[1]["column_id"] == board["column"]["In progress"]
    assert sent[1]["before_card_id"] == beside["id"]
    assert "after_card_id" not in sent[1]
    page.reload()
    expect(triage).to_have_text([re.compile("Card B"), re.compile("Card C")])
    expect(progress).to_have_text([re.compile("Card A"), re.compile("Card X")])


def test_an_empty_board_in_the_dark_by_keyboard_with_nothing_refused(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "t")
    page = new_page()
    complaints: list[str] = []
    page.on("console", lambda message: complaints.append(f"{message.type}: {message.text}"))
    page.emulate_media(color_scheme="light")
    open_board(page, firelane.url, board)
    background = "() => getComputedStyle(document.body).backgroundColor"
    light = page.evaluate(background)
    page.emulate_media(color_scheme="dark")
    assert page.evaluate(background) == "rgb(20, 23, 28)" != light
    # The empty state says what to do next.
    expect(region(page, "Triage")).to_contain_text(
        "Nothing here. Press n to add a card, or point Alertmanager at an integration's "
        "ingest URL (Integrations)."
    )
    # A card added by keyboard alone is announced, and the focus ring shows where one is.
    page.keyboard.press("n")
    page.keyboard.type("Renew the TLS certificate")
    page.keyboard.press("Enter")
    card = region(page, "Triage").get_by_role("article", name="Renew the TLS certificate")
    expect(card).to_be_visible()
    expect(page.locator("[aria-live=polite]")).to_have_text("Added “Renew the TLS certificate”.")
    page.keyboard.press("Escape")
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("j")
    expect(card).to_be_focused()
    assert card.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    page.keyboard.press("Shift+ArrowRight")
    expect(region(page, "In progress").get_by_role("article")).to_have_count(1)
    expect(page.locator("[aria-live=polite]")).to_have_text(
        "Moved “Renew the TLS certificate” to In progress."
    )
    # The policy refused nothing the page did (no inline script or style attribute).
    assert not [line for line in complaints if "Content Security Policy" in line], complaints
    assert not [line for line in complaints if line.startswith("error")], complaints


def test_a_drag_survives_the_board_changing_under_it(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    """While a card is dragged, a live card arrives in the column it left and the board
    redraws (its clock ticks, the stream reconnects): the drop still lands where it was
    dropped."""
    board = make_board(api, "t")
    dragged = make_card(api, board, "Dragged through a storm")
    page = new_page()
    page.clock.install()
    complaints: list[str] = []
    page.on("pageerror", lambda error: complaints.append(str(error)))
    open_board(page, firelane.url, board)
    card = region(page, "Triage").get_by_role("article", name="Dragged through a storm")
    target = region(page, "In progress").locator(".column-body").bounding_box()
    card.hover()
    page.mouse.down()
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + 20, steps=15)
    made = api.post(f"/api/v1/boards/{board['id']}/cards", json={"title": "Arrived meanwhile"})
    assert made.status_code == 201
    page.clock.fast_forward(31_000)  # the board's clock ticks; two heartbeats "missed"
    expect(region(page, "Triage").get_by_role("article", name="Arrived meanwhile")).to_be_visible()
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + 24, steps=3)
    with page.expect_response(_moved) as answer:
        page.mouse.up()
    assert answer.value.status == 200
    progress = region(page, "In progress")
    expect(progress.get_by_role("article", name="Dragged through a storm")).to_be_visible()
    triage = region(page, "Triage")
    expect(triage.get_by_role("article", name="Arrived meanwhile")).to_be_visible()
    expect(triage.get_by_role("article")).to_have_count(1)
    expect(page.locator(".notice-error")).to_have_count(0)
    assert complaints == []
    moved = api.get(f"/api/v1/cards/{dragged['id']}").json()
    assert moved["column_id"] == board["column"]["In progress"]


def _spoken(page: Any) -> list[tuple[str, str]]:
    """(role, name) of every node in Chromium's own accessibility tree: what a screen
    reader gets (Playwright's role queries compute names from the DOM instead)."""
    tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")
    return [
        (node.get("role", {}).get("value", ""), node.get("name", {}).get("value", ""))
        for node in tree["nodes"]
        if not node.get("ignored")
    ]


def test_the_names_a_screen_reader_gets_are_the_issues_words(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    login = new_page(None)
    login.goto(f"{firelane.url}/login")
    expect(login.get_by_role("button", name="Log in")).to_be_visible()
    spoken = _spoken(login)
    for node in (("textbox", "Name"), ("textbox", "Password"), ("button", "Log in")):
        assert node in spoken, spoken
    board = make_board(api, "t")
    make_card(api, board, "Rotate the API keys")
    page = new_page()
    open_board(page, firelane.url, board)
    expect(page.get_by_role("article")).to_have_count(1)
    spoken = _spoken(page)
    regions = [name for role, name in spoken if role == "region"]
    assert regions == ["Triage", "In progress", "Done"]  # as written, whatever the style
    assert ("article", "Rotate the API keys") in spoken
    assert page.locator("section").evaluate_all("s => s.map(e => e.tagName)") == ["SECTION"] * 3
