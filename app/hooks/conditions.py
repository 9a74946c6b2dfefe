"""When a rule applies: every condition given must hold; a list matches any of its values.

Conditions read the event as it happened (its card snapshot), not the card as it is now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.core.events import Event


def _card(event: Event) -> dict[str, Any]:
    card = event.data.get("card")
    return card if isinstance(card, dict) else {}


def alert_of(event: Event) -> dict[str, Any]:
    """The alert an event is about: ``data.alert``, else the card's ``alert`` summary."""
    for candidate in (event.data.get("alert"), _card(event).get("alert")):
        if isinstance(candidate, dict):
            return candidate
    return {}


def severity_of(event: Event) -> str | None:
    alert = alert_of(event)
    severity = alert.get("severity")
    if severity is None and isinstance(alert.get("labels"), dict):
        severity = alert["labels"].get("severity")
    return str(severity).lower() if severity is not None else None


def occurrences_of(event: Event) -> int | None:
    value = alert_of(event).get("occurrences")
    return value if isinstance(value, int) else None


def _text_of(event: Event) -> str:
    card = _card(event)
    parts = [str(card.get("title") or ""), str(card.get("description") or "")]
    comment = event.data.get("comment")
    if isinstance(comment, dict):
        parts.append(str(comment.get("body") or ""))
    return "\n".join(parts).casefold()


def matches(conditions: dict[str, Any], event: Event) -> bool:
    """Tell whether an event meets every condition of a rule."""
    card = _card(event)
    checks: dict[str, Callable[[Any], bool]] = {
        "board_id": lambda want: event.board_id == want,
        "from_column_id": lambda want: event.data.get("from_column_id") == want,
        "to_column_id": lambda want: event.data.get("to_column_id") == want,
        "column_id": lambda want: card.get("column_id") == want,
        "kind": lambda want: card.get("kind") in want,
        "priority": lambda want: card.get("priority") in want,
        "label": lambda want: bool(set(card.get("labels") or ()) & set(want)),
        "severity": lambda want: severity_of(event) in {s.lower() for s in want},
        "min_occurrences": lambda want: (occurrences_of(event) or 0) >= want,
        "text": lambda want: want.casefold() in _text_of(event),
    }
    for name, want in conditions.items():
        if want is None:
            continue
        check = checks.get(name)
        if check is None or not check(want):
            return False
    return True
