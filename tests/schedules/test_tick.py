"""The scheduler tick puts chore cards on the board at the right time, once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from app.core.clock import ManualClock
from app.core.db import Database
from app.schedules.jobs import tick
from tests.schedules.conftest import chore_cards, create_schedule, occurrences, run_until
from tests.support import hearing

BERLIN = ZoneInfo("Europe/Berlin")


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_daily_chore_card_appears_on_time_with_its_template(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    with hearing() as heard:
        schedule = create_schedule(
            admin, board, timezone="Europe/Berlin", title="Rotate certs {date} ({weekday})"
        )
        # 09:00 in Berlin is 08:00 UTC; the clock stands at 06:00 UTC.
        manual_clock.set(datetime(2026, 3, 2, 7, 59, 59, tzinfo=UTC))
        assert tick(db).schedules == 0
        assert chore_cards(member, board) == []
        manual_clock.set(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
        report = tick(db)
        assert (report.schedules, report.created, report.skipped, report.missed) == (1, 1, 0, 0)
        assert tick(db).schedules == 0  # a second tick at the same moment does nothing
    (card,) = chore_cards(member, board)
    assert card["title"] == "Rotate certs 2026-03-02 (Monday)"
    assert card["kind"] == "maintenance" and card["priority"] == "high"
    assert card["labels"] == ["certs"] and card["column_id"] == board["columns"]["Todo"]
    assert [item["text"] for item in card["checklist"]] == ["Renew", "Deploy", "Verify expiry"]
    assert card["due_at"] == "2026-03-02T08:00:00Z"
    types = [e["type"] for e in member.get(f"/api/v1/cards/{card['id']}/events").json()["items"]]
    assert types == ["card.created", "schedule.occurred"]
    occurred = member.get(f"/api/v1/cards/{card['id']}/events").json()["items"][1]
    assert occurred["actor"] == f"schedule:{schedule['id']}"
    assert occurred["data"]["schedule"]["estimate_minutes"] == 30
    assert occurred["data"]["occurrence"]["scheduled_for"] == "2026-03-02T08:00:00+00:00"
    assert occurred["data"]["missed"] == 0 and occurred["data"]["late_seconds"] == 0
    emitted = [event for event in heard if event.type == "schedule.occurred"]
    assert len(emitted) == 1 and emitted[0].card_id == card["id"]
    assert emitted[0].data["card"]["title"] == card["title"]
    (occurrence,) = occurrences(member, schedule)
    assert occurrence["status"] == "created" and occurrence["card_id"] == card["id"]
    assert occurrence["trigger"] == "schedule"
    after = member.get(f"/api/v1/schedules/{schedule['id']}").json()
    assert after["next_occurrence_at"] == "2026-03-03T08:00:00Z"


def test_lead_time_makes_the_card_early_and_due_at_the_occurrence(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    schedule = create_schedule(admin, board, cron="0 9 * * wed", lead_minutes=26 * 60)
    assert schedule["next_run_at"] == "2026-03-03T07:00:00Z"
    manual_clock.set(datetime(2026, 3, 3, 6, 59, tzinfo=UTC))
    assert tick(db).created == 0
    manual_clock.set(datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
    assert tick(db).created == 1
    (card,) = chore_cards(member, board)
    assert (
        card["due_at"] == "2026-03-04T09:00:00Z"
        and card["title"] == "Rotate certificates 2026-03-04"
    )
    assert card["created_at"] == "2026-03-03T07:00:00Z"


def test_weekly_monthly_and_second_tuesday_over_three_months(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    step = timedelta(minutes=30)
    made = {
        "weekly": create_schedule(admin, board, name="weekly", cron="0 9 * * mon", overlap="stack"),
        "monthly": create_schedule(admin, board, name="monthly", cron="0 6 1 * *", overlap="stack"),
        "patch": create_schedule(
            admin,
            board,
            name="patch",
            cron="0 10 * * tue#2",
            timezone="Europe/Berlin",
            overlap="stack",
        ),
    }
    report = run_until(db, manual_clock, datetime(2026, 6, 1, 12, tzinfo=UTC), step)
    by_schedule: dict[str, list[str]] = {name: [] for name in made}
    names = {s["id"]: name for name, s in made.items()}
    for schedule in made.values():
        for occurrence in occurrences(member, schedule):
            assert occurrence["status"] == "created"
            by_schedule[names[occurrence["schedule_id"]]].append(occurrence["scheduled_for"])
    assert by_schedule["weekly"] == [f"2026-{d}T09:00:00Z" for d in (
        "03-02", "03-09", "03-16", "03-23", "03-30", "04-06", "04-13", "04-20", "04-27",
        "05-04", "05-11", "05-18", "05-25", "06-01",
    )]  # fmt: skip
    assert by_schedule["monthly"] == [
        "2026-04-01T06:00:00Z",
        "2026-05-01T06:00:00Z",
        "2026-06-01T06:00:00Z",
    ]
    # The second Tuesday at 10:00 in Berlin, in winter and in summer time.
    assert by_schedule["patch"] == [
        "2026-03-10T09:00:00Z",
        "2026-04-14T08:00:00Z",
        "2026-05-12T08:00:00Z",
    ]
    cards = chore_cards(member, board)
    assert len(cards) == report.created == 20 and report.missed == report.skipped == 0
    for card in cards:  # each on time: made within one tick of its creation time
        late = _at(card["created_at"]) - _at(card["due_at"])
        assert timedelta(0) <= late < step, card


def _local_days(cards: list[dict[str, Any]]) -> Counter[str]:
    return Counter(_at(card["due_at"]).astimezone(BERLIN).date().isoformat() for card in cards)


def test_daily_0230_runs_once_on_the_spring_forward_day(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    manual_clock.set(datetime(2026, 3, 27, tzinfo=UTC))
    create_schedule(admin, board, cron="30 2 * * *", timezone="Europe/Berlin", overlap="stack")
    run_until(db, manual_clock, datetime(2026, 3, 31, 12, tzinfo=UTC), timedelta(minutes=10))
    cards = chore_cards(member, board)
    assert _local_days(cards) == {f"2026-03-{day}": 1 for day in (27, 28, 29, 30, 31)}
    local = [_at(card["due_at"]).astimezone(BERLIN).strftime("%d %H:%M %Z") for card in cards]
    assert local == [
        "27 02:30 CET",
        "28 02:30 CET",
        "29 03:30 CEST",
        "30 02:30 CEST",
        "31 02:30 CEST",
    ]


def test_daily_0230_runs_once_on_the_fall_back_day(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    manual_clock.set(datetime(2026, 10, 23, tzinfo=UTC))
    create_schedule(admin, board, cron="30 2 * * *", timezone="Europe/Berlin", overlap="stack")
    run_until(db, manual_clock, datetime(2026, 10, 27, 12, tzinfo=UTC), timedelta(minutes=10))
    cards = chore_cards(member, board)
    assert _local_days(cards) == {f"2026-10-{day}": 1 for day in (23, 24, 25, 26, 27)}
    local = [_at(card["due_at"]).astimezone(BERLIN).strftime("%d %H:%M %Z") for card in cards]
    assert local == [
        "23 02:30 CEST",
        "24 02:30 CEST",
        "25 02:30 CEST",
        "26 02:30 CET",
        "27 02:30 CET",
    ]


def test_interval_schedule_and_its_end(
    admin: TestClient,
    member: TestClient,
    board: dict[str, Any],
    db: Database,
    manual_clock: ManualClock,
) -> None:
    schedule = create_schedule(
        admin,
        board,
        cron=None,
        interval_minutes=90,
        overlap="stack",
        ends_at="2026-03-02T12:00:00Z",
        title="Check queue {time}",
    )
    run_until(db, manual_clock, datetime(2026, 3, 2, 18, tzinfo=UTC), timedelta(minutes=5))
    cards = chore_cards(member, board)
    assert [card["due_at"][11:16] for card in cards] == ["07:30", "09:00", "10:30", "12:00"]
    assert cards[0]["title"] == "Check queue 07:30"
    ended = member.get(f"/api/v1/schedules/{schedule['id']}").json()
    assert ended["next_run_at"] is None and ended["next_occurrence_at"] is None
    assert member.get(f"/api/v1/schedules/{schedule['id']}/preview").json()["runs"] == []
