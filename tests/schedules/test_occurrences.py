"""Catch-up after downtime, overlap policies, run-now, pause, and full columns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError

from app.core.clock import ManualClock
from app.core.db import Database
from app.schedules.jobs import tick
from app.schedules.models import OccurrenceStatus, OccurrenceTrigger, ScheduleOccurrence
from tests.schedules.conftest import (
    chore_cards,
    close_card,
    count,
    create_schedule,
    occurrences,
    run_until,
)


def _day(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _events(client: TestClient, card: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(f"/api/v1/cards/{card['id']}/events").json()["items"]
    return items


def test_three_days_of_downtime_make_one_catch_up_card(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    schedule = create_schedule(admin, board, overlap="stack")
    manual_clock.set(_day(2))
    assert tick(db).created == 1
    # The scheduler is down from Monday 09:00 until Thursday 12:00: three runs came due.
    manual_clock.set(_day(5, 12))
    report = tick(db)
    assert (report.created, report.missed, report.skipped) == (1, 2, 0)
    assert tick(db).schedules == 0
    cards = chore_cards(member, board)
    assert [card["due_at"] for card in cards] == ["2026-03-02T09:00:00Z", "2026-03-05T09:00:00Z"]
    caught_up = _events(member, cards[1])[-1]
    assert caught_up["type"] == "schedule.occurred"
    assert caught_up["data"]["missed"] == 2 and caught_up["data"]["late_seconds"] == 3 * 3600
    rows = occurrences(member, schedule)
    assert [(row["scheduled_for"][:10], row["status"]) for row in rows] == [
        ("2026-03-02", "created"),
        ("2026-03-03", "missed"),
        ("2026-03-04", "missed"),
        ("2026-03-05", "created"),
    ]
    assert all(
        row["card_id"] is None and row["reason"] for row in rows if row["status"] == "missed"
    )
    missed_only = member.get(
        f"/api/v1/schedules/{schedule['id']}/occurrences", params={"status": "missed"}
    ).json()["items"]
    assert len(missed_only) == 2
    assert member.get(f"/api/v1/schedules/{schedule['id']}").json()["next_occurrence_at"] == (
        "2026-03-06T09:00:00Z"
    )


def test_a_catch_up_older_than_the_grace_is_missed_too(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    schedule = create_schedule(admin, board, grace_minutes=120)
    manual_clock.set(_day(5, 12))  # three hours after the latest run: beyond the grace
    report = tick(db)
    assert (report.created, report.missed) == (0, 4)
    assert chore_cards(member, board) == []
    latest = occurrences(member, schedule)[-1]
    assert latest["status"] == "missed" and "grace" in latest["reason"]
    manual_clock.set(_day(6, 10, 30))  # 90 minutes late: within the grace
    assert tick(db).created == 1


def test_skip_policy_flags_the_open_card_instead_of_stacking(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    schedule = create_schedule(admin, board)  # overlap defaults to skip
    run_until(db, manual_clock, _day(4, 10), timedelta(hours=1))
    (card,) = chore_cards(member, board)
    assert card["due_at"] == "2026-03-02T09:00:00Z"
    assert card["labels"] == ["certs", "overdue"]
    types = [event["type"] for event in _events(member, card)]
    assert types == [
        "card.created",
        "schedule.occurred",
        "card.updated",
        "schedule.skipped",
        "schedule.skipped",
    ]
    skipped = _events(member, card)[-1]
    assert skipped["data"]["occurrence"]["scheduled_for"] == "2026-03-04T09:00:00+00:00"
    rows = occurrences(member, schedule)
    assert [row["status"] for row in rows] == ["created", "skipped", "skipped"]
    assert {row["card_id"] for row in rows} == {card["id"]}
    # Done with the chore: the next run makes a fresh card that links back.
    close_card(member, board, card)
    run_until(db, manual_clock, _day(5, 10), timedelta(hours=1))
    cards = chore_cards(member, board)
    assert len(cards) == 2 and cards[1]["due_at"] == "2026-03-05T09:00:00Z"
    assert cards[1]["links"] == [{"target_card_id": card["id"], "kind": "recurrence_of"}]
    assert "overdue" not in cards[1]["labels"]


def test_a_skip_says_why_and_a_card_is_overdue_only_after_its_due_time(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    # A daily chore made a day ahead: each run comes the instant the last card falls due.
    schedule = create_schedule(admin, board, lead_minutes=24 * 60)
    manual_clock.set(_day(2))
    assert tick(db).created == 1
    (card,) = chore_cards(member, board)
    assert card["due_at"] == "2026-03-03T09:00:00Z"
    manual_clock.set(_day(3))
    assert tick(db).skipped == 1
    skipped = occurrences(member, schedule)[-1]
    assert skipped["status"] == "skipped" and skipped["card_id"] == card["id"]
    assert skipped["reason"] == f"card {card['id']} of an earlier run is still open (overlap: skip)"
    assert "overdue" not in chore_cards(member, board)[0]["labels"]
    # A run later, the card is past its due time.
    manual_clock.set(_day(4))
    assert tick(db).skipped == 1
    assert chore_cards(member, board)[0]["labels"] == ["certs", "overdue"]
    # A manual run that finds the card open says why, too.
    manual_clock.advance(timedelta(minutes=1))
    by_hand = member.post(f"/api/v1/schedules/{schedule['id']}/run").json()
    assert by_hand["status"] == "skipped" and by_hand["reason"] == skipped["reason"]


def test_stack_policy_always_makes_a_card(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    create_schedule(admin, board, overlap="stack")
    report = run_until(db, manual_clock, _day(4, 10), timedelta(hours=1))
    assert report.created == 3 and report.skipped == 0
    assert all(card["status"] == "open" for card in chore_cards(member, board))


def test_run_now_makes_one_occurrence_and_leaves_the_calendar_alone(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    schedule = create_schedule(admin, board)
    url = f"/api/v1/schedules/{schedule['id']}"
    response = member.post(f"{url}/run")
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["status"] == "created" and made["trigger"] == "manual"
    assert made["scheduled_for"] == "2026-03-02T06:00:00Z"
    (card,) = chore_cards(member, board)
    assert card["id"] == made["card_id"] and card["due_at"] == made["scheduled_for"]
    assert _events(member, card)[-1]["actor"] == "user:mia"
    assert member.get(url).json()["next_run_at"] == schedule["next_run_at"]
    # The same instant again is a conflict, not a second occurrence.
    again = member.post(f"{url}/run")
    assert again.status_code == 409 and again.json()["error"] == "occurrence_exists"
    # A minute later the card is still open, and the policy is skip.
    manual_clock.advance(timedelta(minutes=1))
    skipped = member.post(f"{url}/run").json()
    assert skipped["status"] == "skipped" and skipped["card_id"] == card["id"]
    assert count(db, "card", "kind = 'maintenance'") == 1


def test_run_now_at_the_scheduled_moment_does_not_double_it(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    schedule = create_schedule(admin, board, overlap="stack")
    manual_clock.set(_day(2))
    assert member.post(f"/api/v1/schedules/{schedule['id']}/run").status_code == 201
    report = tick(db)
    assert report.schedules == 1 and report.created == 0
    assert count(db, "card", "kind = 'maintenance'") == 1
    assert len(occurrences(member, schedule)) == 1


def test_paused_schedules_make_nothing_and_resume_forward(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    schedule = create_schedule(admin, board, overlap="stack")
    url = f"/api/v1/schedules/{schedule['id']}"
    assert member.post(f"{url}/pause").status_code == 200
    run_until(db, manual_clock, _day(4, 12), timedelta(hours=1))
    assert chore_cards(member, board) == [] and occurrences(member, schedule) == []
    # A manual run works while paused.
    assert member.post(f"{url}/run").json()["status"] == "created"
    resumed = member.post(f"{url}/resume").json()
    assert resumed["next_occurrence_at"] == "2026-03-05T09:00:00Z"
    run_until(db, manual_clock, _day(5, 12), timedelta(hours=1))
    statuses = [row["status"] for row in occurrences(member, schedule)]
    assert statuses == ["created", "created"]


def test_a_full_hard_wip_column_holds_the_run_until_there_is_room(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    doing = board["columns"]["Doing"]
    admin.patch(
        f"/api/v1/boards/{board['id']}/columns/{doing}", json={"wip_limit": 1, "wip_mode": "hard"}
    )
    blocker = member.post(
        f"/api/v1/boards/{board['id']}/cards", json={"title": "Busy", "column_id": doing}
    ).json()
    schedule = create_schedule(admin, board, column_id=doing)
    manual_clock.set(_day(2))
    report = tick(db)
    assert report.created == 0 and list(report.failed) == [schedule["id"]]
    assert "WIP" in report.failed[schedule["id"]]
    assert occurrences(member, schedule) == []
    close_card(member, board, blocker)
    manual_clock.advance(timedelta(minutes=1))
    assert tick(db).created == 1
    (card,) = chore_cards(member, board)
    assert card["column_id"] == doing and card["due_at"] == "2026-03-02T09:00:00Z"


def test_a_deleted_column_falls_back_to_the_first_column(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    doing = board["columns"]["Doing"]
    schedule = create_schedule(admin, board, column_id=doing)
    response = admin.delete(f"/api/v1/boards/{board['id']}/columns/{doing}")
    assert response.status_code == 204, response.text
    assert member.get(f"/api/v1/schedules/{schedule['id']}").json()["column_id"] is None
    manual_clock.set(_day(2))
    assert tick(db).created == 1
    (card,) = chore_cards(member, board)
    assert card["column_id"] == board["columns"]["Todo"]


def test_deleting_the_board_deletes_its_schedules(
    admin: TestClient, board: dict[str, Any], db: Database, manual_clock: ManualClock
) -> None:
    create_schedule(admin, board)
    assert admin.delete(f"/api/v1/boards/{board['id']}").status_code == 204
    assert count(db, "schedule") == 0
    manual_clock.set(_day(3))
    assert tick(db).schedules == 0


def test_the_database_refuses_a_second_occurrence_of_a_run(
    admin: TestClient, board: dict[str, Any], db: Database
) -> None:
    schedule = create_schedule(admin, board)

    def insert(status: OccurrenceStatus) -> None:
        with db.session() as session:
            session.add(
                ScheduleOccurrence(
                    schedule_id=schedule["id"],
                    scheduled_for=_day(9),
                    status=status,
                    trigger=OccurrenceTrigger.schedule,
                )
            )
            session.commit()

    insert(OccurrenceStatus.missed)
    with pytest.raises(IntegrityError):
        insert(OccurrenceStatus.created)
    assert count(db, "schedule_occurrence") == 1
