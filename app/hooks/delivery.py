"""The delivery queue in the database: claim due rows, record each attempt's outcome.

A claim sets ``locked_until`` (a lease) and a ``claim_token``: two processes never hold
the same row (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; SQLite: the write lock serialises
claims), and a crashed process's rows come back when the lease ends.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, update
from sqlmodel import Session, col, select

from app.core import events
from app.hooks import fanout
from app.hooks.actions import DeliveryOutcome, notify_finished
from app.hooks.config import HooksSettings
from app.hooks.exceptions import SecretUnreadable
from app.hooks.models import (
    PENDING,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    HookEvent,
    Webhook,
)
from app.hooks.sealing import unseal

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


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        PENDING,  # literal, so that SQLite can use the partial index
        col(Delivery.next_attempt_at) <= now,
        or_(col(Delivery.locked_until).is_(None), col(Delivery.locked_until) < now),
    )


def any_due(session: Session, now: datetime) -> bool:
    """Cheaply tell whether a claim would find anything (a read, no write lock)."""
    return session.exec(select(Delivery.id).where(_due(now)).limit(1)).first() is not None


def _prepare(row: Delivery, webhook: Webhook | None, event: HookEvent | None, key: str) -> Claimed:
    problem: str | None = None
    secret: str | None = None
    headers: dict[str, str] = {}
    url = row.url or (webhook.url if webhook else "")
    body = row.body if row.body is not None else (event.body if event else None)
    try:
        if webhook is not None:
            secret = unseal(key, webhook.secret_sealed)
        elif row.sealed:
            sealed = unseal(key, row.sealed)
            headers = dict(sealed.get("headers") or {})
            secret = sealed.get("secret")
    except SecretUnreadable as exc:
        problem = f"secret_unreadable: {exc}; set a new secret"
    return Claimed(
        id=row.id or 0,
        uuid=row.uuid,
        event_type=row.event_type,
        url=url,
        method=row.method,
        content_type=row.content_type,
        body=body.encode() if body is not None else None,
        headers=headers,
        secret=secret,
        attempt=row.attempts + 1,
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
    rows = session.exec(
        select(Delivery, Webhook, HookEvent)
        .outerjoin(Webhook, col(Webhook.id) == Delivery.webhook_id)
        .outerjoin(HookEvent, col(HookEvent.id) == Delivery.hook_event_id)
        .where(col(Delivery.id).in_(ids))
        .order_by(col(Delivery.id))
    ).all()
    claimed = [_prepare(row, webhook, event, secret_key) for row, webhook, event in rows]
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
    row: Delivery, result: Result, settings: HooksSettings, now: datetime, rng: random.Random
) -> str:
    """Set the row's status from an attempt's result; answer the attempt's outcome."""
    if result.status_code is not None and 200 <= result.status_code < 300:
        row.status = DeliveryStatus.delivered
        row.delivered_at = now
        return "delivered"
    if not _retryable(result):
        row.status = DeliveryStatus.failed
        return "failed"
    if row.step >= settings.max_attempts:
        row.status = DeliveryStatus.dead
        return "dead"
    row.next_attempt_at = now + timedelta(seconds=_next_delay(settings, row.step, result, rng))
    return "retry"


def finish(
    session: Session,
    results: list[Result],
    *,
    now: datetime,
    token: str,
    settings: HooksSettings,
    rng: random.Random,
) -> None:
    """Record every attempt, set each delivery's status, and commit."""
    by_id = {result.id: result for result in results}
    rows = session.exec(select(Delivery).where(col(Delivery.id).in_(list(by_id)))).all()
    for row in rows:
        result = by_id[row.id or 0]
        stale = row.claim_token != token
        if stale:
            # The lease ran out and another process took the row: log it, decide nothing.
            logger.warning("delivery %s: lease lost before its attempt was recorded", row.uuid)
            _log_attempt(session, row, result, "stale", row.attempts + 1)
            continue
        row.attempts += 1
        row.step += 1
        outcome = _decide(row, result, settings, now, rng)
        row.last_status_code = result.status_code
        row.last_error = result.error[:500] if result.error else None
        row.locked_until = None
        row.claim_token = None
        row.updated_at = now
        session.add(row)
        _log_attempt(session, row, result, outcome, row.attempts)
        logger.info(
            "delivery %s %s attempt %d: %s (%s, %d ms)",
            row.uuid,
            row.event_type,
            row.attempts,
            outcome,
            result.status_code if result.status_code is not None else result.error,
            result.duration_ms,
        )
        if row.hook_event_id is None and outcome != "retry":
            _tell_finished(session, row)
    session.commit()


def _log_attempt(
    session: Session, row: Delivery, result: Result, outcome: str, number: int
) -> None:
    session.add(
        DeliveryAttempt(
            delivery_id=row.id or 0,
            number=number,
            started_at=result.started_at,
            duration_ms=result.duration_ms,
            status_code=result.status_code,
            outcome=outcome,
            error=result.error[:500] if result.error else None,
            response_excerpt=result.response_excerpt,
        )
    )


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
        status=row.status.value,
        status_code=row.last_status_code,
        attempts=row.attempts,
        error=row.last_error,
    )
