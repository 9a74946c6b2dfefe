"""Webhooks and rules (admin-managed) and the delivery log: public functions commit once."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.auth.models import User
from app.core.clock import now
from app.core.db import Database
from app.core.pagination import decode_cursor, encode_cursor, split_page
from app.core.sealing import SecretUnreadable, seal, unseal
from app.hooks import actions, fanout, wakeup
from app.hooks.exceptions import (
    DeliveryInFlight,
    DeliveryNotFound,
    InvalidRule,
    RuleNotFound,
    WebhookNotFound,
)
from app.hooks.models import (
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    HookEvent,
    Rule,
    RuleRun,
    RunOutcome,
    Webhook,
)
from app.hooks.schemas import (
    REDACTED,
    RuleCreate,
    RulePublic,
    RuleUpdate,
    WebhookCreate,
    WebhookUpdate,
)
from app.hooks.signing import new_secret

# --- webhooks ------------------------------------------------------------------------


def get_webhook(session: Session, webhook_id: int) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise WebhookNotFound()
    return webhook


def create_webhook(
    session: Session, *, data: WebhookCreate, actor: User, secret_key: str
) -> tuple[Webhook, str]:
    """Subscribe a URL to events; answer the webhook and its secret (shown only now)."""
    secret = data.secret or new_secret()
    webhook = Webhook(
        url=data.url,
        events=data.events,
        board_id=data.board_id,
        description=data.description,
        is_active=data.is_active,
        secret_sealed=seal(secret_key, secret),
        created_by=actor.actor,
    )
    session.add(webhook)
    session.commit()
    return webhook, secret


def update_webhook(
    session: Session, *, webhook: Webhook, data: WebhookUpdate, secret_key: str
) -> Webhook:
    """Change a webhook; a new secret is stored, never answered."""
    fields = data.model_dump(exclude_unset=True, exclude={"secret"})
    for name, value in fields.items():
        if value is not None or name == "board_id":
            setattr(webhook, name, value)
    if data.secret is not None:
        webhook.secret_sealed = seal(secret_key, data.secret)
    webhook.updated_at = now()
    session.add(webhook)
    session.commit()
    return webhook


def rotate_secret(session: Session, *, webhook: Webhook, secret_key: str) -> str:
    """Give a webhook a new random secret; answer it (shown only now)."""
    secret = new_secret()
    webhook.secret_sealed = seal(secret_key, secret)
    webhook.updated_at = now()
    session.add(webhook)
    session.commit()
    return secret


def delete_webhook(session: Session, *, webhook: Webhook) -> None:
    """Delete a webhook and its delivery log."""
    # Its deliveries still to be written go with it, never to a webhook given its id later.
    fanout.fan_out_all(session)
    session.delete(webhook)
    session.commit()


def list_webhooks(
    session: Session, *, limit: int, cursor: str | None
) -> tuple[list[Webhook], str | None]:
    query = select(Webhook).order_by(col(Webhook.id)).limit(limit + 1)
    if cursor:
        (after,) = decode_cursor(cursor, "webhook", (int,))
        query = query.where(col(Webhook.id) > after)
    rows = list(session.exec(query))
    return split_page(rows, limit, lambda row: encode_cursor("webhook", row.id))


# --- rules ---------------------------------------------------------------------------


def _stored_actions(
    session: Session, data: list[Any], *, previous: list[dict[str, Any]], secret_key: str
) -> list[dict[str, Any]]:
    stored: list[dict[str, Any]] = []
    for index, action in enumerate(data):
        raw = action.model_dump(mode="json")
        if raw["type"] == "web_request":
            raw = _seal_request(raw, previous[index] if index < len(previous) else {}, secret_key)
        if raw["type"] not in actions.available():
            raise InvalidRule(f"Action {index + 1}: {raw['type']} is not available here.")
        actions.executor_for(raw["type"]).validate(session, raw)
        stored.append(raw)
    return stored


def _seal_request(raw: dict[str, Any], before: dict[str, Any], secret_key: str) -> dict[str, Any]:
    headers: dict[str, str] = raw.pop("headers") or {}
    secret = raw.pop("secret")
    kept: dict[str, Any] = {}
    if before.get("type") == "web_request" and before.get("sealed"):
        try:
            kept = unseal(secret_key, before["sealed"])
        except SecretUnreadable:
            kept = {}
    old_headers = kept.get("headers") or {}
    for name, value in headers.items():
        if value == REDACTED:
            if name not in old_headers:
                raise InvalidRule(f"Header {name!r} is {REDACTED!r} but has no stored value.")
            headers[name] = old_headers[name]
    if secret == REDACTED:
        secret = kept.get("secret")
    raw["header_names"] = sorted(headers)
    raw["has_secret"] = secret is not None
    sealed = {"headers": headers, "secret": secret}
    raw["sealed"] = seal(secret_key, sealed) if headers or secret else None
    return raw


def rule_public(rule: Rule) -> RulePublic:
    """Answer a rule with its web requests' headers and secrets redacted."""
    shown: list[dict[str, Any]] = []
    for action in rule.actions:
        action = dict(action)
        if action.get("type") == "web_request":
            action.pop("sealed", None)
            action["headers"] = dict.fromkeys(action.pop("header_names", []), REDACTED)
            action["secret"] = REDACTED if action.pop("has_secret", False) else None
        shown.append(action)
    return RulePublic(
        id=rule.id or 0,
        name=rule.name,
        description=rule.description,
        trigger=rule.trigger,
        conditions=rule.conditions,
        actions=shown,
        is_active=rule.is_active,
        rate_limit=rule.rate_limit,
        rate_window_seconds=rule.rate_window_seconds,
        created_by=rule.created_by,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


def get_rule(session: Session, rule_id: int) -> Rule:
    rule = session.get(Rule, rule_id)
    if rule is None:
        raise RuleNotFound()
    return rule


def create_rule(session: Session, *, data: RuleCreate, actor: User, secret_key: str) -> Rule:
    """Create a rule after checking every action can work."""
    rule = Rule(
        name=data.name,
        description=data.description,
        trigger=data.trigger,
        conditions=data.conditions.model_dump(exclude_none=True),
        actions=_stored_actions(session, data.actions, previous=[], secret_key=secret_key),
        is_active=data.is_active,
        rate_limit=data.rate_limit,
        rate_window_seconds=data.rate_window_seconds,
        created_by=actor.actor,
    )
    session.add(rule)
    session.commit()
    return rule


def update_rule(session: Session, *, rule: Rule, data: RuleUpdate, secret_key: str) -> Rule:
    """Change a rule; ``actions``, when given, replaces the whole list."""
    fields = data.model_dump(exclude_unset=True, exclude={"actions", "conditions"})
    for name, value in fields.items():
        if value is not None:
            setattr(rule, name, value)
    if data.conditions is not None:
        rule.conditions = data.conditions.model_dump(exclude_none=True)
    if data.actions is not None:
        rule.actions = _stored_actions(
            session, data.actions, previous=list(rule.actions), secret_key=secret_key
        )
    rule.updated_at = now()
    session.add(rule)
    session.commit()
    return rule


def delete_rule(session: Session, *, rule: Rule) -> None:
    """Delete a rule and its run log (its queued web requests are still sent)."""
    session.delete(rule)
    session.commit()


def list_rules(
    session: Session, *, limit: int, cursor: str | None
) -> tuple[list[Rule], str | None]:
    query = select(Rule).order_by(col(Rule.id)).limit(limit + 1)
    if cursor:
        (after,) = decode_cursor(cursor, "rule", (int,))
        query = query.where(col(Rule.id) > after)
    return split_page(list(session.exec(query)), limit, lambda r: encode_cursor("rule", r.id))


def list_runs(
    session: Session,
    *,
    rule: Rule,
    outcome: RunOutcome | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[RuleRun], str | None]:
    """Return a rule's runs, newest first."""
    query = select(RuleRun).where(RuleRun.rule_id == rule.id)
    if outcome is not None:
        query = query.where(RuleRun.outcome == outcome)
    if cursor:
        (before,) = decode_cursor(cursor, "run", (int,))
        query = query.where(col(RuleRun.id) < before)
    rows = list(session.exec(query.order_by(col(RuleRun.id).desc()).limit(limit + 1)))
    return split_page(rows, limit, lambda r: encode_cursor("run", r.id))


# --- deliveries ----------------------------------------------------------------------


def get_delivery(session: Session, delivery_id: int) -> Delivery:
    found = session.get(Delivery, delivery_id)
    if found is None:
        raise DeliveryNotFound()
    return found


def delivery_body(session: Session, row: Delivery) -> str:
    if row.body is not None:
        return row.body
    event = session.get(HookEvent, row.hook_event_id) if row.hook_event_id else None
    return event.body if event else ""


def list_deliveries(
    session: Session,
    *,
    db: Database,
    webhook_id: int | None,
    rule_id: int | None,
    status: DeliveryStatus | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Delivery], str | None]:
    """Return deliveries newest first, filtered by webhook, rule and status.

    The deliveries of every event committed so far are written first (``fanout``).
    """
    if fanout.waiting(session):
        fanout.catch_up(db)
        session.commit()  # the reading transaction ends: the next one sees them
    query = select(Delivery)
    if webhook_id is not None:
        query = query.where(Delivery.webhook_id == webhook_id)
    if rule_id is not None:
        query = query.where(Delivery.rule_id == rule_id)
    if status is not None:
        query = query.where(Delivery.status == status)
    if cursor:
        (before,) = decode_cursor(cursor, "delivery", (int,))
        query = query.where(col(Delivery.id) < before)
    rows = list(session.exec(query.order_by(col(Delivery.id).desc()).limit(limit + 1)))
    return split_page(rows, limit, lambda r: encode_cursor("delivery", r.id))


def list_attempts(
    session: Session, *, delivery: Delivery, limit: int, cursor: str | None
) -> tuple[list[DeliveryAttempt], str | None]:
    """Return a delivery's attempts, oldest first."""
    query = select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery.id)
    if cursor:
        (after,) = decode_cursor(cursor, "attempt", (int,))
        query = query.where(col(DeliveryAttempt.id) > after)
    rows = list(session.exec(query.order_by(col(DeliveryAttempt.id)).limit(limit + 1)))
    return split_page(rows, limit, lambda r: encode_cursor("attempt", r.id))


def redeliver(session: Session, *, delivery: Delivery) -> Delivery:
    """Queue a delivery again from the first step of the retry schedule."""
    stamp = now()
    if delivery.locked_until is not None and delivery.locked_until > stamp:
        raise DeliveryInFlight()
    delivery.status = DeliveryStatus.pending
    delivery.step = 0
    delivery.next_attempt_at = stamp
    delivery.delivered_at = None
    delivery.updated_at = stamp
    session.add(delivery)
    wakeup.after_commit(session)
    session.commit()
    return delivery
