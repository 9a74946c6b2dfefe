"""Periodic work of the hooks domain: keep the delivery log and rule runs to a retention."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, exists
from sqlmodel import Session, col, select

from app.core.clock import now
from app.core.db import Database
from app.hooks.config import get_hooks_settings
from app.hooks.models import Delivery, DeliveryStatus, HookEvent, RuleRun

logger = logging.getLogger("firelane.hooks")


def purge(session: Session, *, retention_days: int) -> int:
    """Delete finished deliveries (with their attempts) and rule runs past the retention."""
    cutoff = now() - timedelta(days=retention_days)
    removed = 0
    finished = delete(Delivery).where(
        col(Delivery.status) != DeliveryStatus.pending, col(Delivery.updated_at) < cutoff
    )
    removed += session.execute(finished).rowcount or 0  # type: ignore[attr-defined]
    orphans = delete(HookEvent).where(
        col(HookEvent.occurred_at) < cutoff,
        col(HookEvent.recipients).is_(None),  # its deliveries are written (or it had none)
        ~exists(select(Delivery.id).where(Delivery.hook_event_id == HookEvent.id)),
    )
    session.execute(orphans)
    runs = delete(RuleRun).where(col(RuleRun.last_at) < cutoff)
    removed += session.execute(runs).rowcount or 0  # type: ignore[attr-defined]
    session.commit()
    return removed


def purge_job(db: Database) -> None:
    """Run ``purge`` with the configured retention (scheduled hourly; idempotent)."""
    with db.session() as session:
        removed = purge(session, retention_days=get_hooks_settings().retention_days)
    if removed:
        logger.info("hooks.purge removed %d old deliveries and rule runs", removed)
