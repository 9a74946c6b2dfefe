"""The weekly job: at its weekday and time it stores and publishes last week's reports,
once, whatever runs it twice or at once; after downtime it catches up the last week only."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from app.auth.models import Role
from app.core.clock import ManualClock
from app.core.config import Settings
from app.core.db import Database
from app.reports import jobs
from app.reports.config import ReportSettings
from app.reports.models import ReportSnapshot
from app.reports.window import Week
from tests.conftest import MakeClient
from tests.reports.conftest import ZONE, History

BERLIN = ZoneInfo(ZONE)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def report_settings(**values: Any) -> ReportSettings:
    return ReportSettings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("local", "weekday", "at", "week"),
    [
        # Monday 09:00 (the default): the week before is due from then on.
        ("2026-03-30T08:59", "monday", time(9), "2026-W12"),
        ("2026-03-30T09:00", "monday", time(9), "2026-W13"),
        ("2026-04-05T23:59", "monday", time(9), "2026-W13"),
        ("2026-04-06T09:00", "monday", time(9), "2026-W14"),
        # Friday 17:00: the last week complete at the last Friday 17:00.
        ("2026-04-03T16:59", "friday", time(17), "2026-W12"),
        ("2026-04-03T17:00", "friday", time(17), "2026-W13"),
        # Across the year: Monday 2027-01-04 is in 2027-W01.
        ("2027-01-04T09:30", "monday", time(9), "2026-W53"),
    ],
)
def test_due_week(local: str, weekday: str, at: time, week: str) -> None:
    moment = datetime.fromisoformat(local).replace(tzinfo=BERLIN)
    settings = report_settings(report_weekday=weekday, report_time=at)
    assert str(jobs.due_week(moment, BERLIN, settings.weekday_number, at)) == week


def test_weekday_and_time_settings() -> None:
    assert report_settings(report_weekday="Tue").weekday_number == 1
    assert report_settings(report_time="07:30").report_time == time(7, 30)
    with pytest.raises(ValueError, match="report_weekday"):
        report_settings(report_weekday="someday")


@pytest.fixture
def history(client_for: MakeClient, manual_clock: ManualClock) -> History:
    admin = client_for(Role.admin, "root")
    return History(admin, {"ann": client_for(Role.member, "ann")}, manual_clock)


@pytest.fixture
def hooked(history: History) -> dict[str, Any]:
    """Boards ops and dev, a fire a week, a webhook and a Slack rule on report.published."""
    h = history
    ops = h.board("ops")
    h.board("dev")
    h.integration("prom", ops)
    for day in ("03-17", "03-24", "03-31", "04-07", "04-14"):
        h.at(utc(f"2026-{day}T08:00")).signal("prom", "Disk <b>Full</b>", instance=day)
    webhook = h.admin.post(
        "/api/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["report.published"]}
    ).json()
    rule = h.admin.post(
        "/api/v1/rules",
        json={
            "name": "weekly report to chat",
            "trigger": "report.published",
            "rate_limit": 100,
            "actions": [
                {"type": "web_request", "url": "http://127.0.0.1:9/slack", "preset": "slack"}
            ],
        },
    ).json()
    return {"webhook": webhook["id"], "rule": rule["id"]}


def _stored(db: Database) -> list[tuple[str, str, bool]]:
    with db.session(readonly=True) as session:
        rows = session.exec(
            select(ReportSnapshot).order_by(col(ReportSnapshot.week), col(ReportSnapshot.scope))
        )
        return [(row.week, row.scope, row.published_at is not None) for row in rows]


def _bodies(admin: TestClient, **params: int) -> list[Any]:
    items = admin.get("/api/v1/deliveries", params={**params, "limit": 200}).json()["items"]
    return [admin.get(f"/api/v1/deliveries/{item['id']}").json()["body"] for item in items]


def test_published_once_per_week_and_scope(
    history: History, hooked: dict[str, Any], db: Database, settings: Settings
) -> None:
    weekly = report_settings()
    # Monday 2026-03-30 08:59 in Berlin (CEST): the week before last is due (a first run).
    history.at(utc("2026-03-30T06:59"))
    run = jobs.publish_due(db, settings, weekly)
    assert (str(run.week), run.made, run.published) == ("2026-W12", 3, 3)
    history.at(utc("2026-03-30T07:00"))  # 09:00: last week is due
    run = jobs.publish_due(db, settings, weekly)
    assert (str(run.week), run.made, run.published) == ("2026-W13", 3, 3)
    again = jobs.publish_due(db, settings, weekly)  # the interval job, minutes later
    assert (again.made, again.published, again.failed) == (0, 0, 0)
    scopes = {scope for _, scope, _ in _stored(db)}
    assert len(scopes) == 3 and "all" in scopes
    assert all(published for _, _, published in _stored(db))

    # Each publication reached the webhook, and the rule's Slack preset sent its message.
    envelopes = [json.loads(body) for body in _bodies(history.admin, webhook_id=hooked["webhook"])]
    assert len(envelopes) == 6
    everything = next(
        each["data"]["report"]
        for each in envelopes
        if each["data"]["report"]["week"] == "2026-W13" and each["board_id"] is None
    )
    assert everything["title"] == "Weekly automation-debt report 2026-W13, all boards"
    assert everything["url"].endswith(f"/api/v1/reports/{everything['id']}?format=html")
    assert everything["headline"]["interruptions"] == 1
    messages = [json.loads(body)["text"] for body in _bodies(history.admin, rule_id=hooked["rule"])]
    assert len(messages) == 6
    assert f"<{everything['url']}|open the report>" in everything["text"]
    assert everything["text"] in messages
    assert all("<b>" not in message for message in messages)


def test_two_workers_store_and_publish_once(
    history: History, hooked: dict[str, Any], db: Database, settings: Settings
) -> None:
    history.at(utc("2026-04-06T07:00"))  # Monday 09:00 CEST: W14 is due
    runs: list[jobs.PublishRun] = []
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait()
        runs.append(jobs.publish_due(db, settings, report_settings()))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(run.failed for run in runs) == 0
    assert sum(run.made for run in runs) == 3 and sum(run.published for run in runs) == 3
    assert _stored(db) == [
        ("2026-W14", scope, True) for scope in sorted(scope for _, scope, _ in _stored(db))
    ]
    assert len(_bodies(history.admin, webhook_id=hooked["webhook"])) == 3


def test_catch_up_after_downtime_is_the_last_week_only(
    history: History, hooked: dict[str, Any], db: Database, settings: Settings
) -> None:
    weekly = report_settings()
    history.at(utc("2026-03-30T07:00"))
    assert str(jobs.publish_due(db, settings, weekly).week) == "2026-W13"
    # Down from before Monday W15 09:00 until Wednesday of W17: W14, W15 and W16 were due.
    history.at(utc("2026-04-22T10:00"))
    run = jobs.publish_due(db, settings, weekly)
    assert (str(run.week), run.made, run.published) == ("2026-W16", 3, 3)
    assert {week for week, _, _ in _stored(db)} == {"2026-W13", "2026-W16"}
    # The stored W16 report is as of that week's end: the fire of 04-14 is in it.
    with db.session(readonly=True) as session:
        row = session.exec(
            select(ReportSnapshot).where(
                ReportSnapshot.week == str(Week(2026, 16)), ReportSnapshot.scope == "all"
            )
        ).one()
    assert row.made_by == "system" and row.data["fires"]["interruptions"] == 1
    assert row.email_status is None  # no SMTP server set


def test_a_board_made_before_is_kept_and_published(
    history: History, hooked: dict[str, Any], db: Database, settings: Settings
) -> None:
    history.at(utc("2026-03-30T06:00"))  # 08:00, before the job's time
    made = history.admin.post("/api/v1/reports/weekly", json={"week": "2026-W13"}).json()
    history.at(utc("2026-03-30T07:00"))
    run = jobs.publish_due(db, settings, report_settings())
    assert (run.made, run.published) == (2, 3)  # ops and dev made, all three published
    listed = history.admin.get("/api/v1/reports").json()["items"]
    mine = next(item for item in listed if item["id"] == made["id"])
    assert mine["made_by"] == "user:root" and mine["published_at"] == "2026-03-30T07:00:00Z"
