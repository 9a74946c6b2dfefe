"""A report answer written out by hand, for the renderings' tests (no database needed)."""

from __future__ import annotations

from typing import Any

from app.reports.schemas import WeeklyReport

# What an attacker can put in an alert's title or a schedule's name.
HOSTILE = (
    '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
    "[click](https://evil.example) ![i](https://evil.example/i.png) *bold* `code` "
    "<!channel> @here &amp; | pipe\nsecond line ~~gone~~ <https://evil.example|spoof>"
)


def report_data(name: str = "DiskFull", board: str | None = None) -> dict[str, Any]:
    candidate = {
        "key": "alert:1:" + name,
        "kind": "alert",
        "name": name,
        "occurrences_90d": 7,
        "interruptions_per_year": 28.4,
        "hours_90d": 0.75,
        "hours_per_year": 3.04,
        "break_even_hours": 6.08,
        "automation_card_id": 6,
        "payback_weeks": 136.8,
        "worth_automating": False,
    }
    chore = {
        "key": "schedule:1",
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
    }
    offender = {
        "key": "alert:1:" + name,
        "name": name,
        "integration_id": 1,
        "episodes": 3,
        "hours": 0.75,
        "flaps": 1,
        "recurring": True,
        "runbook": False,
    }
    kinds = {"fire": 0, "maintenance": 0, "change": 0, "project": 0, "automation": 0}
    return {
        "week": "2026-W13",
        "timezone": "Europe/Berlin",
        "board": board,
        "window": {"start": "2026-03-22T23:00:00Z", "end": "2026-03-29T22:00:00Z"},
        "fires": {
            "interruptions": 5,
            "by_bucket": {"business": 1, "off_hours": 1, "sleep": 3},
            "mtta_seconds": {"n": 2, "p50": 300, "p90": 600},
            "mttr_seconds": {"n": 3, "p50": 1200, "p90": 46800},
            "self_resolved": 2,
            "open": 1,
        },
        "hours": {
            "total": 2.42,
            "by_kind": {
                "fire": 0.75,
                "maintenance": 0.67,
                "change": 0.0,
                "project": 1.0,
                "automation": 0.0,
            },
            "basis": "mixed",
        },
        "unplanned_ratio": 0.31,
        "toil_ratio": 0.586,
        "candidates": [chore, candidate],
        "automation_debt": {"hours_per_year": 11.83, "fte": 0.007},
        "ledger": [
            {
                "card_id": 6,
                "candidate": "alert:1:" + name,
                "done_at": "2026-03-10T12:00:00Z",
                "rate_before_per_week": 1.0,
                "rate_after_per_week": 1.1,
                "hours_per_year_before": 0.0,
                "hours_per_year_after": 14.1,
                "retired_hours_per_year": -14.1,
                "status": "still_burning",
            }
        ],
        "work_mix": {"created": {**kinds, "fire": 3}, "done": {**kinds, "maintenance": 1}},
        "maintenance": {
            "created": 1,
            "done": 1,
            "skipped": 0,
            "missed": 0,
            "hours": 0.67,
            "automation_grade": {"manual": 1, "scripted": 0, "automated": 0},
            "schedules": [
                {
                    "schedule_id": 1,
                    "name": name,
                    "automation": "manual",
                    "created": 1,
                    "done": 1,
                    "skipped": 0,
                    "missed": 0,
                    "hours": 0.67,
                }
            ],
        },
        "offenders": {
            "by_episodes": [offender],
            "by_hours": [offender],
            "new": 0,
            "recurring": 1,
            "flapping": 1,
            "without_runbook": [{"key": "alert:1:" + name, "name": name, "episodes": 3}],
            "without_runbook_episodes": 3,
        },
        "flow": {
            "wip": [
                {
                    "column_id": 1,
                    "board_id": 1,
                    "name": name,
                    "cards": 4,
                    "wip_limit": 3,
                    "wip_mode": "soft",
                    "over_limit": True,
                }
            ],
            "throughput": 1,
            "cycle_time_seconds": {"n": 1, "p50": 3600, "p85": 3600},
            "aging": {"threshold_seconds": 3600, "count": 2, "card_ids": [3, 4]},
        },
        "trends": {
            "weeks": [f"2026-W{n:02d}" for n in range(5, 13)],
            "interruptions": [3, 4, 0, 6, 2, 5, 1, 4],
            "mtta_p50_seconds": [120, None, None, 300, 60, 600, 30, 200],
            "mttr_p50_seconds": [1200, None, None, 900, 60, 3600, 30, 200],
            "hours_total": [1.0, 2.5, 0.0, 3.0, 1.5, 2.0, 0.5, 1.0],
            "unplanned_ratio": [0.5, 0.2, None, 0.3, 0.1, 0.6, 1.0, 0.25],
            "toil_ratio": [0.6, 0.4, None, 0.5, 0.3, 0.7, 1.0, 0.5],
            "automation_debt_hours_per_year": [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 11.0],
        },
    }


def report(name: str = "DiskFull", board: str | None = None) -> WeeklyReport:
    return WeeklyReport.model_validate(report_data(name, board))
