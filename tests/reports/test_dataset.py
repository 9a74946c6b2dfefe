"""A hand-built history and every figure of its report, worked out by hand.

The report's zone is Europe/Berlin (tests/reports/conftest.py). Its clocks move forward
on Sunday 2026-03-29 at 01:00 UTC (02:00 CET -> 03:00 CEST), so week 2026-W13 runs from
Monday 2026-03-23 00:00 CET = 2026-03-22 23:00 UTC to Monday 2026-03-30 00:00 CEST =
2026-03-29 22:00 UTC: 167 hours. Before the change local time is UTC+1, after it UTC+2.

Board "ops" (generic integration "prom"), board "dev" (integration "graf"). People: ann,
bob (members). Every moment below is UTC.

History, oldest first:
- DiskFull/web-1 fires on Mondays 2026-02-16, 02-23, 03-02 and 03-09 at 10:00 and resolves
  at 10:20 each time: one card (W1), reopened by each fire (its card stays open). Nobody
  touches it then.
- 03-01 12:00 bob makes "Auto-expand disks" (automation, automates alert:prom:DiskFull,
  estimate 480 min); 03-10 12:00 bob moves it to Done.
- Schedule "Rotate certs" runs 03-04, 03-11, 03-18, 03-25 at 09:00 (four cards, C1-C4);
  bob logs 30 minutes on C1-C3 at 10:00 the same day; on 03-25 at 10:00 ann logs 40
  minutes on C4 and moves it to Done.
- 03-20 16:00 bob makes "Upgrade Postgres" (project) with 60 minutes spent (W12).
- 03-22 22:30 MemoryLeak/app-1 fires (Sunday 23:30 CET: still W12).
- Week W13:
  - E1 03-24 08:00 DiskFull/web-1 fires again (09:00 CET, Tuesday: business): a reopen.
    ann comments at 08:05, moves W1 to Doing at 08:15, comments at 08:30 (one sitting:
    25 + 10 = 35 minutes). It resolves at 21:00.
  - 03-23 09:00 bob sets Upgrade Postgres' time to 150 (+90), 03-24 10:00 to 120 (-30):
    60 minutes logged in W13 (and 60 in W12: the card spans both weeks).
  - E2 03-24 21:30 DiskFull/web-1 fires again, 30 minutes after its resolve: a flap
    (22:30 CET: sleep). It resolves at 21:50 before anyone looks: bob's comment comes on
    03-25 08:00 (10 more minutes on W1), after the resolve: self-resolved.
  - 03-25 14:00 Latency/api fires on the dev board (15:00 CET, business); nobody acts.
  - E3 03-28 11:00 HighCPU/db-1 fires (Saturday 12:00 CET: off hours), with a runbook link;
    it resolves at 11:10 before anyone looked: self-resolved.
  - E4 03-29 20:30 HighCPU/db-2 fires (Sunday 22:30 CEST, after the change: sleep; in CET
    it would be 21:30, off hours); acknowledged by the sender at 20:40; not resolved.
  - E5 03-29 21:00 DiskFull/web-2 fires (23:00 CEST: sleep); nothing else before the end.
  - After the end (W14): 03-29 22:30 bob comments on W1; 03-30 06:00 ann on web-2's card.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from app.auth.models import Role
from app.core.clock import ManualClock
from app.core.db import Database
from app.reports.models import ReportSnapshot
from tests.conftest import MakeClient
from tests.reports.conftest import History


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def history(client_for: MakeClient, manual_clock: ManualClock) -> History:
    admin = client_for(Role.admin, "root")
    people = {"ann": client_for(Role.member, "ann"), "bob": client_for(Role.member, "bob")}
    return History(admin, people, manual_clock)


@pytest.fixture
def built(history: History) -> dict[str, Any]:
    h = history
    ops, dev = h.board("ops"), h.board("dev")
    prom = h.integration("prom", ops)
    h.integration("graf", dev)
    disk = f"alert:{prom['id']}:DiskFull"
    for day in ("02-16", "02-23", "03-02", "03-09"):
        h.at(utc(f"2026-{day}T10:00")).signal("prom", "DiskFull", instance="web-1")
        h.at(utc(f"2026-{day}T10:20")).signal("prom", "DiskFull", "resolved", instance="web-1")
    h.at(utc("2026-03-01T12:00"))
    auto = h.new_card(
        "bob", ops, "Auto-expand disks", kind="automation", automates=[disk], estimate_minutes=480
    )
    h.at(utc("2026-03-10T12:00")).move("bob", auto, "Done")
    certs = h.schedule(ops, "Rotate certs")
    runs = []
    for day in ("03-04", "03-11", "03-18", "03-25"):
        runs.append(h.at(utc(f"2026-{day}T09:00")).run(certs))
    for day, card in zip(("03-04", "03-11", "03-18"), runs, strict=False):
        assert card is not None
        h.at(utc(f"2026-{day}T10:00")).patch("bob", card, time_spent_minutes=30)
    h.at(utc("2026-03-20T16:00"))
    upgrade = h.new_card("bob", ops, "Upgrade Postgres", time_spent_minutes=60)
    h.at(utc("2026-03-22T22:30")).signal("prom", "MemoryLeak", instance="app-1")
    # Week W13.
    h.at(utc("2026-03-23T09:00")).patch("bob", upgrade, time_spent_minutes=150)
    web1 = h.at(utc("2026-03-24T08:00")).signal("prom", "DiskFull", instance="web-1")
    assert web1 is not None
    h.at(utc("2026-03-24T08:05")).comment("ann", web1)
    h.at(utc("2026-03-24T08:15")).move("ann", web1, "Doing")
    h.at(utc("2026-03-24T08:30")).comment("ann", web1)
    h.at(utc("2026-03-24T10:00")).patch("bob", upgrade, time_spent_minutes=120)
    h.at(utc("2026-03-24T21:00")).signal("prom", "DiskFull", "resolved", instance="web-1")
    h.at(utc("2026-03-24T21:30")).signal("prom", "DiskFull", instance="web-1")
    h.at(utc("2026-03-24T21:50")).signal("prom", "DiskFull", "resolved", instance="web-1")
    h.at(utc("2026-03-25T08:00")).comment("bob", web1)
    c4 = runs[3]
    assert c4 is not None
    h.at(utc("2026-03-25T10:00")).patch("ann", c4, time_spent_minutes=40)
    h.move("ann", c4, "Done")
    h.at(utc("2026-03-25T14:00")).signal("graf", "Latency", instance="api")
    h.at(utc("2026-03-28T11:00")).signal("prom", "HighCPU", instance="db-1", runbook=True)
    h.at(utc("2026-03-28T11:10")).signal("prom", "HighCPU", "resolved", instance="db-1")
    h.at(utc("2026-03-29T20:30")).signal("prom", "HighCPU", instance="db-2", runbook=True)
    h.at(utc("2026-03-29T20:40")).signal("prom", "HighCPU", "acknowledged", instance="db-2")
    web2 = h.at(utc("2026-03-29T21:00")).signal("prom", "DiskFull", instance="web-2")
    assert web2 is not None
    h.at(utc("2026-03-29T22:30")).comment("bob", web1)
    h.at(utc("2026-03-30T06:00")).comment("ann", web2)
    h.at(utc("2026-04-01T12:00"))  # "now": W13 is the last complete week
    return {"prom": prom, "disk": disk, "auto": auto, "certs": certs, "ops": ops}


def test_the_week_of_the_clock_change(history: History, built: dict[str, Any]) -> None:
    report = history.report(board="ops")  # the default week: the last complete one, W13
    assert report["week"] == "2026-W13"
    assert report["timezone"] == "Europe/Berlin"
    assert report["board"] == "ops"
    assert report["window"] == {"start": "2026-03-22T23:00:00Z", "end": "2026-03-29T22:00:00Z"}

    # Episodes E1-E5; E4 is in "sleep" only because the clocks changed.
    # MTTA: E1 08:00 -> ann 08:05 = 300 s; E4 20:30 -> ack 20:40 = 600 s. n = 2, p50 is the
    # value at position ceil(0.5 x 2) = 1 (300), p90 at ceil(1.8) = 2 (600).
    # MTTR: E1 08:00 -> 21:00 = 46,800 s; E2 21:30 -> 21:50 = 1,200 s; E3 11:00 -> 11:10 =
    # 600 s. Sorted 600, 1200, 46800: p50 at position 2 (1,200), p90 at 3 (46,800).
    # Self-resolved: E2 (bob's comment comes after its resolve) and E3. Open: E5 (ann's
    # comment and bob's on W1 come after the end).
    assert report["fires"] == {
        "interruptions": 5,
        "by_bucket": {"business": 1, "off_hours": 1, "sleep": 3},
        "mtta_seconds": {"n": 2, "p50": 300, "p90": 600},
        "mttr_seconds": {"n": 3, "p50": 1200, "p90": 46800},
        "self_resolved": 2,
        "open": 1,
    }

    # Minutes in W13: W1 (fire) ann's sitting 08:05-08:30 = 25 + 10 = 35, bob's comment
    # 10 = 45 inferred; Upgrade Postgres (project) logged +90 - 30 = 60; C4 (maintenance)
    # logged 40. Total 145 minutes = 2.4167 h: fire 0.75, maintenance 0.6667, project 1.0.
    # Unplanned 0.75 / 2.4167 = 0.310; toil (0.75 + 0.6667) / 2.4167 = 0.586.
    assert report["hours"] == {
        "total": 2.42,
        "by_kind": {
            "fire": 0.75,
            "maintenance": 0.67,
            "change": 0.0,
            "project": 1.0,
            "automation": 0.0,
        },
        "basis": "mixed",
    }
    assert report["unplanned_ratio"] == 0.31
    assert report["toil_ratio"] == 0.586

    # Candidates over the 90 days before 2026-03-29 22:00:
    # - schedule Rotate certs: 4 occurrences; its cards took 30 + 30 + 30 + 40 = 130 min =
    #   2.1667 h; a year: 2.1667 x 365 / 90 = 8.787 h; interruptions 4 x 365 / 90 = 16.2;
    #   break-even 2 years = 17.574 h. No automation card.
    # - DiskFull: 7 episodes (4 before, E1, E2, E5); its cards (W1, web-2) took 45 min in
    #   the 90 days = 0.75 h; a year 3.0417 h; interruptions 7 x 365 / 90 = 28.4;
    #   break-even 6.0833 h. Auto-expand disks automates it with 480 min = 8 h: payback
    #   8 / (3.0417 / 52) = 136.8 weeks; worth it: 8 <= 6.0833, no.
    # - HighCPU: 2 episodes, not a candidate (3 needed); MemoryLeak 1; Latency is on dev.
    assert report["candidates"] == [
        {
            "key": f"schedule:{built['certs']}",
            "kind": "schedule",
            "name": "Rotate certs",
            "occurrences_90d": 4,
            "interruptions_per_year": 16.2,
            "hours_90d": 2.17,
            "hours_per_year": 8.79,
            "break_even_hours": 17.57,
            "automation_card_id": None,
            "payback_weeks": None,
            "worth_automating": None,
        },
        {
            "key": built["disk"],
            "kind": "alert",
            "name": "DiskFull",
            "occurrences_90d": 7,
            "interruptions_per_year": 28.4,
            "hours_90d": 0.75,
            "hours_per_year": 3.04,
            "break_even_hours": 6.08,
            "automation_card_id": built["auto"],
            "payback_weeks": 136.8,
            "worth_automating": False,
        },
    ]

    # Ledger: Auto-expand done 03-10 12:00. Before: DiskFull episodes in the 28 days
    # before (02-16, 02-23, 03-02, 03-09) = 4: 1.0 a week. After: to the end, 19.4167 days:
    # E1, E2, E5 = 3: 3 x 7 / 19.4167 = 1.08 a week, more than half of 1.0: still burning.
    # Hours a year before: no minutes in the 28 days = 0; after: 45 min = 0.75 h x 365 /
    # 19.4167 = 14.10; retired 0 - 14.10 = -14.10.
    assert report["ledger"] == [
        {
            "card_id": built["auto"],
            "candidate": built["disk"],
            "done_at": "2026-03-10T12:00:00Z",
            "rate_before_per_week": 1.0,
            "rate_after_per_week": 1.1,
            "hours_per_year_before": 0.0,
            "hours_per_year_after": 14.1,
            "retired_hours_per_year": -14.1,
            "status": "still_burning",
        }
    ]
    # Debt: nothing retired: 8.787 + 3.0417 = 11.829 h a year = 0.007 of 1,600 h.
    assert report["automation_debt"] == {"hours_per_year": 11.83, "fte": 0.007}

    # Work mix: made in W13 C4 (maintenance), HighCPU db-1, db-2, DiskFull web-2 (fires);
    # done: C4.
    assert report["work_mix"] == {
        "created": {"fire": 3, "maintenance": 1, "change": 0, "project": 0, "automation": 0},
        "done": {"fire": 0, "maintenance": 1, "change": 0, "project": 0, "automation": 0},
    }
    # Maintenance: one occurrence made (C4), done, 40 minutes.
    assert report["maintenance"] == {
        "created": 1,
        "done": 1,
        "skipped": 0,
        "missed": 0,
        "hours": 0.67,
        "automation_grade": {"manual": 1, "scripted": 0, "automated": 0},
        "schedules": [
            {
                "schedule_id": built["certs"],
                "name": "Rotate certs",
                "automation": "manual",
                "created": 1,
                "done": 1,
                "skipped": 0,
                "missed": 0,
                "hours": 0.67,
            }
        ],
    }
    # Offenders: DiskFull 3 episodes (one a flap), 0.75 h, seen before the week, no runbook;
    # HighCPU 2 episodes, new this week, with a runbook.
    offenders = report["offenders"]
    assert [
        (o["name"], o["episodes"], o["hours"], o["flaps"], o["recurring"], o["runbook"])
        for o in offenders["by_episodes"]
    ] == [
        ("DiskFull", 3, 0.75, 1, True, False),
        ("HighCPU", 2, 0.0, 0, False, True),
    ]
    assert [o["name"] for o in offenders["by_hours"]] == ["DiskFull"]
    assert (offenders["new"], offenders["recurring"], offenders["flapping"]) == (1, 1, 1)
    assert offenders["without_runbook"] == [
        {"key": built["disk"], "name": "DiskFull", "episodes": 3}
    ]
    # Flow: at the end Triage holds C1-C3, Upgrade Postgres, MemoryLeak, HighCPU db-1,
    # db-2 and DiskFull web-2 (8); Doing holds W1. Done: C4 (cycle 0 s: it started and
    # finished in one move).
    flow = report["flow"]
    assert [(c["name"], c["cards"]) for c in flow["wip"]] == [("Triage", 8), ("Doing", 1)]
    assert flow["throughput"] == 1
    assert flow["cycle_time_seconds"] == {"n": 1, "p50": 0, "p85": 0}
    assert flow["aging"]["count"] == 9

    # Trends, W05-W12: one DiskFull episode a week in W08-W11 and MemoryLeak in W12.
    # Hours: W09 bob made Auto-expand (10 min), W10 C1 (30), W11 C2 (30) and the move to
    # Done (10), W12 C3 (30) and Upgrade Postgres (60). Debt: W10 and W11 have DiskFull
    # (3 and 4 episodes) at 0 h; W12 adds Rotate certs (3 occurrences, 90 min = 6.08 h a
    # year), and DiskFull is retired then (no episode in the 12.46 days after 03-10).
    trends = report["trends"]
    assert trends["weeks"] == [f"2026-W{n:02d}" for n in range(5, 13)]
    assert trends["interruptions"] == [0, 0, 0, 1, 1, 1, 1, 1]
    assert trends["hours_total"] == [0.0, 0.0, 0.0, 0.0, 0.17, 0.5, 0.67, 1.5]
    assert trends["automation_debt_hours_per_year"] == [0.0] * 7 + [6.08]
    assert trends["mttr_p50_seconds"] == [None, None, None, 1200, 1200, 1200, 1200, None]


def test_trends_read_the_stored_reports_of_the_weeks_before(
    history: History, built: dict[str, Any], db: Database
) -> None:
    computed = history.report(week="2026-W13", board="ops")
    for number in range(5, 13):  # as the weekly job leaves them
        made = history.admin.post(
            "/api/v1/reports/weekly", json={"week": f"2026-W{number:02d}", "board": "ops"}
        )
        assert made.status_code == 201, made.text
    # W13 has no stored report: computed again, its trends read from W05-W12's.
    assert history.report(week="2026-W13", board="ops") == computed

    table: sa.Table = ReportSnapshot.__table__  # type: ignore[attr-defined]
    w12 = sa.and_(table.c.week == "2026-W12", table.c.board_id == built["ops"]["id"])

    def store_w12(**values: Any) -> None:
        with db.engine.begin() as conn:
            conn.execute(sa.update(table).where(w12).values(**values))

    # W12's stored figures are what the trend shows (here altered in the database) ...
    with db.engine.connect() as conn:
        (data,) = conn.execute(sa.select(table.c.data).where(w12)).scalars()
    store_w12(data={**data, "fires": {**data["fires"], "interruptions": 7}})
    assert history.report(week="2026-W13", board="ops")["trends"]["interruptions"][-1] == 7
    # ... unless made with other definitions, or before the week ended: computed then.
    store_w12(definition_version=0)
    assert history.report(week="2026-W13", board="ops") == computed
    store_w12(definition_version=1, made_at=utc("2026-03-22T22:59"))
    assert history.report(week="2026-W13", board="ops") == computed


def test_all_boards_and_another_week(history: History, built: dict[str, Any]) -> None:
    # All boards add Latency/api on dev: 6 interruptions, 2 in business hours, 2 open.
    everything = history.report(week="2026-W13")
    assert everything["board"] is None
    fires = everything["fires"]
    assert (fires["interruptions"], fires["by_bucket"]["business"], fires["open"]) == (6, 2, 2)
    # W12 (ordinary 168 hours): MemoryLeak's episode; C3's 30 minutes and Upgrade Postgres'
    # 60 logged at its creation.
    w12 = history.report(week="2026-W12", board="ops")
    assert w12["window"] == {"start": "2026-03-15T23:00:00Z", "end": "2026-03-22T23:00:00Z"}
    assert w12["fires"]["interruptions"] == 1
    assert w12["hours"]["total"] == 1.5
    assert w12["hours"]["basis"] == "logged"
    assert w12["ledger"][0]["status"] == "retired"


def test_errors_and_roles(
    history: History, built: dict[str, Any], viewer: TestClient, anon: TestClient
) -> None:
    assert viewer.get("/api/v1/reports/weekly", params={"week": "2026-W13"}).status_code == 200
    assert anon.get("/api/v1/reports/weekly").status_code == 401
    response = viewer.get("/api/v1/reports/weekly", params={"board": "nope"})
    assert response.status_code == 404 and response.json()["error"] == "board_not_found"
    for bad in ("2026-13", "2026-W54", "2021-W53", "W13", "2026-w13"):
        response = viewer.get("/api/v1/reports/weekly", params={"week": bad})
        assert response.status_code == 422, bad
        assert response.json()["error"] == "invalid_week"
    assert viewer.get("/api/v1/reports/weekly", params={"week": "2020-W53"}).status_code == 200
