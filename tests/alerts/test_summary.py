"""The card's ``alert`` object: ``summary_json`` (written out for speed) is ``summary_of``
made of JSON's types, key for key and in the same order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from app.alerts.models import AlertStatus, summary_json, summary_of
from app.core.jsontext import jsonable


def test_summary_json_is_summary_of_as_json() -> None:
    row = {
        "dedup_key": "fp-1",
        "status": AlertStatus.acknowledged,
        "integration_id": 3,
        "source": "alertmanager",
        "severity": "critical",
        "occurrences": 4,
        "flaps": 1,
        "recurrence": 2,
        "first_seen_at": datetime(2026, 11, 26, 8, 14, 30, tzinfo=UTC),
        "last_seen_at": datetime(2026, 11, 26, 9, 0, 0, 120, tzinfo=timezone(timedelta(hours=1))),
        "starts_at": datetime(2026, 11, 26, 8, 14, tzinfo=UTC),
        "resolved_at": None,
        "acknowledged_at": datetime(2026, 11, 26, 9, 1, tzinfo=UTC),
        "expired_at": None,
        "labels": {"alertname": "Disk", "instance": "wéb-3"},
        "annotations": {"summary": "🔥"},
        "links": [{"rel": "runbook", "url": "https://runbooks/disk"}],
        "card_id": 9,  # other columns are not shown
    }
    expected = jsonable(summary_of(row.__getitem__))
    made = summary_json(row)
    assert made == expected
    assert list(made) == list(expected)
