"""What rules can do: a registry of action executors, and who hears finished deliveries.

Hooks runs web requests itself; card actions need the boards domain, which hooks may not
import, so ``app.boards.automation`` registers them here (wired by ``app.wiring``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlsplit
from uuid import uuid4

from sqlmodel import Session

from app.core.clock import now
from app.core.events import Event
from app.hooks import templates, wakeup
from app.hooks.catalogue import envelope_json
from app.hooks.models import Delivery

logger = logging.getLogger("firelane.hooks")

DEFAULT_SLACK_TEXT = "[{event.type}] {card.title} (card #{card.id}, {card.priority})"


class ActionFailed(Exception):
    """An action could not be done; the message goes to the rule run's log."""


@dataclass(frozen=True)
class RunContext:
    """What an action knows about the run it belongs to."""

    rule_id: int
    rule_name: str
    event: Event
    # "rule:<id>": the actor of everything the action does.
    actor: str
    # The depth the action's own events carry: one more than the event that caused them.
    depth: int

    def template_context(self) -> dict[str, Any]:
        return templates.context_for(self.event, rule_id=self.rule_id, rule_name=self.rule_name)


class Executor(Protocol):
    def validate(self, session: Session, action: dict[str, Any]) -> None:
        """Raise an InvalidInput error if the action cannot work (unknown column, user...)."""

    def run(self, session: Session, action: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
        """Do the action inside the caller's transaction (flush only); answer what it did."""


_executors: dict[str, Executor] = {}


def register(action_type: str, executor: Executor) -> None:
    """Make ``executor`` carry out actions of ``action_type``."""
    _executors[action_type] = executor


def executor_for(action_type: str) -> Executor:
    found = _executors.get(action_type)
    if found is None:
        raise ActionFailed(f"no executor for {action_type!r} is registered in this process")
    return found


def available() -> frozenset[str]:
    return frozenset(_executors)


# --- finished deliveries -------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    """A rule's web request that reached a final status."""

    delivery_id: str
    rule_id: int | None
    event_type: str
    board_id: int | None
    card_id: int | None
    depth: int
    status: str
    status_code: int | None
    attempts: int
    error: str | None


OutcomeListener = Callable[[Session, DeliveryOutcome], None]
_outcome_listeners: list[OutcomeListener] = []


def on_delivery_finished(listener: OutcomeListener) -> OutcomeListener:
    """Call ``listener`` in the transaction that records a rule web request's final status."""
    if listener not in _outcome_listeners:
        _outcome_listeners.append(listener)
    return listener


def has_outcome_listeners() -> bool:
    """Whether something records rule web requests' outcomes (boards does, when wired)."""
    return bool(_outcome_listeners)


def notify_finished(session: Session, outcome: DeliveryOutcome) -> None:
    for listener in list(_outcome_listeners):
        listener(session, outcome)


# --- web requests --------------------------------------------------------------------


def _body(action: dict[str, Any], ctx: RunContext, event_uuid: str) -> tuple[str | None, str]:
    context = ctx.template_context()
    if action.get("preset") == "slack":
        ready = context["report"].get("text")
        if not action.get("text") and isinstance(ready, str) and ready:
            # report.published carries its own message, already escaped for Slack.
            return json.dumps({"text": ready}, ensure_ascii=False), "application/json"
        text = templates.render_text(
            action.get("text") or DEFAULT_SLACK_TEXT, context, escape=templates.slack_escape
        )
        return json.dumps({"text": text}, ensure_ascii=False), "application/json"
    body = action.get("body")
    if isinstance(body, str):
        return templates.render_text(body, context), "text/plain; charset=utf-8"
    if body is not None:
        rendered = templates.render_json(body, context)
        return json.dumps(rendered, ensure_ascii=False, default=str), "application/json"
    if action.get("method", "POST") in ("GET", "DELETE"):
        return None, "application/json"
    return envelope_json(ctx.event, event_uuid), "application/json"


class WebRequestExecutor:
    """Queue the request as a delivery; the delivery loop sends it after commit."""

    def validate(self, session: Session, action: dict[str, Any]) -> None:
        templates.check(action.get("url"), where="web_request.url")
        templates.check(action.get("body"), where="web_request.body")
        templates.check(action.get("text"), where="web_request.text")

    def run(self, session: Session, action: dict[str, Any], ctx: RunContext) -> dict[str, Any]:
        url = templates.render_text(
            action["url"], ctx.template_context(), escape=lambda v: quote(v, safe="")
        )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ActionFailed("the rendered URL is not an absolute http(s) URL")
        event_uuid = str(uuid4())
        body, content_type = _body(action, ctx, event_uuid)
        delivery = Delivery(
            uuid=event_uuid,
            rule_id=ctx.rule_id,
            event_type=ctx.event.type,
            board_id=ctx.event.board_id,
            card_id=ctx.event.card_id,
            depth=ctx.depth,
            url=url,
            method=action.get("method", "POST"),
            content_type=content_type,
            body=body,
            sealed=action.get("sealed"),
            next_attempt_at=now(),
        )
        session.add(delivery)
        session.flush()
        wakeup.after_commit(session)
        return {"delivery_id": delivery.uuid, "host": parts.hostname}


register("web_request", WebRequestExecutor())
