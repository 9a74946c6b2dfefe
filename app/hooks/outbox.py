"""The outbox: what webhooks must get is written in the transaction of the event itself.

``install()`` subscribes to ``app.core.events``: the in-transaction handler queues each
event for the rules. When a transaction emits (or asks whether anybody hears) its first
event, one query reads the active webhooks and the active rules' triggers; events of a
type none of them hears are emitted without the card's snapshot (``events.wanted``),
which is most of what emitting costs. Just before the transaction commits, the rules run
if any queued event triggers one (see ``rules``), then the events the transaction
emitted, its rules' events included, that some webhook wants are queued with their
recipients (the webhooks read for this transaction): its card events all in one
``hook_batch`` row (their ids and depths: the card and the envelope, by far the costliest
part, are rendered by ``fanout`` from the ``card_event`` rows, so that webhooks alone
never make a card event take the card's snapshot), any other event in a ``hook_event``
row holding its envelope. That is all the request path writes, however many events and
webhooks there are; ``fanout`` turns them into one delivery per event and recipient.
Events of a rolled-back savepoint (a failed rule run) get none.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from app.core import events
from app.core.rows import insert_rows
from app.hooks import fanout, rules, wakeup
from app.hooks.catalogue import ALL, EVENT_TYPES, envelope_json, random_uuids
from app.hooks.models import HookBatch, HookEvent

logger = logging.getLogger("firelane.hooks")

_HOOK_EVENT = HookEvent.__table__  # type: ignore[attr-defined]
_HOOK_BATCH = HookBatch.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Subscription:
    """An active webhook as the outbox matches events against it."""

    id: int
    events: frozenset[str]
    board_id: int | None

    def wants(self, event_type: str, board_id: int | None) -> bool:
        return (ALL in self.events or event_type in self.events) and (
            self.board_id is None or self.board_id == board_id
        )


# Active webhooks, and the triggers of active rules among some event types: one short
# query per commit that emitted events, its rows read straight from the driver (this
# runs for every such commit, even when there is no webhook and no rule at all).
_INTERESTED = {
    "sqlite": (
        "SELECT id, events, board_id, NULL FROM webhook WHERE is_active UNION ALL "
        "SELECT 0, NULL, NULL, trigger FROM rule "
        "WHERE is_active AND trigger IN (SELECT value FROM json_each(?))"
    ),
    "postgresql": (
        "SELECT id, events::text, board_id, NULL FROM webhook WHERE is_active UNION ALL "
        "SELECT 0, NULL, NULL, trigger FROM rule WHERE is_active AND trigger = ANY(%s)"
    ),
}


# A webhook's events are parsed once per row as read, not per commit.
@lru_cache(maxsize=4096)
def _subscription(webhook_id: int, events_json: str, board_id: int | None) -> Subscription:
    names = json.loads(events_json) if events_json else []
    return Subscription(webhook_id, frozenset(names), board_id)


def interested(
    session: OrmSession, types: Collection[str]
) -> tuple[list[Subscription], frozenset[str]]:
    """Return the active webhooks (by id) and which of ``types`` trigger an active rule."""
    connection = session.connection()
    dialect = connection.dialect.name
    wanted: Any = sorted(types) if dialect == "postgresql" else json.dumps(sorted(types))
    subscriptions: list[Subscription] = []
    triggers: set[str] = set()
    for webhook_id, events_json, board_id, trigger in connection.exec_driver_sql(
        _INTERESTED[dialect], (wanted,)
    ):
        if trigger is not None:
            triggers.add(trigger)
        else:
            subscriptions.append(_subscription(webhook_id, events_json, board_id))
    subscriptions.sort(key=lambda subscription: subscription.id)
    return subscriptions, frozenset(triggers)


def write_outbox(
    session: OrmSession,
    emitted: Sequence[events.Event],
    subscriptions: Sequence[Subscription] | None = None,
) -> int:
    """Queue every event for its subscribed webhooks, in the caller's transaction.

    The card events that some webhook wants go into one ``hook_batch`` row (their ids,
    depths and recipients); any other event gets a ``hook_event`` row holding its envelope
    and its recipients. ``fanout`` writes the deliveries from them. ``subscriptions`` are
    the active webhooks read in this transaction (read here if not given). Answer how
    many deliveries were queued.
    """
    if not emitted:
        return 0
    if subscriptions is None:
        subscriptions, _ = interested(session, ())
    if not subscriptions:
        return 0
    # Each (type, board)'s recipients: their index in ``lists``, and how many they are.
    matches: dict[tuple[str, int | None], tuple[int, int]] = {}
    lists: list[str] = []
    batch: list[tuple[int, int, int]] = []
    others: list[tuple[events.Event, int]] = []
    queued = 0
    deferred = fanout.renders_card_events()
    for event in emitted:
        key = (event.type, event.board_id)
        found = matches.get(key)
        if found is None:
            ids = [each.id for each in subscriptions if each.wants(event.type, event.board_id)]
            found = matches[key] = (len(lists), len(ids))
            lists.append("[" + ",".join(map(str, ids)) + "]")
        index, count = found
        if not count:
            continue
        queued += count
        # A card event (event_id) is rendered by the fan-out, from its card_event row.
        if deferred and event.event_id is not None:
            batch.append((event.event_id, event.depth, index))
        else:
            others.append((event, index))
    if not queued:
        return 0
    assert isinstance(session, Session), "Firelane's sessions are SQLModel sessions"
    if batch:
        row = {
            "size": len(batch),
            "events": json.dumps(batch, separators=(",", ":")),
            "recipients": "[" + ",".join(lists) + "]",
        }
        insert_rows(session, _HOOK_BATCH, [row])
    if others:
        uuids = random_uuids(len(others))
        rows = [
            {
                "uuid": event_uuid,
                "type": event.type,
                "occurred_at": event.occurred_at,
                "board_id": event.board_id,
                "card_id": event.card_id,
                "card_event_id": event.event_id,
                "body": envelope_json(event, event_uuid),
                "recipients": lists[index],
                "depth": event.depth,
            }
            for (event, index), event_uuid in zip(others, uuids, strict=True)
        ]
        insert_rows(session, _HOOK_EVENT, rows)
    wakeup.after_commit(session)
    return queued


def _on_emit(session: OrmSession, event: events.Event) -> None:
    rules.enqueue(session, event)


# The transaction's webhooks and rule triggers, read when its first event is emitted.
_LISTENERS = "firelane.hooks.listeners"
_EVERY_TYPE = tuple(event_type.name for event_type in EVENT_TYPES)


def _listeners(session: OrmSession) -> tuple[list[Subscription], frozenset[str]]:
    found: tuple[list[Subscription], frozenset[str]] | None = session.info.get(_LISTENERS)
    if found is None:
        found = session.info[_LISTENERS] = interested(session, _EVERY_TYPE)
    return found


def _wants(session: OrmSession, event_type: str) -> bool:
    """Whether a rule (or, unless the fan-out renders card events, a webhook) of this
    transaction reads the whole payload of events of this type."""
    subscriptions, triggers = _listeners(session)
    if event_type in triggers:
        return True
    return not fanout.renders_card_events() and any(
        ALL in each.events or event_type in each.events for each in subscriptions
    )


def _before_commit(session: OrmSession) -> None:
    if session.in_nested_transaction():
        return
    queued = rules.queued_types(session)
    if not queued:
        session.info.pop(_LISTENERS, None)
        return
    # As the events were emitted (their payloads hold what these listeners read).
    subscriptions, triggers = _listeners(session)
    session.info.pop(_LISTENERS, None)
    if triggers & queued:
        assert isinstance(session, Session), "Firelane's sessions are SQLModel sessions"
        rules.drain(session, triggers=triggers, looked_up=_EVERY_TYPE)
        session.flush()
    else:
        rules.forget(session)  # no active rule hears any of these events
    write_outbox(session, events.pending(session), subscriptions)


def _after_rollback(session: OrmSession) -> None:
    if not session.in_nested_transaction():
        rules.forget(session)
        session.info.pop(_LISTENERS, None)


def install() -> None:
    """Hear every event: run rules and write webhook deliveries (idempotent)."""
    events.on_emit(_on_emit, wants=_wants)
    if not sa_event.contains(OrmSession, "before_commit", _before_commit):
        sa_event.listen(OrmSession, "before_commit", _before_commit)
        sa_event.listen(OrmSession, "after_rollback", _after_rollback)
    wakeup.install()


def installed() -> bool:
    """Whether ``install`` ran in this process."""
    return sa_event.contains(OrmSession, "before_commit", _before_commit)
