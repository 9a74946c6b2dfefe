"""How work moved in a window: the work mix, recurring maintenance, and flow (WIP against
limits, throughput, cycle time, cards older than the usual cycle)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.boards.models import BoardColumn, CardKind
from app.reports import cards
from app.reports.activity import Scope, schedule_key
from app.reports.figures import Headline, nearest_rank, seconds
from app.reports.sql import CARD, EVENT, OCCURRENCE, SCHEDULE, is_type

_COLUMN: sa.Table = BoardColumn.__table__  # type: ignore[attr-defined]
AGING_LIST = 10


def _events_in(
    session: Session, type_: str, week: Headline, scope: Scope
) -> list[tuple[int, datetime]]:
    query = (
        sa.select(EVENT.c.card_id, EVENT.c.created_at)
        .where(
            is_type(EVENT, type_),
            EVENT.c.created_at >= week.start,
            EVENT.c.created_at < week.end,
            *scope.events(EVENT),
        )
        .order_by(EVENT.c.created_at, EVENT.c.id)
    )
    return [(card_id, at) for card_id, at in session.execute(query)]


def work_mix(session: Session, week: Headline, scope: Scope) -> dict[str, dict[str, int]]:
    """Cards created and cards done in the window, by kind (at the window's end)."""
    created = _events_in(session, "card.created", week, scope)
    done = _events_in(session, "card.done", week, scope)
    kinds = cards.kinds_at(session, {card_id for card_id, _ in created + done}, week.end)
    answer: dict[str, dict[str, int]] = {}
    for name, rows in (("created", created), ("done", done)):
        counted = Counter(kinds[card_id] for card_id, _ in rows)
        answer[name] = {kind.value: counted.get(kind.value, 0) for kind in CardKind}
    return answer


def maintenance(session: Session, week: Headline, scope: Scope) -> dict[str, Any]:
    """Occurrences of schedules in the window and the minutes their cards took."""
    query = (
        sa.select(
            OCCURRENCE.c.schedule_id,
            OCCURRENCE.c.status,
            OCCURRENCE.c.card_id,
            SCHEDULE.c.name,
            SCHEDULE.c.automation,
        )
        .join(SCHEDULE, SCHEDULE.c.id == OCCURRENCE.c.schedule_id)
        .where(OCCURRENCE.c.created_at >= week.start, OCCURRENCE.c.created_at < week.end)
        .order_by(OCCURRENCE.c.schedule_id, OCCURRENCE.c.id)
    )
    if scope.board_id is not None:
        query = query.where(SCHEDULE.c.board_id == scope.board_id)
    rows = list(session.execute(query))
    made = [card_id for _, status, card_id, _, _ in rows if status == "created" and card_id]
    done = cards.done_at(session, made, week.end)
    minutes = week.hours.by_key()
    schedules: dict[int, dict[str, Any]] = {}
    for schedule_id, status, card_id, name, automation in rows:
        entry = schedules.setdefault(
            schedule_id,
            {
                "schedule_id": schedule_id,
                "name": name,
                "automation": automation,
                "created": 0,
                "done": 0,
                "skipped": 0,
                "missed": 0,
            },
        )
        entry[status] = entry.get(status, 0) + 1
        if status == "created" and card_id in done:
            entry["done"] += 1
    grade: Counter[str] = Counter()
    for entry in schedules.values():
        entry["hours"] = round(minutes.get(schedule_key(entry["schedule_id"]), 0.0) / 60, 2)
        grade[entry["automation"]] += entry["created"]
    total_minutes = sum(value for key, value in minutes.items() if key.startswith("schedule:"))
    return {
        "created": sum(each["created"] for each in schedules.values()),
        "done": sum(each["done"] for each in schedules.values()),
        "skipped": sum(each["skipped"] for each in schedules.values()),
        "missed": sum(each["missed"] for each in schedules.values()),
        "hours": round(total_minutes / 60, 2),
        "automation_grade": {
            level: grade.get(level, 0) for level in ("manual", "scripted", "automated")
        },
        "schedules": list(schedules.values()),
    }


def _columns_at(session: Session, end: datetime, scope: Scope) -> Counter[int]:
    """How many cards each column held at ``end`` (archived ones left out)."""
    # A card moved since the end was in its first later move's "from" column then.
    moved = (
        sa.select(EVENT.c.card_id, EVENT.c.from_column_id)
        .where(is_type(EVENT, "card.moved"), EVENT.c.created_at >= end, *scope.events(EVENT))
        .order_by(EVENT.c.created_at.desc(), EVENT.c.id.desc())
    )
    was_in = {
        card_id: column_id for card_id, column_id in session.execute(moved) if column_id is not None
    }
    there = [
        CARD.c.created_at < end,
        sa.or_(CARD.c.archived_at.is_(None), CARD.c.archived_at >= end),
    ]
    if scope.board_id is not None:
        there.append(CARD.c.board_id == scope.board_id)
    held: Counter[int] = Counter()
    query = (
        sa.select(CARD.c.column_id, sa.func.count())
        .where(*there, CARD.c.id.not_in(sorted(was_in)))
        .group_by(CARD.c.column_id)
    )
    for column_id, count in session.execute(query):
        held[column_id] += count
    for begin in range(0, len(was_in), 500):
        ids = sorted(was_in)[begin : begin + 500]
        for (card_id,) in session.execute(sa.select(CARD.c.id).where(*there, CARD.c.id.in_(ids))):
            held[was_in[card_id]] += 1
    return held


def flow(session: Session, week: Headline, scope: Scope) -> dict[str, Any]:
    held = _columns_at(session, week.end, scope)
    columns = sa.select(
        _COLUMN.c.id,
        _COLUMN.c.board_id,
        _COLUMN.c.name,
        _COLUMN.c.wip_limit,
        _COLUMN.c.wip_mode,
        _COLUMN.c.is_done,
    ).order_by(_COLUMN.c.board_id, _COLUMN.c.position, _COLUMN.c.id)
    if scope.board_id is not None:
        columns = columns.where(_COLUMN.c.board_id == scope.board_id)
    wip = [
        {
            "column_id": column_id,
            "board_id": board_id,
            "name": name,
            "cards": held.get(column_id, 0),
            "wip_limit": limit,
            "wip_mode": mode,
            "over_limit": limit is not None and held.get(column_id, 0) > limit,
        }
        for column_id, board_id, name, limit, mode, is_done in session.execute(columns)
        if not is_done
    ]
    done = _events_in(session, "card.done", week, scope)
    started: dict[int, datetime | None] = defaultdict(lambda: None)
    ids = sorted({card_id for card_id, _ in done})
    for begin in range(0, len(ids), 500):
        query = sa.select(CARD.c.id, CARD.c.started_at).where(
            CARD.c.id.in_(ids[begin : begin + 500])
        )
        started.update(dict(session.execute(query).all()))
    cycle = [
        seconds(at - begun)
        for card_id, at in done
        if (begun := started[card_id]) is not None and begun <= at
    ]
    p85 = nearest_rank(cycle, 85)
    return {
        "wip": wip,
        "throughput": len(done),
        "cycle_time_seconds": {
            "n": len(cycle),
            "p50": nearest_rank(cycle, 50),
            "p85": p85,
        },
        "aging": _aging(session, week.end, scope, p85),
    }


def _aging(session: Session, end: datetime, scope: Scope, p85: int | None) -> dict[str, Any]:
    """Cards open at ``end`` that have been under way longer than the p85 cycle time."""
    if p85 is None:
        return {"threshold_seconds": None, "count": 0, "card_ids": []}
    since = sa.func.coalesce(CARD.c.started_at, CARD.c.created_at)
    query = sa.select(CARD.c.id).where(
        CARD.c.created_at < end,
        sa.or_(CARD.c.archived_at.is_(None), CARD.c.archived_at >= end),
        sa.or_(CARD.c.done_at.is_(None), CARD.c.done_at >= end),
        since < end - timedelta(seconds=p85),
    )
    if scope.board_id is not None:
        query = query.where(CARD.c.board_id == scope.board_id)
    ids = list(session.execute(query.order_by(since, CARD.c.id)).scalars())
    return {"threshold_seconds": p85, "count": len(ids), "card_ids": ids[:AGING_LIST]}
