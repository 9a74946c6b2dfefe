"""The delivery queue in the database: claim due rows, record each attempt's outcome.

A claim sets ``locked_until`` (a lease) and a ``claim_token``: two processes never hold
the same row (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: the write lock serialises
claims), and a crashed process's rows come back when the lease ends.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.core import events
from app.core.rows import insert_rows
from app.core.sealing import SecretUnreadable, unseal
from app.hooks import fanout
from app.hooks.actions import DeliveryOutcome, notify_finished
from app.hooks.config import HooksSettings
from app.hooks.metrics import ATTEMPTS
from app.hooks.models import (
    PENDING,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    HookEvent,
    Webhook,
)

logger = logging.getLogger("firelane.hooks")


@dataclass(frozen=True)
class Claimed:
    """A delivery ready to send: everything the sender needs, decrypted."""

    id: int
    uuid: str
    event_type: str
    url: str
    method: str
    content_type: str
    body: bytes | None
    headers: dict[str, str]
    secret: str | None
    attempt: int
    problem: str | None = None


@dataclass(frozen=True)
class Result:
    """What one attempt got."""

    id: int
    started_at: datetime
    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    response_excerpt: str = ""
    retry_after: float | None = None
    # A problem found before sending (unreadable secret, deleted webhook): no retry helps.
    final: bool = False
    # Not sent, or not heard back, before the loop stopped: the claim is given back.
    released: bool = False


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        PENDING,  # literal, so that SQLite can use the partial index
        col(Delivery.next_attempt_at) <= now,
        or_(col(Delivery.locked_until).is_(None), col(Delivery.locked_until) < now),
    )


def any_due(session: Session, now: datetime) -> bool:
    """Cheaply tell whether a claim would find anything (a read, no write lock)."""
    return session.exec(select(Delivery.id).where(_due(now)).limit(1)).first() is not None


def _columns(*columns: Any) -> tuple[Any, ...]:
    return tuple(col(each) for each in columns)


# What a claim reads of each delivery, its webhook and its event.
_CLAIMED = _columns(
    Delivery.id,
    Delivery.uuid,
    Delivery.event_type,
    Delivery.url,
    Delivery.method,
    Delivery.content_type,
    Delivery.body,
    Delivery.sealed,
    Delivery.attempts,
    Webhook.url,
    Webhook.secret_sealed,
    HookEvent.body,
)


def _unseal(key: str, sealed: str, cache: dict[str, Any]) -> Any:
    """Decrypt a sealed value once per claim (a webhook's deliveries share its secret)."""
    if sealed not in cache:
        cache[sealed] = unseal(key, sealed)
    return cache[sealed]


def _prepare(row: Sequence[Any], key: str, cache: dict[str, Any]) -> Claimed:
    (
        delivery_id,
        delivery_uuid,
        event_type,
        own_url,
        method,
        content_type,
        own_body,
        own_sealed,
        attempts,
        webhook_url,
        webhook_sealed,
        event_body,
    ) = row
    problem: str | None = None
    secret: str | None = None
    headers: dict[str, str] = {}
    url = own_url or webhook_url or ""
    body = own_body if own_body is not None else event_body
    try:
        if webhook_sealed is not None:
            secret = _unseal(key, webhook_sealed, cache)
        elif own_sealed:
            sealed = _unseal(key, own_sealed, cache)
            headers = dict(sealed.get("headers") or {})
            secret = sealed.get("secret")
    except SecretUnreadable as exc:
        problem = f"secret_unreadable: {exc}; set a new secret"
    return Claimed(
        id=delivery_id,
        uuid=delivery_uuid,
        event_type=event_type,
        url=url,
        method=method,
        content_type=content_type,
        body=body.encode() if body is not None else None,
        headers=headers,
        secret=secret,
        attempt=attempts + 1,
        problem=problem,
    )


def claim(
    session: Session, *, now: datetime, limit: int, lease: float, token: str, secret_key: str
) -> list[Claimed]:
    """Write the deliveries of waiting events, claim up to ``limit`` due ones for ``lease``
    seconds, and commit."""
    fanned = fanout.fan_out(session, limit=max(limit, fanout.CHUNK))
    query = (
        select(Delivery.id)
        .where(_due(now))
        .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(session.exec(query))
    if not ids:
        if fanned:
            session.commit()
        else:
            session.rollback()
        return []
    session.execute(
        update(Delivery)
        .where(col(Delivery.id).in_(ids))
        .values(locked_until=now + timedelta(seconds=lease), claim_token=token)
    )
    rows = session.execute(
        sa_select(*_CLAIMED)
        .outerjoin(Webhook, col(Webhook.id) == Delivery.webhook_id)
        .outerjoin(HookEvent, col(HookEvent.id) == Delivery.hook_event_id)
        .where(col(Delivery.id).in_(ids))
        .order_by(col(Delivery.id))
    ).all()
    cache: dict[str, Any] = {}
    claimed = [_prepare(row, secret_key, cache) for row in rows]
    session.commit()
    return claimed


def _retryable(result: Result) -> bool:
    if result.final:
        return False
    code = result.status_code
    return code is None or code >= 500 or code in (408, 429)


def _next_delay(settings: HooksSettings, step: int, result: Result, rng: random.Random) -> float:
    delay = settings.delays[step] * (1 + rng.uniform(-settings.jitter, settings.jitter))
    if result.retry_after is not None:
        delay = max(delay, min(result.retry_after, settings.max_retry_after_seconds))
    return delay


def _decide(
    step: int, result: Result, settings: HooksSettings, now: datetime, rng: random.Random
) -> tuple[str, dict[str, Any]]:
    """An attempt's outcome (its delivery at ``step`` of the schedule), and what it changes."""
    if result.status_code is not None and 200 <= result.status_code < 300:
        return "delivered", {"status": DeliveryStatus.delivered.value, "delivered_at": now}
    if not _retryable(result):
        return "failed", {"status": DeliveryStatus.failed.value}
    if step >= settings.max_attempts:
        return "dead", {"status": DeliveryStatus.dead.value}
    delay = _next_delay(settings, step, result, rng)
    return "retry", {"next_attempt_at": now + timedelta(seconds=delay)}


# What finishing an attempt reads of its delivery.
_FINISHING = _columns(
    Delivery.id,
    Delivery.uuid,
    Delivery.event_type,
    Delivery.claim_token,
    Delivery.attempts,
    Delivery.step,
    Delivery.hook_event_id,
)
_ATTEMPT = DeliveryAttempt.__table__  # type: ignore[attr-defined]


def finish(
    session: Session,
    results: list[Result],
    *,
    now: datetime,
    token: str,
    settings: HooksSettings,
    rng: random.Random,
) -> None:
    """Record every attempt, set each delivery's status, release what was not sent, and
    commit."""
    released = [result.id for result in results if result.released]
    if released:
        session.execute(
            update(Delivery)
            .where(col(Delivery.id).in_(released), col(Delivery.claim_token) == token)
            .values(locked_until=None, claim_token=None)
        )
        logger.info("released %d claimed deliveries, not sent before the stop", len(released))
    by_id = {result.id: result for result in results if not result.released}
    rows = session.execute(
        sa_select(*_FINISHING).where(col(Delivery.id).in_(list(by_id))).order_by(col(Delivery.id))
    ).all()
    changes: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    told: list[int] = []
    outcomes: list[str] = ["released"] * len(released)
    for delivery_id, delivery_uuid, event_type, claim_token, tried, step, hook_event_id in rows:
        result = by_id[delivery_id]
        if claim_token != token:
            # The lease ran out and another process took the row: log it, decide nothing.
            logger.warning("delivery %s: lease lost before its attempt was recorded", delivery_uuid)
            attempts.append(_attempt(delivery_id, result, "stale", tried + 1))
            outcomes.append("stale")
            continue
        outcome, changed = _decide(step + 1, result, settings, now, rng)
        attempt = _attempt(delivery_id, result, outcome, tried + 1)
        attempts.append(attempt)
        outcomes.append(outcome)
        changes.append(
            {
                "id": delivery_id,
                "attempts": tried + 1,
                "step": step + 1,
                "last_status_code": result.status_code,
                "last_error": attempt["error"],
                "locked_until": None,
                "claim_token": None,
                "updated_at": now,
                **changed,
            }
        )
        logger.info(
            "delivery %s %s attempt %d: %s (%s, %d ms)",
            delivery_uuid,
            event_type,
            tried + 1,
            outcome,
            result.status_code if result.status_code is not None else result.error,
            result.duration_ms,
        )
        if hook_event_id is None and outcome != "retry":
            told.append(delivery_id)
    if changes:
        session.execute(update(Delivery), changes)
    insert_rows(session, _ATTEMPT, attempts)
    for delivery_id in told:
        row = session.get(Delivery, delivery_id)
        if row is not None:
            _tell_finished(session, row)
    session.commit()
    for outcome in outcomes:
        ATTEMPTS.labels(outcome).inc()


def _attempt(delivery_id: int, result: Result, outcome: str, number: int) -> dict[str, Any]:
    """One attempt's row in the delivery log."""
    return {
        "delivery_id": delivery_id,
        "number": number,
        "started_at": result.started_at,
        "duration_ms": result.duration_ms,
        "status_code": result.status_code,
        "outcome": outcome,
        "error": result.error[:500] if result.error else None,
        "response_excerpt": result.response_excerpt,
    }


def _tell_finished(session: Session, row: Delivery) -> None:
    """Let listeners (the card's activity) hear a rule web request's final status."""
    try:
        with events.savepoint(session):
            notify_finished(session, _outcome(row))
    except Exception:
        logger.exception("delivery %s: recording its outcome failed", row.uuid)


def _outcome(row: Delivery) -> DeliveryOutcome:
    return DeliveryOutcome(
        delivery_id=row.uuid,
        rule_id=row.rule_id,
        event_type=row.event_type,
        board_id=row.board_id,
        card_id=row.card_id,
        depth=row.depth,
        status=DeliveryStatus(row.status).value,
        status_code=row.last_status_code,
        attempts=row.attempts,
        error=row.last_error,
    )
