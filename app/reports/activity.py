"""What the card events of a span say: its episodes (with when each was acknowledged and
resolved) and the minutes each card took, logged or inferred from human actions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session

from app.reports.sql import (
    ALERT,
    EVENT,
    MINUTE_US,
    alert_name,
    epoch_us,
    is_acknowledgement,
    is_human,
    is_resolution,
    is_type,
    logged_delta,
)

# Human actions closer than this belong to one sitting; a sitting counts 10 minutes more.
SITTING_GAP_US = 20 * MINUTE_US
SITTING_EXTRA_US = 10 * MINUTE_US

Basis = Literal["logged", "inferred", "mixed"]


@dataclass(frozen=True, slots=True)
class Scope:
    """Which cards a figure covers: one board's, or every board's (``board_id`` None)."""

    board_id: int | None = None

    def events(self, table: sa.FromClause) -> list[sa.ColumnElement[bool]]:
        return [] if self.board_id is None else [table.c.board_id == self.board_id]


def alert_key(integration_id: int, name: str) -> str:
    return f"alert:{integration_id}:{name}"


def schedule_key(schedule_id: int) -> str:
    return f"schedule:{schedule_id}"


@dataclass(frozen=True, slots=True)
class Episode:
    """One ``alert.fired`` of a card, and what became of it before the report's end."""

    card_id: int
    started_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    integration_id: int
    name: str
    flapped: bool

    @property
    def key(self) -> str:
        return alert_key(self.integration_id, self.name)


def episodes(
    session: Session, *, start: datetime, end: datetime, as_of: datetime, scope: Scope
) -> list[Episode]:
    """The episodes started in ``[start, end)``, acknowledged and resolved before ``as_of``."""
    fired = EVENT.alias("fired")
    later = EVENT.alias("later")

    def first(condition: sa.ColumnElement[bool]) -> sa.ScalarSelect[datetime]:
        return (
            sa.select(sa.func.min(later.c.created_at))
            .where(
                later.c.card_id == fired.c.card_id,
                later.c.created_at >= fired.c.created_at,
                later.c.created_at < as_of,
                condition,
            )
            .scalar_subquery()
        )

    query = (
        sa.select(
            fired.c.card_id,
            fired.c.created_at,
            first(is_acknowledgement(later)),
            first(is_resolution(later)),
            ALERT.c.integration_id,
            alert_name(),
            fired.c.data[("alert", "flapped")].as_boolean(),
        )
        .join(ALERT, ALERT.c.card_id == fired.c.card_id)
        .where(
            is_type(fired, "alert.fired"),
            fired.c.created_at >= start,
            fired.c.created_at < end,
            *scope.events(fired),
        )
        .order_by(fired.c.created_at, fired.c.id)
    )
    return [
        Episode(card_id, started, acked, resolved, integration_id, name, bool(flapped))
        for card_id, started, acked, resolved, integration_id, name, flapped in session.execute(
            query
        )
    ]


@dataclass(slots=True)
class CardMinutes:
    """A card's minutes in a span: logged (sum of time-spent changes) and inferred."""

    logged: int = 0
    inferred_us: int = 0

    @property
    def is_logged(self) -> bool:
        return self.logged != 0

    @property
    def minutes(self) -> float:
        return float(self.logged) if self.is_logged else self.inferred_us / MINUTE_US


def minutes_by_card(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    scope: Scope,
    cards: sa.Select[tuple[int]] | None = None,
) -> dict[int, CardMinutes]:
    """Every card's logged and inferred minutes in ``[start, end)`` (cards with neither are
    left out); only the cards ``cards`` selects, if given."""

    def within(table: sa.FromClause) -> list[sa.ColumnElement[bool]]:
        where = [table.c.created_at >= start, table.c.created_at < end, *scope.events(table)]
        if cards is not None:
            where.append(table.c.card_id.in_(cards))
        return where

    found: dict[int, CardMinutes] = {}
    logged = (
        sa.select(EVENT.c.card_id, sa.func.sum(logged_delta(EVENT)))
        .where(is_type(EVENT, "card.created", "card.updated"), *within(EVENT))
        .group_by(EVENT.c.card_id)
    )
    for card_id, minutes in session.execute(logged):
        if minutes:
            found.setdefault(card_id, CardMinutes()).logged = int(minutes)
    moment = epoch_us(EVENT.c.created_at)
    actions = (
        sa.select(
            EVENT.c.card_id.label("card_id"),
            moment.label("at"),
            sa.func.lag(moment)
            .over(
                partition_by=(EVENT.c.card_id, EVENT.c.actor_id),
                order_by=(EVENT.c.created_at, EVENT.c.id),
            )
            .label("before"),
        )
        .where(is_human(EVENT), *within(EVENT))
        .subquery()
    )
    gap = actions.c.at - actions.c.before
    sittings = sa.select(
        actions.c.card_id,
        sa.func.sum(
            sa.case(
                (sa.and_(actions.c.before.is_not(None), gap < SITTING_GAP_US), gap),
                else_=SITTING_EXTRA_US,
            )
        ),
    ).group_by(actions.c.card_id)
    for card_id, inferred_us in session.execute(sittings):
        found.setdefault(card_id, CardMinutes()).inferred_us = int(inferred_us)
    return found


def total_basis(minutes: Iterable[CardMinutes]) -> Basis | None:
    """``logged`` or ``inferred`` when every card with minutes is so, else ``mixed``;
    None when no card has minutes."""
    kinds = {"logged" if each.is_logged else "inferred" for each in minutes if each.minutes}
    if not kinds:
        return None
    return "mixed" if len(kinds) > 1 else ("logged" if "logged" in kinds else "inferred")
