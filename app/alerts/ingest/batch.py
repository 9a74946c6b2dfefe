"""The ingest unit of work: payloads in, alerts and cards updated, all in one transaction.

Many requests share one transaction (``committer.run_batch``); each keeps its own
outcome. A request whose integration changed under it (token rotated, deleted,
disabled) gets its 4xx here, inside the transaction that would have stored it.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, or_
from sqlmodel import Session, col, select

from app.alerts.exceptions import IngestUnauthorized, IntegrationDisabled
from app.alerts.lifecycle import AlertBook, Applied
from app.alerts.maintenance import running_windows
from app.alerts.models import (
    SIGNAL_ROW,
    AlertPayload,
    Integration,
    MaintenanceWindow,
    SignalAction,
)
from app.alerts.sources.base import NormalisedAlert
from app.core.clock import now
from app.core.db import pk
from app.core.errors import AppError
from app.core.rows import insert_with_parents

_PAYLOAD = AlertPayload.__table__  # type: ignore[attr-defined]
_WINDOW = MaintenanceWindow.__table__  # type: ignore[attr-defined]
# Whether a maintenance window of the integration or its board runs now: read with the
# integration, so the windows themselves are read only then (a batch's statement less).
_IN_MAINTENANCE = (
    exists()
    .where(
        or_(
            _WINDOW.c.integration_id == col(Integration.id),
            _WINDOW.c.board_id == col(Integration.board_id),
        ),
        _WINDOW.c.starts_at <= bindparam("at"),
        _WINDOW.c.ends_at > bindparam("at"),
    )
    .label("in_maintenance")
)
_INTEGRATIONS = select(Integration, _IN_MAINTENANCE).where(
    col(Integration.id).in_(bindparam("ids", expanding=True))
)


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
    # Alerts by what they did (SignalAction), for the metrics of the process that stored
    # them; not sent back over the writer's socket.
    actions: dict[str, int] = field(default_factory=dict)


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
    integrations: dict[int, Integration] = {}
    in_maintenance = False
    for row, windowed in session.exec(_INTEGRATIONS, params={"ids": ids, "at": at}):
        integrations[pk(row)] = row
        in_maintenance = in_maintenance or bool(windowed)
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
    # Each signal names its request's payload by its place in ``rows``; the payloads and the
    # signals go in together at the end (``insert_with_parents``).
    payload_of = {index: place for place, index in enumerate(valid)}
    book = AlertBook(session, at)
    book.preload((works[i].integration_id, alert.key) for i in valid for alert in works[i].alerts)
    windows = (
        running_windows(
            session, integrations=[integrations[works[i].integration_id] for i in valid], at=at
        )
        if in_maintenance
        else []
    )
    applied: list[tuple[IngestResult, int, NormalisedAlert, Applied]] = []
    for index in valid:
        work = works[index]
        integration = integrations[work.integration_id]
        result = IngestResult(accepted=len(work.alerts))
        for alert in work.alerts:
            applied.append((result, index, alert, book.apply(integration, alert, windows)))
        outcomes[index] = result
    book.flush_events()  # new alerts and cards get their ids
    signals: list[dict[str, Any]] = []
    for result, index, alert, done in applied:
        signals.append(
            SIGNAL_ROW.row(
                integration_id=works[index].integration_id,
                payload_id=payload_of[index],
                alert_id=done.alert_id,
                maintenance_window_id=done.window.id if done.window else None,
                dedup_key=alert.key,
                status=alert.status,
                action=done.action.value,
                received_at=at,
            )
        )
        result.keys.append(alert.key)
        result.actions[done.action.value] = result.actions.get(done.action.value, 0) + 1
        if done.action == SignalAction.suppressed:
            result.suppressed += 1
            continue
        if done.action == SignalAction.ignored:
            result.ignored += 1
        card_id = done.card_id
        if card_id is not None and card_id not in result.cards:
            result.cards.append(card_id)
    insert_with_parents(session, _PAYLOAD, rows, SIGNAL_ROW.table, signals, link="payload_id")
    return [outcome or IngestResult() for outcome in outcomes]


def ingest(session: Session, works: Sequence[IngestWork]) -> list[Outcome]:
    """Store the works' payloads and apply their alerts in one transaction, then commit."""
    outcomes = apply_works(session, works, now())
    session.commit()
    return outcomes
