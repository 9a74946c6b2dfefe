"""The board in real Chromium, continued: columns load more cards as they scroll, a move
refused for a stale version is shown and the card put back, done columns show their most
recently done cards, and the card page edits an automation card's estimate and what it
automates. Elements are found as a screen reader finds them: by role and name."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import make_board, make_card, region
from tests.e2e.processes import Firelane


@pytest.fixture(scope="module")
def firelane(served_board: Firelane) -> Firelane:
    """This module's tests share one served Firelane (see tests/e2e/conftest.py)."""
    return served_board


pytestmark = pytest.mark.e2e

STREAM = "**/api/v1/boards/*/stream*"


def test_a_column_loads_more_cards_as_it_scrolls(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "c")
    for number in range(120):
        make_card(api, board, f"task {number:03d}")
    page = new_page()
    page.goto(f"{firelane.url}/boards/{board['slug']}")
    triage = region(page, "Triage")
    cards = triage.get_by_role("article")
    expect(cards).to_have_count(50)
    expect(triage.get_by_label("120 cards")).to_be_visible()
    for shown in (100, 120):
        cards.last.scroll_into_view_if_needed()
        expect(cards).to_have_count(shown)
    expect(cards.last).to_contain_text("task 119")
    expect(triage.get_by_role("button", name="Show more")).to_have_count(0)


def test_a_move_of_a_card_someone_changed_is_refused_and_put_back(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "c")
    card = make_card(api, board, "Rotate the backup keys")
    page = new_page()
    page.route(STREAM, lambda route: route.abort())  # the page must not hear of the change
    page.goto(f"{firelane.url}/boards/{board['slug']}")
    tile = region(page, "Triage").get_by_role("article").filter(has_text="Rotate the backup")
    expect(tile).to_be_visible()
    changed = api.patch(
        f"/api/v1/cards/{card['id']}", json={"version": card["version"], "priority": "urgent"}
    )
    assert changed.status_code == 200
    page.get_by_role("button", name="Move Rotate the backup keys").click()
    page.get_by_role("menuitem", name="To In progress").click()
    expect(page.get_by_role("alert")).to_contain_text("Someone else changed")
    expect(page.get_by_role("alert")).to_contain_text("it was not moved")
    expect(tile).to_be_visible()  # back in Triage, with their change
    expect(tile).to_contain_text("urgent")
    expect(region(page, "In progress").get_by_role("article")).to_have_count(0)
    assert api.get(f"/api/v1/cards/{card['id']}").json()["column_id"] == board["column"]["Triage"]
    # Resolved: the card shown is the current one, so the same move now goes through.
    page.get_by_role("button", name="Move Rotate the backup keys").click()
    page.get_by_role("menuitem", name="To In progress").click()
    moved = region(page, "In progress").get_by_role("article").filter(has_text="Rotate the backup")
    expect(moved).to_be_visible()
    expect(moved).to_contain_text("urgent")
    expect(page.locator("[aria-live=polite]")).to_have_text(
        "Moved “Rotate the backup keys” to In progress."
    )
    now = api.get(f"/api/v1/cards/{card['id']}").json()
    assert now["column_id"] == board["column"]["In progress"] and now["priority"] == "urgent"


def test_a_done_column_shows_its_most_recently_done_cards(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "c")
    done = board["column"]["Done"]
    for number in range(12):
        card = make_card(api, board, f"chore {number:02d}")
        body = {"column_id": done, "position": "top", "version": card["version"]}
        assert api.post(f"/api/v1/cards/{card['id']}/move", json=body).status_code == 200
    make_card(api, board, "Renew the certificate")
    page = new_page()
    page.goto(f"{firelane.url}/boards/{board['slug']}")
    column = region(page, "Done")
    cards = column.get_by_role("article")
    expect(cards).to_have_count(10)
    expect(cards.first).to_contain_text("chore 11")
    expect(cards.last).to_contain_text("chore 02")
    expect(column.get_by_label("12 cards")).to_be_visible()
    expect(column.get_by_text("2 older done cards not shown")).to_be_visible()
    page.get_by_role("button", name="Move Renew the certificate").click()
    page.get_by_role("menuitem", name="To Done").click()
    expect(cards.first).to_contain_text("Renew the certificate")
    expect(cards).to_have_count(10)
    expect(column.get_by_label("13 cards")).to_be_visible()
    expect(column.get_by_text("3 older done cards not shown")).to_be_visible()


def test_the_card_page_edits_an_automation_cards_estimate_and_targets(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "c")
    card = make_card(api, board, "Script the disk cleanup", kind="automation")
    plain = make_card(api, board, "Talk to the vendor")
    page = new_page()
    page.goto(f"{firelane.url}/cards/{plain['id']}")
    expect(page.get_by_label("Estimate (min)")).to_be_visible()
    expect(page.get_by_label("Automates")).to_have_count(0)  # automation cards only
    page.goto(f"{firelane.url}/cards/{card['id']}")
    page.get_by_label("Estimate (min)").fill("240")
    page.get_by_label("Automates").fill("alert:1:DiskFull, schedule:3")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("version 2")).to_be_visible()
    saved = api.get(f"/api/v1/cards/{card['id']}").json()
    assert saved["estimate_minutes"] == 240
    assert saved["automates"] == ["alert:1:DiskFull", "schedule:3"]
    page.reload()
    expect(page.get_by_label("Estimate (min)")).to_have_value("240")
    expect(page.get_by_label("Automates")).to_have_value("alert:1:DiskFull, schedule:3")
    page.get_by_label("Estimate (min)").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("version 3")).to_be_visible()
    assert api.get(f"/api/v1/cards/{card['id']}").json()["estimate_minutes"] is None


def test_the_move_menu_is_on_top_and_works_by_keyboard(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "c")
    for title in ("Below", "Above"):
        make_card(api, board, title, position="top")
    page = new_page()
    page.goto(f"{firelane.url}/boards/{board['slug']}")
    opener = page.get_by_role("button", name="Move Above")
    opener.focus()
    page.keyboard.press("Enter")
    menu = page.get_by_role("menu", name="Move Above")
    items = menu.get_by_role("menuitem")
    expect(items.first).to_be_focused()
    # Drawn over the card below it: the point at the middle of the last item is the item.
    last = items.last.bounding_box()
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.textContent",
        [last["x"] + last["width"] / 2, last["y"] + last["height"] / 2],
    )
    assert hit == "To the bottom"
    page.keyboard.press("ArrowUp")
    expect(items.last).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    expect(opener).to_be_focused()
    opener.click()
    page.get_by_role("heading", level=1).click()  # a click elsewhere closes it
    expect(menu).to_have_count(0)
    opener.click()
    expect(items.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # "To Done" (the second item: after "To In progress")
    done = page.get_by_role("region", name="Done", exact=True)
    expect(done.get_by_role("article").filter(has_text="Above")).to_be_visible()


def test_the_card_page_says_where_the_card_is(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "c")
    card = make_card(api, board, "Check <the> backups")
    page = new_page()
    page.goto(f"{firelane.url}/cards/{card['id']}")
    expect(page.get_by_role("heading", name="Check <the> backups", level=1)).to_be_visible()
    expect(page).to_have_title("Check <the> backups · Firelane")
    page.get_by_role("link", name=f"← {board['name']}").click()
    expect(page).to_have_url(f"{firelane.url}/boards/{board['slug']}")
    expect(page).to_have_title(f"{board['name']} · Firelane")
