"""Reading what alerts brought: a card's received signals with their raw payloads, and the
facts of a card's alert that its tile on a live board shows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.alerts.models import Alert, AlertPayload, AlertSignal
from app.alerts.schemas import AlertPayloadPublic, AlertSignalPublic
from app.core.db import among
from app.core.pagination import decode_cursor, encode_cursor, split_page


def _body(payload: AlertPayload) -> object:
    if payload.truncated:
        return payload.body
    try:
        return json.loads(payload.body)
    except ValueError:
        return payload.body


def _public(signal: AlertSignal, payload: AlertPayload | None) -> AlertSignalPublic:
    return AlertSignalPublic(
        id=signal.id or 0,
        alert_id=signal.alert_id,
        integration_id=signal.integration_id,
        dedup_key=signal.dedup_key,
        status=signal.status,
        action=signal.action,
        maintenance_window_id=signal.maintenance_window_id,
        received_at=signal.received_at,
        payload=AlertPayloadPublic(
            id=payload.id or 0,
            received_at=payload.received_at,
            content_type=payload.content_type,
            size_bytes=payload.size_bytes,
            truncated=payload.truncated,
            alert_count=payload.alert_count,
            body=_body(payload),
        )
        if payload is not None
        else None,
    )


def card_signals(
    session: Session, *, card_id: int, limit: int, cursor: str | None
) -> tuple[list[AlertSignalPublic], str | None]:
    """Return what every alert of a card received, oldest first, a page at a time."""
    query = (
        select(AlertSignal, AlertPayload)
        .join(Alert, col(AlertSignal.alert_id) == col(Alert.id))
        .outerjoin(AlertPayload, col(AlertSignal.payload_id) == col(AlertPayload.id))
        .where(Alert.card_id == card_id)
    )
    if cursor:
        (after,) = decode_cursor(cursor, "signal", (int,))
        query = query.where(col(AlertSignal.id) > after)
    rows = list(session.exec(query.order_by(col(AlertSignal.id)).limit(limit + 1)))
    page, next_cursor = split_page(rows, limit, lambda row: encode_cursor("signal", row[0].id))
    return [_public(signal, payload) for signal, payload in page], next_cursor


_TILE_FACTS = (
    "status", "severity", "occurrences", "flaps", "first_seen_at", "starts_at", "resolved_at",
)  # fmt: skip


def tile_facts(session: Session, card_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """What a board's card tile shows of each card's alert (live board streams)."""
    columns = [col(Alert.card_id), *(col(getattr(Alert, name)) for name in _TILE_FACTS)]
    query = sa.select(*columns).where(among(session, col(Alert.card_id), card_ids))
    return {
        card_id: dict(zip(_TILE_FACTS, facts, strict=True))
        for card_id, *facts in session.connection().execute(query)
    }
