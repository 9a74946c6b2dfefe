"""What the card events say, for many spans at once: episodes (with when each was
acknowledged and resolved), each card's minutes (logged, or inferred from human actions),
and how often each candidate fired or came round.

A report needs the same figures for many spans: its week and the 8 before it, their
90-day look-backs, and the spans before and after each automation was done. Each query
here reads the events of all of them once and sums them per span with ``CASE`` columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session

from app.reports.sql import (
    ALERT,
    CARD,
    EVENT,
    MINUTE_US,
    OCCURRENCE,
    SCHEDULE,
    alert_name,
    epoch_us,
    has_change,
    is_human,
    is_resolution,
    is_type,
    literal,
    logged_delta,
)

# Human actions closer than this belong to one sitting; a sitting counts 10 minutes more.
SITTING_GAP_US = 20 * MINUTE_US
SITTING_EXTRA_US = 10 * MINUTE_US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

Basis = Literal["logged", "inferred", "mixed"]
Span = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Scope:
    """Which cards a figure covers: one board's, or every board's (``board_id`` None)."""

    board_id: int | None = None

    def events(self, table: sa.FromClause) -> list[sa.ColumnElement[bool]]:
        return [] if self.board_id is None else [table.c.board_id == self.board_id]


def micros(moment: datetime) -> int:
    """A time as whole microseconds since 1970, as ``epoch_us`` reads stored ones."""
    return (moment - _EPOCH) // _US


def alert_key(integration_id: int, name: str) -> str:
    return f"alert:{integration_id}:{name}"


def schedule_key(schedule_id: int) -> str:
    return f"schedule:{schedule_id}"


# --- episodes ------------------------------------------------------------------------


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
    """The episodes started in ``[start, end)``, acknowledged and resolved before ``as_of``.

    One read of the events that start, acknowledge or resolve episodes from ``start`` to
    ``as_of`` (alert events, human actions, card writes by anybody else, each through its
    partial index); for each ``alert.fired``, the first acknowledgement and the first
    resolution at or after it on its card (``MIN`` over the following events, peers in
    time included).
    """
    within = [EVENT.c.created_at >= start, EVENT.c.created_at < as_of, *scope.events(EVENT)]
    resolves = sa.case((is_resolution(EVENT), 1), else_=0)
    parts = [
        sa.select(
            EVENT.c.card_id.label("card_id"),
            EVENT.c.created_at.label("at"),
            sa.case(
                (sa.and_(EVENT.c.type == literal("alert.fired"), EVENT.c.created_at < end), 1),
                else_=0,
            ).label("fired"),
            sa.case((EVENT.c.type == literal("alert.acknowledged"), 1), else_=0).label("acks"),
            resolves.label("resolves"),
            EVENT.c.data[("alert", "flapped")].as_boolean().label("flapped"),
        ).where(
            is_type(EVENT, "alert.fired", "alert.acknowledged", "alert.resolved", "alert.expired"),
            *within,
        ),
        sa.select(
            EVENT.c.card_id, EVENT.c.created_at, sa.literal(0), sa.literal(1), resolves, sa.null()
        ).where(is_human(EVENT), *within),
        sa.select(
            EVENT.c.card_id, EVENT.c.created_at, sa.literal(0), sa.literal(0), resolves, sa.null()
        ).where(
            is_type(EVENT, "card.done", "card.updated"),
            EVENT.c.actor_id.is_(None),
            *within,
        ),
    ]
    rows = sa.union_all(*parts).subquery()
    following: dict[str, Any] = {
        "partition_by": rows.c.card_id,
        "order_by": rows.c.at,
        "range_": (0, None),
    }
    marked = sa.select(
        rows.c.card_id,
        rows.c.at,
        rows.c.fired,
        rows.c.flapped,
        sa.func.min(sa.case((rows.c.acks == 1, rows.c.at))).over(**following).label("acked"),
        sa.func.min(sa.case((rows.c.resolves == 1, rows.c.at))).over(**following).label("resolved"),
    ).subquery()
    query = (
        sa.select(
            marked.c.card_id,
            marked.c.at,
            marked.c.acked,
            marked.c.resolved,
            ALERT.c.integration_id,
            alert_name(),
            marked.c.flapped,
        )
        .join(ALERT, ALERT.c.card_id == marked.c.card_id)
        .where(marked.c.fired == 1)
        .order_by(marked.c.at, marked.c.card_id)
    )
    return [
        Episode(card_id, started, acked, resolved, integration_id, name, bool(flapped))
        for card_id, started, acked, resolved, integration_id, name, flapped in session.execute(
            query
        )
    ]


# --- minutes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Minutes:
    """The minutes of a group of cards in a span: their total (in microseconds, exact), and
    how many were counted by their logged and by their inferred minutes."""

    kind: str  # the cards' kind now
    key: str | None  # their candidate key (None: cards no alert or schedule made)
    card_id: int | None  # set for a card whose kind changed since: it is counted alone
    micros: int
    logged_cards: int
    inferred_cards: int

    @property
    def minutes(self) -> float:
        return self.micros / MINUTE_US


def _per_card(spans: Sequence[Span], scope: Scope) -> sa.Subquery:
    """Every card active in a span, with its logged minutes (``l<i>``) and inferred
    microseconds (``i<i>``) in each span ``i``: one pass over the events of all spans.

    Time logged: the changes card writes recorded. Inferred: each person's human actions
    on the card with the one before (``LAG`` over all the spans' range); an action in a
    span adds the time since that one when it is in the span too and less than 20 minutes
    before, else it opens a sitting and adds 10 minutes. That sums each sitting of the
    span's actions as (last - first) + 10 minutes.
    """
    low, high = _range(spans)
    within = [EVENT.c.created_at >= low, EVENT.c.created_at < high, *scope.events(EVENT)]
    moment = epoch_us(EVENT.c.created_at)
    logged = sa.select(
        EVENT.c.card_id.label("card_id"),
        moment.label("at"),
        logged_delta(EVENT).label("delta"),
        sa.null().label("before"),
    ).where(
        is_type(EVENT, "card.created", "card.updated"),
        has_change(EVENT, "time_spent_minutes"),
        *within,
    )
    human = sa.select(
        EVENT.c.card_id,
        moment,
        sa.null(),
        sa.func.lag(moment).over(
            partition_by=(EVENT.c.card_id, EVENT.c.actor_id),
            order_by=(EVENT.c.created_at, EVENT.c.id),
        ),
    ).where(is_human(EVENT), *within)
    rows = sa.union_all(logged, human).subquery()
    at, before, delta = rows.c.at, rows.c.before, rows.c.delta
    columns: list[sa.ColumnElement[Any]] = []
    for index, (start, end) in enumerate(spans):
        begin, finish = micros(start), micros(end)
        inside = sa.and_(at >= begin, at < finish)
        sitting = sa.case(
            (sa.and_(before >= begin, at - before < SITTING_GAP_US), at - before),
            else_=SITTING_EXTRA_US,
        )
        columns.append(
            sa.func.sum(sa.case((sa.and_(inside, delta.is_not(None)), delta))).label(f"l{index}")
        )
        columns.append(
            sa.func.sum(sa.case((sa.and_(inside, delta.is_(None)), sitting))).label(f"i{index}")
        )
    return sa.select(rows.c.card_id, *columns).group_by(rows.c.card_id).subquery()


def minutes(
    session: Session, spans: Sequence[Span], scope: Scope, *, apart: Sequence[int] = ()
) -> dict[Span, list[Minutes]]:
    """The minutes of every span by kind and candidate key, summed in the database.

    A card's minutes in a span are its logged minutes when they are not 0, else its
    inferred ones. The cards in ``apart`` (whose kind changed since) are counted alone.
    """
    spans = sorted(set(spans))
    if not spans:
        return {}
    per_card = _per_card(spans, scope)
    alone = sa.case((CARD.c.id.in_(list(apart)), CARD.c.id), else_=sa.null())
    name = alert_name()
    figures: list[sa.ColumnElement[Any]] = []
    for index in range(len(spans)):
        logged = sa.func.coalesce(per_card.c[f"l{index}"], 0)
        inferred = sa.func.coalesce(per_card.c[f"i{index}"], 0)
        figures += [
            sa.func.sum(sa.case((logged != 0, logged * MINUTE_US), else_=inferred)),
            sa.func.sum(sa.case((logged != 0, 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(logged == 0, inferred != 0), 1), else_=0)),
        ]
    query = (
        sa.select(
            CARD.c.kind,
            ALERT.c.integration_id,
            name,
            OCCURRENCE.c.schedule_id,
            alone,
            *figures,
        )
        .join(CARD, CARD.c.id == per_card.c.card_id)
        .outerjoin(ALERT, ALERT.c.card_id == per_card.c.card_id)
        .outerjoin(
            OCCURRENCE,
            sa.and_(
                OCCURRENCE.c.card_id == per_card.c.card_id,
                OCCURRENCE.c.status == literal("created"),
            ),
        )
        .group_by(CARD.c.kind, ALERT.c.integration_id, name, OCCURRENCE.c.schedule_id, alone)
    )
    found: dict[Span, list[Minutes]] = {span: [] for span in spans}
    for kind, integration_id, alert, schedule_id, card_id, *sums in session.execute(query):
        key = _key(integration_id, alert, schedule_id)
        for index, span in enumerate(spans):
            total, logs, infers = sums[3 * index : 3 * index + 3]
            if total or logs or infers:
                found[span].append(
                    Minutes(kind, key, card_id, int(total or 0), int(logs or 0), int(infers or 0))
                )
    return found


def _range(spans: Sequence[Span]) -> Span:
    return min(start for start, _ in spans), max(end for _, end in spans)


def _key(integration_id: int | None, name: str | None, schedule_id: int | None) -> str | None:
    if integration_id is not None and name is not None:
        return alert_key(integration_id, name)
    return schedule_key(schedule_id) if schedule_id is not None else None


def total_basis(groups: Sequence[Minutes]) -> Basis | None:
    """``logged`` or ``inferred`` when every card with minutes is so, else ``mixed``;
    None when no card has minutes."""
    logged = sum(each.logged_cards for each in groups)
    inferred = sum(each.inferred_cards for each in groups)
    if not logged and not inferred:
        return None
    return "mixed" if logged and inferred else ("logged" if logged else "inferred")


# --- counts --------------------------------------------------------------------------


@dataclass(slots=True)
class Counts:
    """How often each candidate key fired (episodes) or came round (occurrences made), in
    each span, and the names of the keys."""

    spans: list[Span]
    by_key: dict[str, list[int]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def of(self, key: str, span: Span) -> int:
        found = self.by_key.get(key)
        return found[self.spans.index(span)] if found is not None else 0


def counts(session: Session, spans: Sequence[Span], scope: Scope) -> Counts:
    """Episodes of each alert candidate and occurrences made of each schedule, per span."""
    spans = sorted(set(spans))
    answer = Counts(spans)
    if not spans:
        return answer
    low, high = _range(spans)

    def per_span(column: sa.ColumnElement[datetime]) -> list[sa.ColumnElement[int]]:
        return [
            sa.func.sum(sa.case((sa.and_(column >= start, column < end), 1), else_=0))
            for start, end in spans
        ]

    # Counted per card first: each card's alert (and its name) is then read once.
    per_card = (
        sa.select(
            EVENT.c.card_id,
            *(each.label(f"n{index}") for index, each in enumerate(per_span(EVENT.c.created_at))),
        )
        .where(
            is_type(EVENT, "alert.fired"),
            EVENT.c.created_at >= low,
            EVENT.c.created_at < high,
            *scope.events(EVENT),
        )
        .group_by(EVENT.c.card_id)
        .subquery()
    )
    name = alert_name()
    fired = (
        sa.select(
            ALERT.c.integration_id,
            name,
            *(sa.func.sum(per_card.c[f"n{index}"]) for index in range(len(spans))),
        )
        .join(ALERT, ALERT.c.card_id == per_card.c.card_id)
        .group_by(ALERT.c.integration_id, name)
    )
    for integration_id, alert, *numbers in session.execute(fired):
        key = alert_key(integration_id, alert)
        answer.by_key[key] = [int(each) for each in numbers]
        answer.names[key] = alert
    made = (
        sa.select(OCCURRENCE.c.schedule_id, SCHEDULE.c.name, *per_span(OCCURRENCE.c.created_at))
        .join(SCHEDULE, SCHEDULE.c.id == OCCURRENCE.c.schedule_id)
        .where(
            OCCURRENCE.c.status == literal("created"),
            OCCURRENCE.c.created_at >= low,
            OCCURRENCE.c.created_at < high,
        )
        .group_by(OCCURRENCE.c.schedule_id, SCHEDULE.c.name)
    )
    if scope.board_id is not None:
        made = made.where(SCHEDULE.c.board_id == scope.board_id)
    for schedule_id, schedule, *numbers in session.execute(made):
        key = schedule_key(schedule_id)
        answer.by_key[key] = [int(each) for each in numbers]
        answer.names[key] = schedule
    return answer
