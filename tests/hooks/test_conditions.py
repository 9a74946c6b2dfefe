"""Rule conditions match and don't match as the README documents (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.core.events import Event
from app.hooks.conditions import matches


def _event(card: dict[str, Any] | None = None, type: str = "card.moved", **data: Any) -> Event:
    snapshot = {
        "id": 7,
        "board_id": 1,
        "column_id": 3,
        "title": "Disk FULL on web-3",
        "description": "/var at 98 %",
        "kind": "fire",
        "priority": "high",
        "labels": ["disk", "prod"],
        "alert": {"severity": "Critical", "occurrences": 6},
        **(card or {}),
    }
    payload = {"card": snapshot, "changes": {}, "from_column_id": 2, "to_column_id": 3, **data}
    return Event(
        type=type,
        occurred_at=datetime(2026, 11, 30, tzinfo=UTC),
        board_id=snapshot["board_id"],
        card_id=snapshot["id"],
        data=payload,
    )


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({}, True),
        ({"board_id": 1}, True),
        ({"board_id": 2}, False),
        ({"column_id": 3}, True),
        ({"column_id": 2}, False),
        ({"from_column_id": 2, "to_column_id": 3}, True),
        ({"from_column_id": 3}, False),
        ({"to_column_id": 2}, False),
        ({"kind": ["fire", "maintenance"]}, True),
        ({"kind": ["project"]}, False),
        ({"label": ["network", "disk"]}, True),
        ({"label": ["network"]}, False),
        ({"priority": ["high", "urgent"]}, True),
        ({"priority": ["low"]}, False),
        ({"severity": ["critical"]}, True),  # case-insensitive
        ({"severity": ["warning"]}, False),
        ({"min_occurrences": 6}, True),
        ({"min_occurrences": 7}, False),
        ({"text": "disk full"}, True),  # case-insensitive, in the title
        ({"text": "98 %"}, True),  # in the description
        ({"text": "memory"}, False),
        ({"board_id": 1, "kind": ["fire"], "label": ["disk"], "min_occurrences": 5}, True),
        ({"board_id": 1, "kind": ["fire"], "label": ["disk"], "min_occurrences": 9}, False),
        ({"board_id": None}, True),  # an unset condition holds
        ({"nonsense": 1}, False),  # unknown conditions never match
    ],
)
def test_conditions(conditions: dict[str, Any], expected: bool) -> None:
    assert matches(conditions, _event()) is expected


def test_alert_fields_come_from_the_event_before_the_card() -> None:
    event = _event(alert={"severity": "warning", "occurrences": 2})
    assert matches({"severity": ["warning"]}, event)
    assert not matches({"severity": ["critical"]}, event)
    assert not matches({"min_occurrences": 3}, event)
    from_labels = _event(card={"alert": {"labels": {"severity": "page"}}})
    assert matches({"severity": ["PAGE"]}, from_labels)


def test_cards_without_an_alert_match_no_alert_condition() -> None:
    event = _event(card={"alert": None})
    assert not matches({"severity": ["critical"]}, event)
    assert not matches({"min_occurrences": 1}, event)
    assert matches({"kind": ["fire"]}, event)


def test_comment_text_is_searched_on_card_commented() -> None:
    event = _event(type="card.commented", comment={"id": 1, "body": "Please AUTOMATE this"})
    assert matches({"text": "automate"}, event)


def test_events_without_a_card_match_only_card_free_conditions() -> None:
    event = Event(
        type="report.published",
        occurred_at=datetime(2026, 11, 30, tzinfo=UTC),
        data={"report": {"week": "2026-W48"}},
    )
    assert matches({}, event)
    assert not matches({"kind": ["fire"]}, event)
    assert not matches({"board_id": 1}, event)
