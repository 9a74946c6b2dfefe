"""New alerts, written in bulk: each one a new card and a new alert row.

An ``Opening`` is what the alert book decides when a key fires with no current alert
(or after a person closed its card); ``write_openings`` writes many at once, in order:
their cards with ``app.boards.bulk.open_cards`` (card.created events included), then
their alert rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.alerts.models import ALERT_ROW, Alert, Integration, summary_json
from app.alerts.severity import priority_for
from app.alerts.sources.base import NormalisedAlert
from app.boards.activity import Entry
from app.boards.bulk import CardSpec, OpenedCard, open_cards
from app.boards.models import CardKind
from app.core.db import pk
from app.core.jsontext import Document
from app.core.rows import insert_returning_ids


@dataclass(slots=True, eq=False)
class Opening:
    """A new alert and its new card, written when the book settles."""

    spec: CardSpec
    values: dict[str, Any]  # the alert row, less its id (its card's id once written)
    id: int | None = None
    card: OpenedCard | None = None

    @property
    def card_id(self) -> int | None:
        return self.card.id if self.card is not None else None

    def snapshot(self) -> Document:
        """The card's JSON with its alert, as written (nothing changed either since)."""
        assert self.card is not None, "settled"
        return self.card.snapshot(alert=summary_json(self.values))


def _card_text(signal: NormalisedAlert, integration: Integration) -> str:
    facts = [f"Source: {integration.name} ({signal.source}), key {signal.key}"]
    if signal.severity:
        facts.append(f"Severity: {signal.severity}")
    if signal.labels:
        pairs = ", ".join(f"{name}={value}" for name, value in signal.labels.items())
        facts.append(f"Labels: {pairs[:4000]}")
    facts += [f"{link.rel}: {link.url}" for link in signal.links]
    body = signal.description.strip()
    return f"{body}\n\n" + "\n".join(facts) if body else "\n".join(facts)


def opening(
    integration: Integration, signal: NormalisedAlert, previous: Alert | None, now: datetime
) -> Opening:
    """A new card and alert for this signal's key; ``previous`` is the closed card's alert."""
    spec = CardSpec(
        board_id=integration.board_id,
        actor=integration.actor,
        title=signal.title,
        column_id=integration.column_id,
        description=_card_text(signal, integration),
        kind=CardKind.fire,
        priority=priority_for(
            signal.severity, integration.severity_map, integration.default_priority
        ),
        labels=["alert", str(integration.kind)],
        links=[(previous.card_id, "recurrence_of")] if previous is not None else [],
    )
    values = ALERT_ROW.row(
        integration_id=pk(integration),
        card_id=None,  # set when the card is written
        dedup_key=signal.key,
        source=signal.source,
        severity=signal.severity,
        title=signal.title,
        labels=signal.labels,
        annotations=signal.annotations,
        links=[link.as_dict() for link in signal.links],
        recurrence=previous.recurrence + 1 if previous is not None else 0,
        previous_alert_id=previous.id if previous is not None else None,
        first_seen_at=now,
        last_seen_at=now,
        starts_at=signal.starts_at or now,
    )
    return Opening(spec, values)


def write_openings(
    session: Session, openings: Sequence[Opening], created: list[Entry] | None = None
) -> None:
    """Write the openings' cards and events, then their alert rows; flushes nothing else.

    A fire is never refused for a full column: it goes to the next open one with room.
    ``created``: the cards' ``card.created`` events go there, unwritten (``open_cards``).
    """
    specs = [each.spec for each in openings]
    cards = open_cards(session, specs, top=True, overflow=True, created=created)
    for each, card in zip(openings, cards, strict=True):
        each.card = card
        each.values["card_id"] = card.id
    ids = insert_returning_ids(session, ALERT_ROW.table, [each.values for each in openings])
    for each, alert_id in zip(openings, ids, strict=True):
        each.id = alert_id
