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
from app.reports.sql import CARD, EVENT, changed, has_change, is_type, literal

_TARGET: sa.Table = AutomationTarget.__table__  # type: ignore[attr-defined]
_CHUNK = 500


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def values_before(
    session: Session, card_ids: Iterable[int], field: str, moment: datetime
) -> dict[int, Any]:
    """For cards whose ``field`` changed at or after ``moment``: its value just before
    (the old value of its first change since)."""
    found: dict[int, Any] = {}
    for chunk in _chunks(card_ids):
        query = (
            sa.select(EVENT.c.card_id, changed(EVENT, field, 0))
            .where(
                is_type(EVENT, "card.updated"),
                EVENT.c.created_at >= moment,
                EVENT.c.card_id.in_(chunk),
                has_change(EVENT, field),
            )
            .order_by(EVENT.c.created_at.desc(), EVENT.c.id.desc())
        )
        # Latest first: the earliest change is the last one written.
        for card_id, old in session.execute(query):
            found[card_id] = old
    return found


def kinds_at(session: Session, card_ids: Iterable[int], moment: datetime) -> dict[int, str]:
    """Each card's kind at ``moment``."""
    ids = list(card_ids)
    kinds: dict[int, str] = {}
    for chunk in _chunks(ids):
        for card_id, kind in session.execute(
            sa.select(CARD.c.id, CARD.c.kind).where(CARD.c.id.in_(chunk))
        ):
            kinds[card_id] = kind
    for card_id, old in values_before(session, ids, "kind", moment).items():
        if old in CardKind.__members__:
            kinds[card_id] = old
    return kinds


@dataclass(frozen=True, slots=True)
class AutomationCard:
    """An automation card at the report's end: what it automates and its estimate."""

    id: int
    automates: tuple[str, ...]
    estimate_minutes: int | None
    done_at: datetime | None


def automation_cards(session: Session, end: datetime) -> list[AutomationCard]:
    """The automation cards that existed, unarchived, at ``end`` (on any board)."""
    # Automation cards now, and the cards whose kind changed since the end.
    kind_changed = _changed_kind(session, end)
    rows = session.execute(
        sa.select(CARD.c.id, CARD.c.kind, CARD.c.estimate_minutes).where(
            CARD.c.created_at < end,
            sa.or_(CARD.c.archived_at.is_(None), CARD.c.archived_at >= end),
            sa.or_(
                CARD.c.kind == literal(CardKind.automation.value),
                CARD.c.id.in_(kind_changed),
            ),
        )
    )
    candidates = {card_id: (kind, estimate) for card_id, kind, estimate in rows}
    kind_changes = values_before(session, kind_changed, "kind", end)
    ids = [
        card_id
        for card_id, (kind, _) in candidates.items()
        if kind_changes.get(card_id, kind) == CardKind.automation
    ]
    if not ids:
        return []
    targets: dict[int, list[str]] = {card_id: [] for card_id in ids}
    for chunk in _chunks(ids):
        for card_id, key in session.execute(
            sa.select(_TARGET.c.card_id, _TARGET.c.key).where(_TARGET.c.card_id.in_(chunk))
        ):
            targets[card_id].append(key)
    automates = values_before(session, ids, "automates", end)
    estimates = values_before(session, ids, "estimate_minutes", end)
    done = done_at(session, ids, end)
    return [
        AutomationCard(
            id=card_id,
            automates=tuple(sorted(set(automates.get(card_id, targets[card_id]) or []))),
            estimate_minutes=estimates.get(card_id, candidates[card_id][1]),
            done_at=done.get(card_id),
        )
        for card_id in sorted(ids)
    ]


def _changed_kind(session: Session, moment: datetime) -> list[int]:
    """Cards whose kind changed at or after ``moment``."""
    query = sa.select(EVENT.c.card_id).where(
        is_type(EVENT, "card.updated"),
        EVENT.c.created_at >= moment,
        has_change(EVENT, "kind"),
    )
    return sorted(set(session.execute(query).scalars()))


def done_at(session: Session, card_ids: Sequence[int], end: datetime) -> dict[int, datetime]:
    """When each card was last done before ``end``, for the cards still done then."""
    found: dict[int, datetime] = {}
    reopened: dict[int, datetime] = {}
    for chunk in _chunks(card_ids):
        query = (
            sa.select(EVENT.c.card_id, EVENT.c.type, sa.func.max(EVENT.c.created_at))
            .where(
                is_type(EVENT, "card.done", "card.reopened"),
                EVENT.c.created_at < end,
                EVENT.c.card_id.in_(chunk),
            )
            .group_by(EVENT.c.card_id, EVENT.c.type)
        )
        for card_id, kind, moment in session.execute(query):
            (found if kind == "card.done" else reopened)[card_id] = moment
    return {
        card_id: moment
        for card_id, moment in found.items()
        if card_id not in reopened or reopened[card_id] < moment
    }
