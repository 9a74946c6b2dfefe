"""Placeholders in rule templates: ``{card.title}``, ``{event.type}``, ``{alert.severity}``.

A placeholder is a dotted path into the event's context; ``{title}`` is short for
``{card.title}`` (any card field). ``{{`` and ``}}`` stand for literal braces. Values
are only ever inserted as text (or, in JSON bodies, as JSON values): nothing in a
template or a payload is ever evaluated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from app.core.events import Event
from app.hooks.catalogue import CardSnapshot
from app.hooks.exceptions import InvalidTemplate

_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}")

CARD_FIELDS = frozenset(CardSnapshot.model_fields)
ROOTS = frozenset(
    {
        "card",
        "event",
        "data",
        "rule",
        "alert",
        "changes",
        "comment",
        "schedule",
        "occurrence",
        "report",
    }
)
_MISSING = object()


def context_for(event: Event, *, rule_id: int | None = None, rule_name: str = "") -> dict[str, Any]:
    """Build what placeholders can name, from an event as it happened."""
    data = event.data
    card: dict[str, Any] = data["card"] if isinstance(data.get("card"), dict) else {}
    alert = data["alert"] if isinstance(data.get("alert"), dict) else card.get("alert")
    context: dict[str, Any] = dict(card)
    context.update(
        card=card,
        data=data,
        alert=alert or {},
        changes=data.get("changes") or {},
        comment=data.get("comment") or {},
        schedule=data.get("schedule") or {},
        occurrence=data.get("occurrence") or {},
        report=data.get("report") or {},
        rule={"id": rule_id, "name": rule_name},
        event={
            "type": event.type,
            "occurred_at": event.occurred_at.isoformat(),
            "board_id": event.board_id,
            "card_id": event.card_id,
            "actor": event.actor,
            "event_id": event.event_id,
        },
    )
    return context


def _lookup(context: dict[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _as_text(value: Any) -> str:
    if value is None or value is _MISSING:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def render_text(
    template: str, context: dict[str, Any], *, escape: Callable[[str], str] | None = None
) -> str:
    """Fill a template's placeholders; missing values become empty text."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        text = _as_text(_lookup(context, match.group(1)))
        return escape(text) if escape else text

    return _TOKEN.sub(replace, template)


def render_json(template: Any, context: dict[str, Any]) -> Any:
    """Fill every string of a JSON template; a string that is one placeholder keeps its type."""
    if isinstance(template, str):
        match = _TOKEN.fullmatch(template)
        if match and match.group(1):
            value = _lookup(context, match.group(1))
            return None if value is _MISSING else value
        return render_text(template, context)
    if isinstance(template, list):
        return [render_json(item, context) for item in template]
    if isinstance(template, dict):
        return {key: render_json(value, context) for key, value in template.items()}
    return template


def _strings(template: Any) -> Iterator[str]:
    if isinstance(template, str):
        yield template
    elif isinstance(template, list):
        for item in template:
            yield from _strings(item)
    elif isinstance(template, dict):
        for value in template.values():
            yield from _strings(value)


def check(template: Any, *, where: str) -> None:
    """Refuse placeholders whose first name is neither a context root nor a card field."""
    for text in _strings(template):
        for match in _TOKEN.finditer(text):
            path = match.group(1)
            if path and path.split(".")[0] not in ROOTS | CARD_FIELDS:
                roots = ", ".join(sorted(ROOTS))
                raise InvalidTemplate(
                    f"{where}: unknown placeholder {{{path}}}; start with one of {roots} "
                    "or a card field such as {title}."
                )


def slack_escape(text: str) -> str:
    """Escape what Slack's mrkdwn would read as markup or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
