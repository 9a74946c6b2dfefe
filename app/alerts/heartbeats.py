"""Heartbeats: an integration expecting a ping every N seconds opens a fire card when one
is missing, and the next ping resolves it.

``check_heartbeats`` is a periodic job: safe twice and in two processes (integrations are
claimed with ``FOR UPDATE SKIP LOCKED``; the database refuses a second open card).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.alerts.exceptions import IngestUnauthorized, IntegrationDisabled
from app.alerts.lifecycle import AlertBook
from app.alerts.models import SIGNAL_ROW, AlertSignal, Integration, SignalAction
from app.alerts.schemas import HeartbeatAccepted
from app.alerts.sources.base import NormalisedAlert
from app.auth.credentials import hash_secret, same
from app.core.clock import now
from app.core.db import pk
from app.core.schemas import MAX_ID

HEARTBEAT_KEY = "firelane:heartbeat"


def _heartbeat_signal(integration: Integration, status: str) -> NormalisedAlert:
    last = integration.heartbeat_last_at
    since = f"since {last.isoformat()}" if last else "since the integration was created"
    return NormalisedAlert(
        source="heartbeat",
        key=HEARTBEAT_KEY,
        status=status,
        title=f"Heartbeat missing: {integration.name}",
        severity="critical",
        description=(
            f"No heartbeat {since}; one is expected every "
            f"{integration.heartbeat_interval_seconds} seconds."
        ),
        labels={"integration": integration.name, "alertname": "FirelaneHeartbeatMissing"},
    )


def _store_signal(
    session: Session,
    integration: Integration,
    alert_id: int | None,
    status: str,
    action: SignalAction,
) -> None:
    row = SIGNAL_ROW.row(
        integration_id=pk(integration),
        alert_id=alert_id,
        dedup_key=HEARTBEAT_KEY,
        status=status,
        action=action.value,
        received_at=now(),
    )
    session.execute(insert(AlertSignal), [row])


def check_heartbeats(session: Session) -> int:
    """Open a fire card for every integration whose heartbeat is overdue; return how many."""
    at = now()
    book = AlertBook(session, at)
    query = (
        select(Integration)
        .where(col(Integration.heartbeat_interval_seconds).is_not(None), col(Integration.enabled))
        .with_for_update(skip_locked=True)
    )
    opened = 0
    for integration in session.exec(query).all():
        assert integration.heartbeat_interval_seconds is not None
        last = integration.heartbeat_last_at or integration.created_at
        if at - last <= timedelta(seconds=integration.heartbeat_interval_seconds):
            continue
        current = book.current(pk(integration), HEARTBEAT_KEY)
        if current is not None and current.is_active:
            continue
        applied = book.apply(integration, _heartbeat_signal(integration, "firing"))
        book.flush_events()
        _store_signal(session, integration, applied.alert_id, "firing", applied.action)
        opened += 1
    try:
        session.commit()
    except IntegrityError:  # another process opened the same card first
        session.rollback()
        return 0
    return opened


def ping(session: Session, *, integration_id: int, token: str | None) -> HeartbeatAccepted:
    """Record a heartbeat; resolve the missing-heartbeat alert if one is firing."""
    known = token and 1 <= integration_id <= MAX_ID  # no integration has another id
    integration = session.get(Integration, integration_id) if known else None
    if integration is None or not token or not same(integration.token_hash, hash_secret(token)):
        raise IngestUnauthorized()
    if not integration.enabled:
        raise IntegrationDisabled()
    at = now()
    integration.heartbeat_last_at = at
    session.add(integration)
    book = AlertBook(session, at)
    current = book.current(pk(integration), HEARTBEAT_KEY)
    resolved: int | None = None
    if current is not None and current.is_active:
        applied = book.apply(integration, _heartbeat_signal(integration, "resolved"))
        book.flush_events()
        _store_signal(session, integration, applied.alert_id, "resolved", applied.action)
        resolved = applied.card_id
    session.commit()
    interval = integration.heartbeat_interval_seconds
    return HeartbeatAccepted(
        received_at=at,
        next_expected_by=at + timedelta(seconds=interval) if interval else None,
        resolved_card_id=resolved,
    )
