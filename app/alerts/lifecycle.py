"""What a signal does to its alert and card: fire, repeat, reopen, recur, resolve, ack, expire.

``AlertBook`` works inside the caller's transaction (it only flushes): it loads the
current alert rows of many keys at once, locked, and applies signals one by one.

New alerts are written in bulk: an alert that opens a card is an ``Opening`` until the
book *settles*, when all openings so far get their cards and alert rows with a few
statements (``openings``). The book settles before anything else writes a card event
(a priority raised, a card moved), before a key with an opening is touched again, and
in ``flush_events``; so the events come in the order the signals caused them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm import lazyload
from sqlmodel import Session, col, select

from app.alerts.maintenance import window_for
from app.alerts.models import (
    ALERT_ROW,
    Alert,
    AlertStatus,
    Integration,
    MaintenanceWindow,
    SignalAction,
)
from app.alerts.openings import Opening, opening, write_openings
from app.alerts.severity import priority_for
from app.alerts.sources.base import NormalisedAlert
from app.boards.activity import Actor, Entry, Once, card_snapshot, write_events
from app.boards.cards import change_card, place_card
from app.boards.exceptions import WipLimitReached
from app.boards.models import CARD_ROW, EVENT_ROW, BoardColumn, Card, Priority
from app.core import events
from app.core.db import pk, unprepared
from app.core.rows import reserve_ids
from app.hooks.catalogue import EVENT_TYPES

_CHUNK = 500
# Built once: every batch runs them.
_CURRENT = (
    select(Alert)
    .where(
        Alert.integration_id == bindparam("integration_id"),
        col(Alert.dedup_key).in_(bindparam("keys", expanding=True)),
        col(Alert.closed_at).is_(None),
    )
    .with_for_update()
)
_CARDS = select(Card).where(col(Card.id).in_(bindparam("ids", expanding=True)))
# The cards alone: their labels, checklist, links, targets and alert (five more queries)
# are only read for their snapshots, so they are loaded only if one is taken.
_BARE_CARDS = _CARDS.options(lazyload("*"))
_EVERY_TYPE = tuple(event_type.name for event_type in EVENT_TYPES)

Key = tuple[int, str]


@dataclass(slots=True)
class Applied:
    action: SignalAction
    alert: Alert | Opening | None = None
    window: MaintenanceWindow | None = None

    @property
    def card_id(self) -> int | None:
        """The alert's card (for an opening, known once the book is flushed)."""
        return self.alert.card_id if self.alert is not None else None

    @property
    def alert_id(self) -> int | None:
        """The alert's id (for an opening, known once the book is flushed)."""
        return self.alert.id if self.alert is not None else None


@dataclass(slots=True)
class _Pending:
    alert: Alert | Opening
    card: Card | Opening
    type: str
    actor: Actor
    facts: dict[str, Any]


_LEVEL = {priority: priority.level for priority in Priority}


def _set_changed(row: Alert, **values: Any) -> None:
    # Writing an ORM attribute costs far more than comparing it: a repeat changes little.
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)


def _facts(alert: Alert | Opening) -> dict[str, Any]:
    get = alert.values.__getitem__ if isinstance(alert, Opening) else partial(getattr, alert)
    return {
        "integration_id": get("integration_id"),
        "dedup_key": get("dedup_key"),
        "status": str(get("status")),
        "severity": get("severity"),
        "occurrences": get("occurrences"),
        "flaps": get("flaps"),
        "recurrence": get("recurrence"),
    }


class AlertBook:
    """The alert rows one transaction reads and changes."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self._current: dict[Key, Alert] = {}
        self._looked_up: set[Key] = set()
        self._opening: dict[Key, Opening] = {}
        self._cards: dict[int, Card] = {}
        self._pending: list[_Pending] = []

    # --- loading -----------------------------------------------------------------------

    def preload(self, keys: Iterable[Key]) -> None:
        """Load and lock the current alerts of these keys, and their cards, in few queries."""
        by_integration: dict[int, set[str]] = {}
        for key in keys:
            if key not in self._looked_up:
                by_integration.setdefault(key[0], set()).add(key[1])
        card_ids: list[int] = []
        with unprepared(self.session):  # planned for the keys at hand, however big the table
            # Locked in one order (integration, key), so two batches never deadlock on them.
            for integration_id, wanted in sorted(by_integration.items()):
                ordered = sorted(wanted)
                self._looked_up.update((integration_id, key) for key in ordered)
                for start in range(0, len(ordered), _CHUNK):
                    some = ordered[start : start + _CHUNK]
                    chunk = {"integration_id": integration_id, "keys": some}
                    for row in self.session.exec(_CURRENT, params=chunk):
                        self._current[(integration_id, row.dedup_key)] = row
                        card_ids.append(row.card_id)
            cards = _CARDS if card_ids and self._snapshots_wanted() else _BARE_CARDS
            for start in range(0, len(card_ids), _CHUNK):
                ids = {"ids": card_ids[start : start + _CHUNK]}
                for card in self.session.exec(cards, params=ids):
                    self._cards[pk(card)] = card

    def _snapshots_wanted(self) -> bool:
        """Whether an event emitted now would take its card's snapshot (a rule or listener
        reads it); if so, the cards are loaded whole, in a few queries for all of them."""
        return any(events.wanted(self.session, event_type) for event_type in _EVERY_TYPE)

    def current(self, integration_id: int, key: str) -> Alert | None:
        found = (integration_id, key)
        if found in self._opening:
            self._settle()  # it is read back as a row like any other
        if found not in self._looked_up:
            self.preload([found])
        return self._current.get(found)

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
        self,
        alert: Alert | Opening,
        card: Card | Opening,
        type: str,
        integration: Integration,
        **extra: Any,
    ) -> None:
        # Recorded in bulk by flush_events(); the figures are the ones of this moment.
        facts = {**_facts(alert), **extra}
        self._pending.append(_Pending(alert, card, type, integration.actor, facts))

    def flush_events(self) -> None:
        """Write the openings and the card events of every signal applied so far, in order."""
        # The new cards' card.created events go first, in the same INSERT as the rest.
        entries: list[Entry] = []
        # Their ids drawn with one statement, the new cards, alerts and events need no
        # answer from PostgreSQL: they go with the COMMIT.
        new = len(self._opening)
        drawn = [(CARD_ROW.table, new), (ALERT_ROW.table, new)]
        reserve_ids(self.session, [*drawn, (EVENT_ROW.table, new + len(self._pending))])
        self._settle(created=entries)
        if not self._pending:
            write_events(self.session, entries)
            return
        self.session.flush()
        # One snapshot per card, as the card is now, taken by
        # write_events right away if anybody wants it.
        snapshots: dict[int, Once] = {}
        for pending in self._pending:
            card = pending.card
            if isinstance(card, Opening):
                card_id, board_id = card.card_id, card.spec.board_id
                assert card_id is not None, "settled"
                # Read back as a row if its key was touched again after it was written.
                loaded = self._cards.get(card_id)
            else:
                card_id, board_id, loaded = pk(card), card.board_id, card
            snapshot = snapshots.get(card_id)
            if snapshot is None:
                if loaded is not None:
                    snapshot = Once(partial(card_snapshot, loaded))
                else:
                    assert isinstance(card, Opening)
                    snapshot = Once(card.snapshot)
                snapshots[card_id] = snapshot
            data = {"alert": {"id": pending.alert.id, **pending.facts}}
            entries.append(Entry(card_id, board_id, pending.type, pending.actor, snapshot, data))
        self._pending.clear()
        write_events(self.session, entries)

    def _settle(self, created: list[Entry] | None = None) -> None:
        """Write every opening so far: their cards and events, then their alert rows.

        ``created``: their ``card.created`` events go there, for the caller to write
        before any other event (``flush_events``, which writes them with its own).
        """
        if not self._opening:
            return
        settled = list(self._opening.items())
        self._opening.clear()
        write_openings(self.session, [each for _, each in settled], created)
        for key, _ in settled:
            self._looked_up.discard(key)  # touched again, it is read back (locked) as a row

    def _open(
        self, integration: Integration, signal: NormalisedAlert, previous: Alert | None
    ) -> Opening:
        """Queue a new card and alert for this key; the book writes them when it settles."""
        new = opening(integration, signal, previous, self.now)
        self._opening[(pk(integration), signal.key)] = new
        extra: dict[str, Any] = {}
        if previous is not None:
            extra["recurrence_of_card_id"] = previous.card_id
        self._event(new, new, "alert.fired", integration, **extra)
        return new

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
        _set_changed(
            alert,
            last_seen_at=self.now,
            title=signal.title,
            labels=signal.labels,
            annotations=signal.annotations,
            links=[link.as_dict() for link in signal.links],
        )
        card = self.card(alert)
        wanted = self._priority(integration, signal.severity)
        if _LEVEL[wanted] > _LEVEL[Priority(card.priority)]:
            alert.severity = signal.severity
            self._settle()  # its card.updated event comes after the card.created ones before
            change_card(
                self.session, card=card, fields={"priority": wanted}, actor=integration.actor
            )
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
        # A new episode: it started when its source says, else now ("firing for" counts
        # from here, not from the first episode weeks ago).
        alert.starts_at = signal.starts_at or self.now
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
        self._settle()  # its card.moved event comes after the card.created ones before
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
