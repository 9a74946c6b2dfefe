"""The card page in real Chromium: fields, the description as Markdown with raw HTML off,
the checklist, comments, the activity timeline with who did what, a fire's alert with its
runbook and generator links and raw events, and a chore's link to its last recurrence.
Elements are found as a screen reader finds them: by role and name."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.browser import make_board
from tests.e2e.processes import Firelane

pytestmark = pytest.mark.e2e

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def firelane(served_board: Firelane) -> Firelane:
    """This module's tests share one served Firelane (see tests/e2e/conftest.py)."""
    return served_board


def test_the_card_page_edits_a_card(new_page: Any, api: httpx.Client, firelane: Firelane) -> None:
    board = make_board(api, "k")
    card = api.post(f"/api/v1/boards/{board['id']}/cards", json={"title": "Move the backups"})
    card_id = card.json()["id"]
    page = new_page()
    page.goto(f"{firelane.url}/cards/{card_id}")
    form = page.get_by_role("form", name="Edit card")
    written = (
        f"**Bold** {HOSTILE} [runbook](https://runbooks.example/backups) "
        "[trap](javascript:alert(2))"
    )
    form.get_by_label("Description").fill(written)
    form.get_by_label("Priority").select_option("urgent")
    form.get_by_label("Assignee").fill("bob")
    form.get_by_label("Labels").fill("backup, s3")
    form.get_by_label("Time spent (min)").fill("45")
    form.get_by_label("Estimate (min)").fill("120")
    with page.expect_response(lambda r: r.request.method == "PATCH") as answer:
        form.get_by_role("button", name="Save").click()
    assert answer.value.status == 200
    saved = api.get(f"/api/v1/cards/{card_id}").json()
    expect(page.get_by_text(f"version {saved['version']}")).to_be_visible()
    assert saved["description"] == written
    assert saved["priority"] == "urgent" and saved["assignee"] == "bob"
    assert saved["labels"] == ["backup", "s3"]
    assert saved["time_spent_minutes"] == 45 and saved["estimate_minutes"] == 120
    # Markdown with raw HTML off: the tag is text, only the http(s) link is a link.
    form.get_by_role("button", name="Preview").click()
    shown = form.locator(".markdown")
    expect(shown.locator("strong")).to_have_text("Bold")
    expect(shown).to_contain_text(HOSTILE)
    assert shown.locator("img").count() == 0
    link = shown.get_by_role("link", name="runbook")
    expect(link).to_have_attribute("href", "https://runbooks.example/backups")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(shown.get_by_role("link")).to_have_count(1)
    # The checklist.
    checklist = page.get_by_role("region", name="Checklist")
    checklist.get_by_label("New item").fill("Copy to the second bucket")
    checklist.get_by_role("button", name="Add").click()
    item = checklist.get_by_role("checkbox", name="Copy to the second bucket")
    expect(item).not_to_be_checked()
    with page.expect_response(lambda r: r.request.method == "PATCH") as answer:
        item.check()
    assert answer.value.status == 200
    expect(item).to_be_checked()
    assert api.get(f"/api/v1/cards/{card_id}").json()["checklist"][0]["done"] is True
    checklist.get_by_role("button", name="Remove Copy to the second bucket").click()
    expect(item).to_have_count(0)
    # Comments, as Markdown too.
    comments = page.get_by_role("region", name="Comments")
    comments.get_by_label("Comment").fill(f"Done *by hand* {HOSTILE}")
    comments.get_by_role("button", name="Comment").click()
    comment = comments.get_by_role("article")
    expect(comment).to_contain_text(f"Done by hand {HOSTILE}")
    expect(comment.locator("em")).to_have_text("by hand")
    expect(comment.locator("header")).to_contain_text("alice")
    expect(comments.get_by_label("Comment")).to_have_value("")
    assert comment.locator("img").count() == 0
    # The activity says who did what.
    activity = page.get_by_role("region", name="Activity")
    expect(activity.get_by_role("listitem").filter(has_text="card.created")).to_contain_text(
        "alice"
    )
    expect(activity.get_by_role("listitem").filter(has_text="card.updated").first).to_be_visible()
    page.wait_for_timeout(200)
    assert new_page.dialogs == []


def test_a_fires_alert_and_a_chores_recurrence(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "k")
    body = {"name": f"am-{board['slug']}", "kind": "alertmanager", "board_id": board["id"]}
    integration = api.post("/api/v1/integrations", json=body).json()
    alert = {
        "status": "firing",
        "labels": {"alertname": "DiskFull", "instance": "db-1", "severity": "critical"},
        "annotations": {
            "summary": "Disk full on db-1",
            "runbook_url": "https://runbooks.example/disk-full",
        },
        "generatorURL": "https://prometheus.example/graph?g0.expr=disk",
    }
    sent = httpx.post(
        integration["ingest_url"].replace("http://127.0.0.1:8000", firelane.url),
        headers={"Authorization": f"Bearer {integration['token']}"},
        json={"version": "4", "status": "firing", "alerts": [alert]},
    )
    assert sent.status_code == 202, sent.text
    (fire_id,) = sent.json()["cards"]
    page = new_page()
    page.goto(f"{firelane.url}/cards/{fire_id}")
    details = page.get_by_role("region", name="Alert")
    expect(details).to_contain_text("firing")
    expect(details).to_contain_text("critical")
    for rel, url in (
        ("runbook", "https://runbooks.example/disk-full"),
        ("generator", "https://prometheus.example/graph?g0.expr=disk"),
    ):
        link = details.get_by_role("listitem").filter(has_text=f"{rel}:").get_by_role("link")
        expect(link).to_have_attribute("href", url)
        expect(link).to_have_attribute("rel", "noopener noreferrer")
    raw = details.get_by_role("group").first  # a <details> per event received
    raw.locator("summary").click()
    expect(raw.locator("pre")).to_contain_text("DiskFull")
    activity = page.get_by_role("region", name="Activity")
    expect(activity).to_contain_text(f"alert:{integration['name']}")

    schedule = api.post(
        "/api/v1/schedules",
        json={
            "name": f"Rotate logs {board['slug']}",
            "board_id": board["id"],
            "cron": "0 3 * * *",
            "title": "Rotate the logs",
            "overlap": "stack",
        },
    ).json()
    first = api.post(f"/api/v1/schedules/{schedule['id']}/run").json()["card_id"]
    second = api.post(f"/api/v1/schedules/{schedule['id']}/run").json()["card_id"]
    page.goto(f"{firelane.url}/cards/{second}")
    linked = page.get_by_role("region", name="Linked cards")
    earlier = linked.get_by_role("listitem").filter(has_text="recurrence of:")
    expect(earlier).to_contain_text("maintenance")
    earlier.get_by_role("link", name=f"Rotate the logs (#{first})").click()
    expect(page).to_have_url(f"{firelane.url}/cards/{first}")
    expect(page.get_by_role("heading", name="Rotate the logs", level=1)).to_be_visible()
    # ... and back: the first occurrence knows its next one.
    later = page.get_by_role("region", name="Linked cards").get_by_role("listitem")
    expect(later).to_have_count(1)
    expect(later).to_contain_text("recurrence of this card:")
    later.get_by_role("link", name=f"Rotate the logs (#{second})").click()
    expect(page).to_have_url(f"{firelane.url}/cards/{second}")


def test_the_due_time_is_the_persons_local_time(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "k")
    body = {"title": "Renew the domain", "due_at": "2026-12-10T12:00:00+00:00"}
    card = api.post(f"/api/v1/boards/{board['id']}/cards", json=body).json()
    page = new_page(timezone_id="Europe/Berlin")  # UTC+1 in December
    page.goto(f"{firelane.url}/cards/{card['id']}")
    due = page.get_by_label("Due")
    expect(due).to_have_value("2026-12-10T13:00")
    due.fill("2026-12-11T09:30")
    with page.expect_response(lambda r: r.request.method == "PATCH") as answer:
        page.get_by_role("button", name="Save").click()
    assert answer.value.status == 200
    saved = api.get(f"/api/v1/cards/{card['id']}").json()
    assert saved["due_at"].startswith("2026-12-11T08:30:00")
    expect(due).to_have_value("2026-12-11T09:30")


def test_an_archived_card_leaves_the_board(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "k")
    made = api.post(f"/api/v1/boards/{board['id']}/cards", json={"title": "Old news"}).json()
    watcher = new_page("bob")
    watcher.goto(f"{firelane.url}/boards/{board['slug']}")
    expect(watcher.get_by_role("status").filter(has_text="live")).to_be_visible()
    triage = watcher.get_by_role("region", name="Triage", exact=True)
    expect(triage.get_by_role("article", name="Old news")).to_be_visible()
    expect(triage.get_by_label("1 card", exact=True)).to_be_visible()
    page = new_page()
    page.goto(f"{firelane.url}/cards/{made['id']}")
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_text("archived · version")).to_be_visible()
    expect(page.get_by_role("button", name="Archive")).to_have_count(0)
    # Live on the other person's board, and gone after a reload too.
    expect(triage.get_by_role("article")).to_have_count(0)
    expect(triage.get_by_label("0 cards", exact=True)).to_be_visible()
    watcher.reload()
    expect(watcher.get_by_role("region", name="Triage", exact=True)).to_contain_text("Nothing here")


def test_a_long_checklist_does_not_stretch_the_form(
    new_page: Any, api: httpx.Client, firelane: Firelane
) -> None:
    board = make_board(api, "k")
    body = {"title": "Audit the hosts", "checklist": [f"host {n:02d}" for n in range(60)]}
    card = api.post(f"/api/v1/boards/{board['id']}/cards", json=body).json()
    page = new_page()
    page.goto(f"{firelane.url}/cards/{card['id']}")
    checklist = page.get_by_role("region", name="Checklist")
    expect(checklist.get_by_role("checkbox")).to_have_count(60)
    title = page.get_by_label("Title", exact=True).bounding_box()
    save = page.get_by_role("button", name="Save").bounding_box()
    assert title["height"] < 50 and save["height"] < 50, (title, save)
    # The form's fields sit together, above the long checklist's end.
    assert save["y"] < checklist.bounding_box()["y"] + checklist.bounding_box()["height"] / 2
