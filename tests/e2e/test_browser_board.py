"""The board in real Chromium: log in, add, drag, move by keyboard, live across browsers,
alerts arriving through ``serve --ingest-writer``, hostile alert text, WIP refusals and
edit conflicts. Elements are found as a screen reader finds them: by role and name."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import make_board, make_card, open_board, region
from tests.e2e.processes import Firelane


@pytest.fixture(scope="module")
def firelane(served_board: Firelane) -> Firelane:
    """This module's tests share one served Firelane (see tests/e2e/conftest.py)."""
    return served_board


pytestmark = pytest.mark.e2e


def _board(api: httpx.Client, **review: Any) -> dict[str, Any]:
    columns = [
        {"name": "Triage"},
        {"name": "In progress"},
        {"name": "Review", "wip_limit": 1, "wip_mode": "hard", **review},
        {"name": "Done", "is_done": True},
    ]
    return make_board(api, "b", columns)


def _card(api: httpx.Client, board: dict[str, Any], title: str, column: str = "Triage") -> Any:
    return make_card(api, board, title, column_id=board["column"][column])


def _column_of(api: httpx.Client, card_id: int) -> int:
    column_id: int = api.get(f"/api/v1/cards/{card_id}").json()["column_id"]
    return column_id


def test_pages_send_a_stranger_to_login(new_page: Any, firelane: Firelane) -> None:
    page = new_page(None)
    page.goto(f"{firelane.url}/boards/anything")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert "/login?next=" in page.url


def test_add_a_card_drag_it_and_it_stays_after_a_reload(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = _board(api)
    page = new_page()
    open_board(page, firelane.url, board)
    page.get_by_label("Title", exact=True).fill("Write the disk runbook")
    page.get_by_role("button", name="Add card").click()
    card = region(page, "Triage").get_by_role("article").filter(has_text="Write the disk runbook")
    expect(card).to_be_visible()
    target = region(page, "In progress").locator(".column-body")
    card.hover()
    page.mouse.down()
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 40, steps=12)
    page.mouse.up()
    moved = (
        region(page, "In progress").get_by_role("article").filter(has_text="Write the disk runbook")
    )
    expect(moved).to_be_visible()
    card_id = int(moved.get_attribute("data-card-id"))
    page.wait_for_function("() => !document.querySelector('.notice-error')")
    for _ in range(50):
        if _column_of(api, card_id) == board["column"]["In progress"]:
            break
        page.wait_for_timeout(100)
    assert _column_of(api, card_id) == board["column"]["In progress"]
    page.reload()
    expect(
        region(page, "In progress").get_by_role("article").filter(has_text="Write the disk runbook")
    ).to_be_visible()


def test_the_keyboard_moves_a_card_and_another_browser_sees_it_live(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = _board(api)
    card = _card(api, board, "Rotate the API keys")
    mine, theirs = new_page("alice"), new_page("bob")
    open_board(mine, firelane.url, board)
    open_board(theirs, firelane.url, board)
    tile = region(mine, "Triage").get_by_role("article").filter(has_text="Rotate the API keys")
    tile.focus()
    mine.keyboard.press("Shift+ArrowRight")
    expect(
        region(mine, "In progress").get_by_role("article").filter(has_text="Rotate the API keys")
    ).to_be_visible()
    # The other person's board follows within a second or two, without a reload.
    expect(
        region(theirs, "In progress").get_by_role("article").filter(has_text="Rotate the API keys")
    ).to_be_visible(timeout=3000)
    assert _column_of(api, card["id"]) == board["column"]["In progress"]
    # The menu way, for people who use neither a mouse nor the shortcuts.
    theirs.get_by_role("button", name="Move Rotate the API keys").click()
    theirs.get_by_role("menuitem", name="To Done").click()
    expect(
        region(mine, "Done").get_by_role("article").filter(has_text="Rotate the API keys")
    ).to_be_visible(timeout=3000)


def test_an_alert_appears_live_and_its_hostile_title_stays_text(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = _board(api)
    body = {"name": f"am-{board['slug']}", "kind": "generic", "board_id": board["id"]}
    integration = api.post("/api/v1/integrations", json=body).json()
    page = new_page()
    open_board(page, firelane.url, board)
    hostile = "<img src=x onerror=alert(1)>"
    sent = httpx.post(
        integration["ingest_url"].replace("http://127.0.0.1:8000", firelane.url),
        headers={"Authorization": f"Bearer {integration['token']}"},
        json={"title": hostile, "severity": "critical", "key": "xss"},
    )
    assert sent.status_code == 202, sent.text
    card = region(page, "Triage").get_by_role("article").filter(has_text=hostile)
    expect(card).to_be_visible(timeout=3000)
    expect(card).to_contain_text("firing for")
    assert card.locator("img").count() == 0
    page.wait_for_timeout(300)
    assert new_page.dialogs == []


def test_a_hard_wip_limit_refuses_the_move_with_the_servers_words(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = _board(api)
    _card(api, board, "Already in review", "Review")
    waiting = _card(api, board, "Wants review")
    page = new_page()
    open_board(page, firelane.url, board)
    full = region(page, "Review").get_by_label("1 of 1 (hard limit)", exact=True)
    expect(full).to_have_class(re.compile(r"\bfull\b"))
    page.get_by_role("button", name="Move Wants review").click()
    page.get_by_role("menuitem", name="To Review").click()
    expect(page.get_by_role("alert")).to_contain_text("Wants review")
    expect(page.get_by_role("alert")).to_contain_text("WIP")
    expect(
        region(page, "Triage").get_by_role("article").filter(has_text="Wants review")
    ).to_be_visible()
    assert _column_of(api, waiting["id"]) == board["column"]["Triage"]


def test_an_edit_conflict_is_shown_and_what_was_typed_is_kept(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = _board(api)
    card = _card(api, board, "Upgrade PostgreSQL")
    page = new_page()
    page.goto(f"{firelane.url}/cards/{card['id']}")
    title = page.get_by_label("Title", exact=True)
    expect(title).to_have_value("Upgrade PostgreSQL")
    title.fill("Upgrade PostgreSQL to 17")
    # Someone else changes the card meanwhile.
    changed = api.patch(
        f"/api/v1/cards/{card['id']}", json={"version": card["version"], "priority": "urgent"}
    )
    assert changed.status_code == 200
    expect(page.get_by_text("changed this card while you were editing")).to_be_visible(timeout=3000)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Someone else changed this card")
    expect(title).to_have_value("Upgrade PostgreSQL to 17")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("version 3")).to_be_visible()
    saved = api.get(f"/api/v1/cards/{card['id']}").json()
    assert saved["title"] == "Upgrade PostgreSQL to 17"
    assert saved["priority"] == "urgent"
