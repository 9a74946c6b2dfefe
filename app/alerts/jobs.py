"""Periodic work of the alerts domain: expiry and raw payload retention (heartbeats:
see ``heartbeats``).

Every job is one transaction, safe to run twice and in two processes at once: rows are
claimed with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite runs writers one at a
time), every change re-checks the state it changes, and the database refuses a second
open heartbeat card. Each takes a session and reads the injectable clock, so tests
drive it with a ManualClock.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.alerts.config import get_alert_settings
from app.alerts.heartbeats import HEARTBEAT_KEY, check_heartbeats
from app.alerts.lifecycle import AlertBook
from app.alerts.models import (
    Alert,
    AlertPayload,
    AlertStatus,
    Integration,
)
from app.core.clock import now
from app.core.db import Database

_PURGE_CHUNK = 5000

logger = logging.getLogger("firelane.alerts.jobs")


def expire_stale_alerts(session: Session) -> int:
    """Expire firing or acknowledged alerts not refreshed within their stale timeout."""
    at = now()
    book = AlertBook(session, at)
    expired = 0
    integrations = session.exec(
        select(Integration).where(col(Integration.stale_timeout_seconds).is_not(None))
    ).all()
    for integration in integrations:
        assert integration.stale_timeout_seconds is not None
        cutoff = at - timedelta(seconds=integration.stale_timeout_seconds)
        query = (
            select(Alert)
            .where(
                Alert.integration_id == integration.id,
                col(Alert.closed_at).is_(None),
                col(Alert.status).in_([AlertStatus.firing, AlertStatus.acknowledged]),
                col(Alert.last_seen_at) <= cutoff,
                Alert.dedup_key != HEARTBEAT_KEY,
            )
            .with_for_update(skip_locked=True)
        )
        for alert in session.exec(query):
            book.expire(integration, alert)
            expired += 1
    book.flush_events()
    session.commit()
    return expired


def purge_payloads(session: Session, *, retention_days: int) -> int:
    """Delete raw payloads past their retention (a chunk per run); signals and alerts stay."""
    cutoff = now() - timedelta(days=retention_days)
    ids = list(
        session.exec(
            select(AlertPayload.id)
            .where(col(AlertPayload.received_at) < cutoff)
            .order_by(col(AlertPayload.id))
            .limit(_PURGE_CHUNK)
        )
    )
    if ids:
        session.execute(delete(AlertPayload).where(col(AlertPayload.id).in_(ids)))
    session.commit()
    return len(ids)


# --- scheduler entry points (registered in app.jobs) -------------------------------------

EXPIRE_SECONDS = 60
HEARTBEAT_SECONDS = 30
PURGE_MINUTES = 60


def expire_job(db: Database) -> None:
    """alerts.expire_stale: expire alerts past their integration's stale timeout."""
    with db.session() as session:
        expired = expire_stale_alerts(session)
    if expired:
        logger.info("alerts.expire_stale expired %d alert(s)", expired)


def heartbeat_job(db: Database) -> None:
    """alerts.heartbeats: open a card for each overdue heartbeat."""
    with db.session() as session:
        opened = check_heartbeats(session)
    if opened:
        logger.info("alerts.heartbeats opened %d missing-heartbeat alert(s)", opened)


def purge_job(db: Database) -> None:
    """alerts.purge_payloads: delete raw payloads past their retention."""
    days = get_alert_settings().payload_retention_days
    with db.session() as session:
        removed = purge_payloads(session, retention_days=days)
    if removed:
        logger.info("alerts.purge_payloads removed %d raw payload(s)", removed)
