"""The event catalogue: docs match the code, and the shapes match their producers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.boards.models import CardKind, Priority
from app.boards.schemas import CardPublic
from app.core.db import Database
from app.hooks import catalogue, docs, publish
from app.hooks.loop import DeliveryLoop
from tests.hooks.conftest import make_rule, subscribe
from tests.hooks.receiver import Receiver

DOCS = Path(__file__).parents[2] / "docs" / "events.md"


def test_docs_are_generated_from_the_catalogue() -> None:
    assert DOCS.read_text() == docs.render_markdown(), (
        "docs/events.md is stale: run `python -m app.hooks.docs > docs/events.md`"
    )


def test_every_event_of_the_issue_is_catalogued() -> None:
    wanted = {
        "card.created", "card.updated", "card.moved", "card.done", "card.reopened",
        "card.commented", "alert.fired", "alert.repeated", "alert.resolved", "alert.expired",
        "schedule.occurred", "schedule.skipped", "report.published",
    }  # fmt: skip
    assert wanted <= set(catalogue.NAMES)
    for name in catalogue.NAMES:
        assert f"### `{name}` (version " in DOCS.read_text()


def test_shapes_match_the_boards_domain() -> None:
    assert set(catalogue.CardSnapshot.model_fields) == set(CardPublic.model_fields)
    assert set(catalogue.CARD_KINDS) == {kind.value for kind in CardKind}
    assert set(catalogue.PRIORITIES) == {priority.value for priority in Priority}


def test_a_card_event_validates_against_its_schema(
    admin: Any, board: dict[str, Any], loop: DeliveryLoop, receiver: Receiver
) -> None:
    subscribe(admin, receiver.url, ["*"])
    card = admin.post(f"/api/v1/boards/{board['id']}/cards", json={"title": "Shape"}).json()
    admin.post(f"/api/v1/cards/{card['id']}/comments", json={"body": "hello"})
    loop.run_until_idle()
    for request in receiver.requests:
        envelope = catalogue.Envelope.model_validate_json(request.body)
        model = catalogue.BY_NAME[envelope.event].data
        model.model_validate(envelope.data)
        assert envelope.version == 1 and request.headers["x-firelane-event"] == envelope.event
    # Deliveries go out concurrently: their order is not promised.
    assert sorted(r.headers["x-firelane-event"] for r in receiver.requests) == [
        "card.commented",
        "card.created",
    ]


def test_report_published_reaches_webhooks_and_rules(
    admin: Any, board: dict[str, Any], db: Database, loop: DeliveryLoop, receiver: Receiver
) -> None:
    subscribe(admin, receiver.url, ["report.published"])
    make_rule(
        admin,
        trigger="report.published",
        actions=[
            {
                "type": "create_linked_card",
                "title": "Review toil report {report.week}",
                "kind": "project",
                "board_id": board["id"],
            }
        ],
    )
    report = {"id": 9, "week": "2026-W48", "title": "Toil", "url": "https://f.example/r/9"}
    with db.session() as session:
        publish.report_published(session, report=report, board_id=board["id"])
        session.commit()
    loop.run_until_idle()
    (request,) = receiver.requests
    envelope = catalogue.Envelope.model_validate_json(request.body)
    assert envelope.event == "report.published" and envelope.card_id is None
    assert envelope.data == {"report": report}
    cards = admin.get("/api/v1/cards", params={"board_id": board["id"]}).json()["items"]
    assert [c["title"] for c in cards] == ["Review toil report 2026-W48"]


def test_schedule_events_match_their_schema(
    admin: Any, board: dict[str, Any], loop: DeliveryLoop, receiver: Receiver
) -> None:
    subscribe(admin, receiver.url, ["schedule.occurred", "schedule.skipped"])
    schedule = admin.post(
        "/api/v1/schedules",
        json={
            "name": "Rotate certs",
            "board_id": board["id"],
            "cron": "0 9 * * 1",
            "title": "Rotate certs {date}",
            "overlap": "skip",
        },
    )
    assert schedule.status_code == 201, schedule.text
    for _ in range(2):  # the second finds the first card open: skipped
        ran = admin.post(f"/api/v1/schedules/{schedule.json()['id']}/run")
        assert ran.status_code in (200, 201, 202), ran.text
    loop.run_until_idle()
    got = sorted(r.headers["x-firelane-event"] for r in receiver.requests)
    assert got == ["schedule.occurred", "schedule.skipped"]
    for request in receiver.requests:
        envelope = catalogue.Envelope.model_validate_json(request.body)
        data = catalogue.ScheduleData.model_validate(envelope.data)
        assert data.schedule.name == "Rotate certs"
