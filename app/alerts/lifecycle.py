"""What a signal does to its alert and card: fire, repeat, reopen, recur, resolve, ack, expire.

``AlertBook`` works inside the caller's transaction (it only flushes): it loads the
current alert rows of many keys at once, locked, and applies signals one by one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.alerts.maintenance import window_for
from app.alerts.models import (
    Alert,
    AlertStatus,
    Integration,
    MaintenanceWindow,
    SignalAction,
)
from app.alerts.severity import priority_for
from app.alerts.sources.base import NormalisedAlert
from app.boards.activity import Pending, record_many
from app.boards.cards import change_card, link_cards, new_card, place_card
from app.boards.exceptions import WipLimitReached
from app.boards.models import Board, BoardColumn, Card, CardKind, Priority
from app.core.db import pk

_CHUNK = 500


@dataclass(slots=True)
class Applied:
    action: SignalAction
    alert: Alert | None = None
    window: MaintenanceWindow | None = None

    @property
    def card_id(self) -> int | None:
        return self.alert.card_id if self.alert is not None else None


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


class AlertBook:
    """The alert rows one transaction reads and changes."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self._current: dict[tuple[int, str], Alert] = {}
        self._cards: dict[int, Card] = {}
        self._pending: list[tuple[Alert, Pending, dict[str, Any]]] = []

    # --- loading -----------------------------------------------------------------------

    def preload(self, keys: Iterable[tuple[int, str]]) -> None:
        """Load and lock the current alerts of these keys, and their cards, in few queries."""
        by_integration: dict[int, set[str]] = {}
        for integration_id, key in keys:
            if (integration_id, key) not in self._current:
                by_integration.setdefault(integration_id, set()).add(key)
        card_ids: list[int] = []
        for integration_id, wanted in by_integration.items():
            ordered = sorted(wanted)
            for start in range(0, len(ordered), _CHUNK):
                query = (
                    select(Alert)
                    .where(
                        Alert.integration_id == integration_id,
                        col(Alert.dedup_key).in_(ordered[start : start + _CHUNK]),
                        col(Alert.closed_at).is_(None),
                    )
                    .with_for_update()
                )
                for row in self.session.exec(query):
                    self._current[(integration_id, row.dedup_key)] = row
                    card_ids.append(row.card_id)
        for start in range(0, len(card_ids), _CHUNK):
            cards = select(Card).where(col(Card.id).in_(card_ids[start : start + _CHUNK]))
            for card in self.session.exec(cards):
                self._cards[pk(card)] = card

    def current(self, integration_id: int, key: str) -> Alert | None:
        if (integration_id, key) not in self._current:
            self.preload([(integration_id, key)])
        return self._current.get((integration_id, key))

    def card(self, alert: Alert) -> Card:
        card = self._cards.get(alert.card_id)
        if card is None:
            card = self.session.get(Card, alert.card_id)
            assert card is not None, "an alert's card is deleted with it"
            self._cards[alert.card_id] = card
        return card

    # --- signals -----------------------------------------------------------------------

    def apply(
        self,
        integration: Integration,
        signal: NormalisedAlert,
        windows: list[MaintenanceWindow] = (),  # type: ignore[assignment]
    ) -> Applied:
        """Apply one normalised alert to its key's alert and card."""
        current = self.current(pk(integration), signal.key)
        if signal.status == "firing":
            window = window_for(windows, integration, signal.labels)
            if window is not None:
                return Applied(SignalAction.suppressed, current, window)
            return self._fire(integration, signal, current)
        if current is None:
            return Applied(SignalAction.ignored)
        if signal.status == "resolved":
            return self._resolve(integration, signal, current)
        return self._acknowledge(integration, current)

    def _closed_by_person(self, alert: Alert, integration: Integration) -> bool:
        card = self.card(alert)
        if card.archived_at is not None:
            return True
        if card.done_at is None:
            return False
        moved_by_us = alert.auto_closed and card.column_id == integration.resolve_column_id
        return not moved_by_us

    def _fire(
        self, integration: Integration, signal: NormalisedAlert, current: Alert | None
    ) -> Applied:
        if current is None:
            return Applied(SignalAction.fired, self._open(integration, signal, previous=None))
        if self._closed_by_person(current, integration):
            current.closed_at = self.now
            self.session.add(current)
            self.session.flush()
            del self._current[(pk(integration), current.dedup_key)]
            opened = self._open(integration, signal, previous=current)
            return Applied(SignalAction.recurred, opened)
        if current.is_active:
            return Applied(SignalAction.repeated, self._repeat(integration, signal, current))
        return Applied(SignalAction.reopened, self._reopen(integration, signal, current))

    def _priority(self, integration: Integration, severity: str | None) -> Priority:
        return priority_for(severity, integration.severity_map, integration.default_priority)

    def _event(
        self, alert: Alert, card: Card, type: str, integration: Integration, **extra: Any
    ) -> None:
        # Recorded in bulk by flush_events(); the figures are the ones of this moment.
        facts = {
            "integration_id": alert.integration_id,
            "dedup_key": alert.dedup_key,
            "status": str(alert.status),
            "severity": alert.severity,
            "occurrences": alert.occurrences,
            "flaps": alert.flaps,
            "recurrence": alert.recurrence,
            **extra,
        }
        entry = Pending(card=card, type=type, actor=integration.actor)
        self._pending.append((alert, entry, facts))

    def flush_events(self) -> None:
        """Write the card events of every signal applied so far, in order, and emit them."""
        if not self._pending:
            return
        self.session.flush()  # the new alerts get their ids
        entries = []
        for alert, entry, facts in self._pending:
            entry.data = {"alert": {"id": alert.id, **facts}}
            entries.append(entry)
        self._pending.clear()
        record_many(self.session, entries)

    def _open(
        self, integration: Integration, signal: NormalisedAlert, previous: Alert | None
    ) -> Alert:
        card = self._new_card(integration, signal)
        alert = Alert(
            integration_id=pk(integration),
            dedup_key=signal.key,
            card_id=pk(card),
            source=signal.source,
            severity=signal.severity,
            title=signal.title,
            labels=signal.labels,
            annotations=signal.annotations,
            links=[link.as_dict() for link in signal.links],
            recurrence=previous.recurrence + 1 if previous is not None else 0,
            previous_alert_id=previous.id if previous is not None else None,
            first_seen_at=self.now,
            last_seen_at=self.now,
            starts_at=signal.starts_at,
        )
        self.session.add(alert)
        set_committed_value(card, "alert_record", alert)
        self._current[(pk(integration), signal.key)] = alert
        self._cards[pk(card)] = card
        extra: dict[str, Any] = {}
        if previous is not None:
            link_cards(self.session, card=card, target=self.card(previous), kind="recurrence_of")
            extra["recurrence_of_card_id"] = previous.card_id
        self._event(alert, card, "alert.fired", integration, **extra)
        return alert

    def _new_card(self, integration: Integration, signal: NormalisedAlert) -> Card:
        board = self.session.get(Board, integration.board_id)
        assert board is not None, "an integration is deleted with its board"
        fields: dict[str, Any] = {
            "board": board,
            "actor": integration.actor,
            "title": signal.title,
            "top": True,
            "description": _card_text(signal, integration),
            "kind": CardKind.fire,
            "priority": self._priority(integration, signal.severity),
            "labels": ["alert", str(integration.kind)],
        }
        try:
            card, _ = new_card(self.session, column_id=integration.column_id, **fields)
            return card
        except WipLimitReached:
            # A fire is never refused for a full column: it goes to the next one with room.
            for column_id in self._open_columns(integration):
                if column_id == integration.column_id:
                    continue
                try:
                    card, _ = new_card(self.session, column_id=column_id, **fields)
                    return card
                except WipLimitReached:
                    continue
            raise

    def _open_columns(self, integration: Integration) -> list[int]:
        """The board's columns that are not done columns, in board order."""
        query = (
            select(BoardColumn.id)
            .where(
                BoardColumn.board_id == integration.board_id,
                col(BoardColumn.is_done).is_(False),
            )
            .order_by(col(BoardColumn.position))
        )
        return [column_id for column_id in self.session.exec(query) if column_id is not None]

    def _touch(self, integration: Integration, signal: NormalisedAlert, alert: Alert) -> Card:
        alert.occurrences += 1
        alert.last_seen_at = self.now
        alert.title = signal.title
        alert.labels = signal.labels
        alert.annotations = signal.annotations
        alert.links = [link.as_dict() for link in signal.links]
        card = self.card(alert)
        wanted = self._priority(integration, signal.severity)
        if wanted.level > Priority(card.priority).level:
            alert.severity = signal.severity
            change_card(
                self.session, card=card, fields={"priority": wanted}, actor=integration.actor
            )
        self.session.add(alert)
        return card

    def _repeat(self, integration: Integration, signal: NormalisedAlert, alert: Alert) -> Alert:
        card = self._touch(integration, signal, alert)
        self._event(alert, card, "alert.repeated", integration)
        return alert

    def _reopen(self, integration: Integration, signal: NormalisedAlert, alert: Alert) -> Alert:
        resolved_at = alert.resolved_at or alert.expired_at
        window = timedelta(seconds=integration.flap_window_seconds)
        flapped = resolved_at is not None and self.now - resolved_at <= window
        if flapped:
            alert.flaps += 1
        alert.status = AlertStatus.firing
        alert.resolved_at = alert.expired_at = alert.ends_at = alert.acknowledged_at = None
        card = self._touch(integration, signal, alert)
        if alert.auto_closed:
            # The card went to the resolve column by itself: bring it back where fires land.
            alert.auto_closed = False
            back = integration.column_id or next(iter(self._open_columns(integration)), None)
            if back is not None and back != card.column_id and card.archived_at is None:
                self._move(integration, card, back)
        self._event(alert, card, "alert.fired", integration, reopened=True, flapped=flapped)
        return alert

    def _move(self, integration: Integration, card: Card, column_id: int) -> bool:
        try:
            place_card(
                self.session, card=card, column_id=column_id, actor=integration.actor, top=True
            )
        except WipLimitReached:
            return False
        return True

    def _resolve(self, integration: Integration, signal: NormalisedAlert, alert: Alert) -> Applied:
        if alert.status == AlertStatus.resolved:
            return Applied(SignalAction.ignored, alert)
        alert.status = AlertStatus.resolved
        alert.resolved_at = self.now
        alert.last_seen_at = self.now
        alert.ends_at = signal.ends_at or self.now
        card = self.card(alert)
        target = integration.resolve_column_id
        moved = False
        if target is not None and card.column_id != target and card.status == "open":
            moved = self._move(integration, card, target)
            alert.auto_closed = moved
        self.session.add(alert)
        self._event(alert, card, "alert.resolved", integration, moved=moved)
        return Applied(SignalAction.resolved, alert)

    def _acknowledge(self, integration: Integration, alert: Alert) -> Applied:
        if alert.status != AlertStatus.firing:
            return Applied(SignalAction.ignored, alert)
        alert.status = AlertStatus.acknowledged
        alert.acknowledged_at = self.now
        alert.last_seen_at = self.now
        self.session.add(alert)
        self._event(alert, self.card(alert), "alert.acknowledged", integration)
        return Applied(SignalAction.acknowledged, alert)

    def expire(self, integration: Integration, alert: Alert) -> None:
        """Mark an alert that was not refreshed in time as expired."""
        alert.status = AlertStatus.expired
        alert.expired_at = self.now
        self.session.add(alert)
        self._event(alert, self.card(alert), "alert.expired", integration)
