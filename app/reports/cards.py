"""Cards as they were at a report's end: their kind, what automation cards automated and
estimated, and when they were done. A change made later is undone by reading the old
value of the first later change (``card.updated`` events keep ``[old, new]``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.boards.models import AutomationTarget, CardKind
from app.reports.sql import CARD, EVENT, changed, has_change, is_type

_TARGET: sa.Table = AutomationTarget.__table__  # type: ignore[attr-defined]
_CHUNK = 500


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


@dataclass(slots=True)
class Changes:
    """The changes of one field made at or after a moment, oldest first, to tell each
    card's value at any later moment."""

    changes: dict[int, list[tuple[datetime, Any]]]

    @classmethod
    def since(
        cls,
        session: Session,
        field: str,
        moment: datetime,
        card_ids: Iterable[int] | None = None,
    ) -> Changes:
        """The changes of ``field`` since ``moment`` (of these cards, if given)."""
        query = (
            sa.select(EVENT.c.card_id, EVENT.c.created_at, changed(EVENT, field, 0))
            .where(
                # By time through the card writes' index, or by card through the card's.
                is_type(EVENT, "card.updated", by_time=card_ids is None),
                EVENT.c.created_at >= moment,
                has_change(EVENT, field),
            )
            .order_by(EVENT.c.created_at, EVENT.c.id)
        )
        found: dict[int, list[tuple[datetime, Any]]] = {}
        chunks: Iterable[list[int] | None] = [None] if card_ids is None else _chunks(card_ids)
        for chunk in chunks:
            some = query if chunk is None else query.where(EVENT.c.card_id.in_(chunk))
            for card_id, at, old in session.execute(some):
                found.setdefault(card_id, []).append((at, old))
        return cls(found)

    def value_at(self, card_id: int, current: Any, moment: datetime) -> Any:
        """The value at ``moment``: the old value of the first change since, if any."""
        for at, old in self.changes.get(card_id, ()):
            if at >= moment:
                return old
        return current


class KindChanges(Changes):
    @classmethod
    def of_kinds(cls, session: Session, moment: datetime) -> KindChanges:
        return cls(Changes.since(session, "kind", moment).changes)

    def kind_at(self, card_id: int, current: str, moment: datetime) -> str:
        kind = self.value_at(card_id, current, moment)
        return kind if kind in CardKind.__members__ else current


def kinds_at(session: Session, card_ids: Iterable[int], moment: datetime) -> dict[int, str]:
    """Each card's kind at ``moment``."""
    ids = list(card_ids)
    kinds: dict[int, str] = {}
    for chunk in _chunks(ids):
        for card_id, kind in session.execute(
            sa.select(CARD.c.id, CARD.c.kind).where(CARD.c.id.in_(chunk))
        ):
            kinds[card_id] = kind
    changes = KindChanges(Changes.since(session, "kind", moment, ids).changes)
    return {card_id: changes.kind_at(card_id, kind, moment) for card_id, kind in kinds.items()}


@dataclass(frozen=True, slots=True)
class AutomationCard:
    """An automation card at a report's end: what it automates and its estimate."""

    id: int
    automates: tuple[str, ...]
    estimate_minutes: int | None
    done_at: datetime | None


def automation_cards(
    session: Session, ends: Sequence[datetime], kinds: KindChanges
) -> dict[datetime, list[AutomationCard]]:
    """The automation cards that existed, unarchived, at each of ``ends`` (on any board),
    as they were then. ``kinds``: the kind changes since the earliest end."""
    first, last = min(ends), max(ends)
    # Only cards that automate something, now or at one of the ends, matter.
    automates = Changes.since(session, "automates", first)
    aiming = set(automates.changes) | set(
        session.execute(sa.select(_TARGET.c.card_id).distinct()).scalars()
    )
    cards: dict[int, tuple[Any, ...]] = {}
    for chunk in _chunks(aiming):
        rows = session.execute(
            sa.select(
                CARD.c.id,
                CARD.c.kind,
                CARD.c.estimate_minutes,
                CARD.c.created_at,
                CARD.c.archived_at,
            ).where(
                CARD.c.id.in_(chunk),
                CARD.c.created_at < last,
                sa.or_(CARD.c.archived_at.is_(None), CARD.c.archived_at >= first),
            )
        )
        cards.update({row[0]: tuple(row[1:]) for row in rows})
    if not cards:
        return {end: [] for end in ends}
    targets: dict[int, list[str]] = {card_id: [] for card_id in cards}
    for chunk in _chunks(cards):
        for card_id, key in session.execute(
            sa.select(_TARGET.c.card_id, _TARGET.c.key).where(_TARGET.c.card_id.in_(chunk))
        ):
            targets[card_id].append(key)
    moments = _done_moments(session, cards, last)
    estimates = Changes.since(session, "estimate_minutes", first, cards)
    answer: dict[datetime, list[AutomationCard]] = {}
    for end in ends:
        answer[end] = [
            AutomationCard(
                id=card_id,
                automates=tuple(
                    sorted(set(automates.value_at(card_id, targets[card_id], end) or []))
                ),
                estimate_minutes=estimates.value_at(card_id, estimate, end),
                done_at=_done_at(moments.get(card_id, []), end),
            )
            for card_id, (kind, estimate, created_at, archived_at) in sorted(cards.items())
            if created_at < end
            and (archived_at is None or archived_at >= end)
            and kinds.kind_at(card_id, kind, end) == CardKind.automation
        ]
    return answer


def _done_at(moments: list[tuple[datetime, str]], end: datetime) -> datetime | None:
    """When a card was last done before ``end``, if it was still done then."""
    done: datetime | None = None
    for at, type_ in moments:
        if at >= end:
            break
        done = at if type_ == "card.done" else None
    return done


def _done_moments(
    session: Session, card_ids: Iterable[int], end: datetime
) -> dict[int, list[tuple[datetime, str]]]:
    """Each card's ``card.done`` and ``card.reopened`` events before ``end``, oldest first."""
    moments: dict[int, list[tuple[datetime, str]]] = {}
    for chunk in _chunks(card_ids):
        query = (
            sa.select(EVENT.c.card_id, EVENT.c.created_at, EVENT.c.type)
            .where(
                is_type(EVENT, "card.done", "card.reopened", by_time=False),
                EVENT.c.created_at < end,
                EVENT.c.card_id.in_(chunk),
            )
            .order_by(EVENT.c.created_at, EVENT.c.id)
        )
        for card_id, at, type_ in session.execute(query):
            moments.setdefault(card_id, []).append((at, type_))
    return moments


def done_at(session: Session, card_ids: Sequence[int], end: datetime) -> dict[int, datetime]:
    """When each card was last done before ``end``, for the cards still done then."""
    moments = _done_moments(session, card_ids, end)
    found = {card_id: _done_at(each, end) for card_id, each in moments.items()}
    return {card_id: at for card_id, at in found.items() if at is not None}
