"""The ingest unit of work: payloads in, alerts and cards updated, all in one transaction.

Many requests share one transaction (see ``committer``); each keeps its own outcome.
A request whose integration changed under it (token rotated, deleted, disabled) gets
its 4xx here, inside the transaction that would have stored it.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import Session, col, select

from app.alerts.exceptions import IngestUnauthorized, IntegrationDisabled
from app.alerts.lifecycle import AlertBook
from app.alerts.maintenance import running_windows
from app.alerts.models import Alert, AlertPayload, AlertSignal, Integration, SignalAction
from app.alerts.sources.base import NormalisedAlert
from app.core.clock import now
from app.core.db import pk
from app.core.errors import AppError


@dataclass(slots=True)
class IngestWork:
    """One request, authenticated and normalised, waiting to be stored."""

    integration_id: int
    token_hash: str
    alerts: list[NormalisedAlert]
    body: str
    truncated: bool = False
    size_bytes: int = 0
    content_type: str = ""


@dataclass(slots=True)
class IngestResult:
    accepted: int = 0
    cards: list[int] = field(default_factory=list)
    suppressed: int = 0
    ignored: int = 0
    keys: list[str] = field(default_factory=list)


Outcome = IngestResult | AppError


def _authorised(
    works: Sequence[IngestWork], integrations: dict[int, Integration]
) -> list[AppError | None]:
    verdicts: list[AppError | None] = []
    for work in works:
        found = integrations.get(work.integration_id)
        if found is None or not hmac.compare_digest(found.token_hash, work.token_hash):
            verdicts.append(IngestUnauthorized())
        elif not found.enabled:
            verdicts.append(IntegrationDisabled())
        else:
            verdicts.append(None)
    return verdicts


def apply_works(session: Session, works: Sequence[IngestWork], at: datetime) -> list[Outcome]:
    """Store the payloads and apply their alerts; flushes, the caller commits."""
    ids = sorted({work.integration_id for work in works})
    query = select(Integration).where(col(Integration.id).in_(ids))
    integrations = {pk(row): row for row in session.exec(query)}
    outcomes: list[Outcome | None] = list(_authorised(works, integrations))
    valid = [index for index, verdict in enumerate(outcomes) if verdict is None]
    if not valid:
        return [outcome or IngestResult() for outcome in outcomes]
    rows = [
        {
            "integration_id": works[index].integration_id,
            "received_at": at,
            "content_type": works[index].content_type[:100],
            "size_bytes": works[index].size_bytes,
            "truncated": works[index].truncated,
            "alert_count": len(works[index].alerts),
            "body": works[index].body,
        }
        for index in valid
    ]
    statement = insert(AlertPayload).returning(col(AlertPayload.id), sort_by_parameter_order=True)
    payload_ids = dict(zip(valid, session.execute(statement, rows).scalars(), strict=True))
    book = AlertBook(session, at)
    book.preload((works[i].integration_id, alert.key) for i in valid for alert in works[i].alerts)
    windows = running_windows(
        session, integrations=[integrations[works[i].integration_id] for i in valid], at=at
    )
    signals: list[dict[str, object]] = []
    for index in valid:
        work = works[index]
        integration = integrations[work.integration_id]
        result = IngestResult(accepted=len(work.alerts))
        for alert in work.alerts:
            applied = book.apply(integration, alert, windows)
            signals.append(
                {
                    "integration_id": work.integration_id,
                    "payload_id": payload_ids[index],
                    "alert": applied.alert,  # its id is known once the batch is flushed
                    "maintenance_window_id": applied.window.id if applied.window else None,
                    "dedup_key": alert.key,
                    "status": alert.status,
                    "action": applied.action.value,
                    "received_at": at,
                }
            )
            result.keys.append(alert.key)
            if applied.action == SignalAction.suppressed:
                result.suppressed += 1
            elif applied.action == SignalAction.ignored:
                result.ignored += 1
            card_id = applied.card_id
            counted = applied.action != SignalAction.suppressed
            if card_id is not None and counted and card_id not in result.cards:
                result.cards.append(card_id)
        outcomes[index] = result
    book.flush_events()
    for signal in signals:
        row = signal.pop("alert")
        signal["alert_id"] = row.id if isinstance(row, Alert) else None
    session.execute(insert(AlertSignal), signals)
    return [outcome or IngestResult() for outcome in outcomes]


def ingest(session: Session, works: Sequence[IngestWork]) -> list[Outcome]:
    """Store the works' payloads and apply their alerts in one transaction, then commit."""
    outcomes = apply_works(session, works, now())
    session.commit()
    return outcomes
