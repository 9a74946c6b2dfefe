"""The automation page in real Chromium: rules made in its form, paused and removed;
webhooks added (their secret shown once), paused and removed; the delivery log with
redeliver, a real worker sending. Elements are found as a screen reader finds them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import make_board
from tests.e2e.processes import Firelane, until
from tests.hooks.receiver import Receiver

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def firelane(served_board: Firelane) -> Firelane:
    """This module's tests share one served Firelane (see tests/e2e/conftest.py)."""
    return served_board


def test_rules_webhooks_and_a_delivery_redelivered(
    new_page: Any, api: httpx.Client, firelane: Firelane, receiver: Receiver
) -> None:
    board = make_board(api, "a")
    rule = {
        "name": f"Label {board['slug']}",
        "trigger": "card.created",
        "conditions": {"board_id": board["id"]},
        "actions": [{"type": "add_label", "label": "seen"}],
    }
    assert api.post("/api/v1/rules", json=rule).status_code == 201
    page = new_page()
    page.goto(f"{firelane.url}/automation")
    expect(page.get_by_role("heading", name="Rules, webhooks and deliveries")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=rule["name"])).to_contain_text("add_label")
    hook = page.get_by_role("form", name="New webhook")
    hook.get_by_label("URL").fill(receiver.url)
    hook.get_by_label("Events").fill("card.created")
    hook.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_role("status").filter(has_text="shown once")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=receiver.url)).to_contain_text("card.created")
    card = api.post(f"/api/v1/boards/{board['id']}/cards", json={"title": "Tell CI"}).json()
    worker = firelane.start("worker")  # this server sends nothing itself (--no-scheduler)
    try:

        def delivered_one() -> Any:
            listed = api.get("/api/v1/deliveries", params={"status": "delivered"}).json()
            return next((d for d in listed["items"] if d["card_id"] == card["id"]), None)

        # The receiver may answer before the delivery loop has written "delivered".
        delivered = until("the delivery to be logged as delivered", delivered_one)
        page.get_by_label("Status").select_option("delivered")
        row = page.get_by_role("row").filter(has=page.get_by_role("button", name="Redeliver"))
        expect(row.first).to_contain_text("card.created")
        expect(row.first).to_contain_text("200")
        row.first.get_by_role("button", name="Redeliver").click()
        expect(page.get_by_role("status").filter(has_text="queued again").first).to_be_visible()
        until("the webhook to be called again", lambda: len(receiver.requests) >= 2)
        until(
            "the redelivery to be logged",
            lambda: api.get(f"/api/v1/deliveries/{delivered['id']}").json()["attempts"] == 2,
        )
        hook_row = page.get_by_role("row").filter(has_text=receiver.url)
        hook_row.get_by_role("button", name="Pause").click()
        expect(hook_row.get_by_role("button", name="Resume")).to_be_visible()
        expect(hook_row.get_by_role("cell", name="no", exact=True)).to_be_visible()
        hook_row.get_by_role("button", name=f"Remove {receiver.url}").click()
        hook_row.get_by_role("button", name="Remove, with its delivery log").click()
        expect(hook_row).to_have_count(0)
        expect(page.get_by_text("No deliveries with status delivered.")).to_be_visible()
        assert api.get("/api/v1/webhooks").json()["items"] == []
    finally:
        firelane.stop(worker)


def test_a_rule_made_paused_and_removed_on_the_automation_page(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board, other = make_board(api, "u"), make_board(api, "w")
    name = f"Triage fires {board['slug']}"
    page = new_page()
    page.goto(f"{firelane.url}/automation")
    form = page.get_by_role("form", name="New rule")
    form.get_by_label("Name").fill(name)
    form.get_by_label("When").select_option("card.created")
    form.get_by_label("On board").select_option(str(board["id"]))
    form.get_by_label("Kind of card").select_option("fire")
    form.get_by_label("Do", exact=True).select_option("set_priority")
    form.get_by_label("Value").select_option("urgent")
    form.get_by_role("button", name="Make rule").click()
    row = page.get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("set_priority")

    def priority(target: dict[str, Any], kind: str) -> str:
        body = {"title": f"a {kind}", "kind": kind}
        made = api.post(f"/api/v1/boards/{target['id']}/cards", json=body)
        assert made.status_code == 201, made.text
        value: str = api.get(f"/api/v1/cards/{made.json()['id']}").json()["priority"]
        return value

    assert priority(board, "fire") == "urgent"
    assert priority(board, "project") == "medium"  # another kind
    assert priority(other, "fire") == "medium"  # another board
    row.get_by_role("button", name="Pause").click()
    expect(row.get_by_role("button", name="Resume")).to_be_visible()
    assert priority(board, "fire") == "medium"
    row.get_by_role("button", name=f"Remove {name}").click()
    row.get_by_role("button", name="Remove the rule").click()
    expect(row).to_have_count(0)
    assert name not in [r["name"] for r in api.get("/api/v1/rules").json()["items"]]
