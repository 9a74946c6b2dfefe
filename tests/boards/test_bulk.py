"""Cards opened in bulk are the cards new_card makes one by one; their JSON is CardPublic's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fractional_indexing import validate_order_key
from sqlmodel import Session, col, select

from app.boards import cards, rank
from app.boards.activity import Actor, card_snapshot
from app.boards.bulk import CardSpec, OpenedCard, open_cards
from app.boards.exceptions import WipLimitReached
from app.boards.models import Board, BoardColumn, Card, CardEvent, CardKind, Priority, WipMode
from app.boards.schemas import BoardCreate, CardPublic, ColumnCreate
from app.boards.service import create_board
from app.core import clock, events
from app.core.db import Database, pk
from tests.boards.conftest import new_card
from tests.support import hearing

ACTOR = "alert:bench"


@pytest.fixture
def manual() -> Iterator[clock.ManualClock]:
    with clock.use(clock.ManualClock(datetime(2026, 11, 26, 8, 0, tzinfo=UTC))) as used:
        assert isinstance(used, clock.ManualClock)
        yield used


@pytest.fixture(autouse=True)
def _everything_heard() -> Iterator[None]:
    """A listener that reads every payload: events carry their cards' snapshots."""
    with hearing():
        yield


def _board(session: Session, slug: str) -> tuple[Board, dict[str, int]]:
    """Triage (hard WIP 3), Blocked (hard WIP 1), Doing (soft WIP 1), Done."""
    board = create_board(
        session,
        data=BoardCreate(
            name=slug,
            slug=slug,
            columns=[
                ColumnCreate(name="Triage", wip_limit=3, wip_mode="hard"),
                ColumnCreate(name="Blocked", wip_limit=1, wip_mode="hard"),
                ColumnCreate(name="Doing", wip_limit=1, wip_mode="soft"),
                ColumnCreate(name="Done", is_done=True),
            ],
        ),
    )
    columns = session.exec(select(BoardColumn).where(BoardColumn.board_id == board.id)).all()
    return board, {column.name: pk(column) for column in columns}


def _one_by_one(session: Session, board: Board, specs: list[CardSpec]) -> list[Card]:
    """The reference: ``new_card`` per card, trying the next open column on a full one."""
    made: list[Card] = []
    open_columns = [
        pk(column)
        for column in session.exec(
            select(BoardColumn)
            .where(BoardColumn.board_id == board.id, col(BoardColumn.is_done).is_(False))
            .order_by(col(BoardColumn.position))
        )
    ]
    for spec in specs:
        fields: dict[str, Any] = {
            "board": board,
            "actor": spec.actor,
            "title": spec.title,
            "top": True,
            "description": spec.description,
            "kind": spec.kind,
            "priority": spec.priority,
            "labels": spec.labels,
        }
        try:
            card, _ = cards.new_card(session, column_id=spec.column_id, **fields)
        except WipLimitReached:
            for column_id in open_columns:
                if column_id == spec.column_id:
                    continue
                try:
                    card, _ = cards.new_card(session, column_id=column_id, **fields)
                    break
                except WipLimitReached:
                    continue
            else:
                raise
        for target_id, kind in spec.links:
            target = session.get(Card, target_id)
            assert target is not None
            cards.link_cards(session, card=card, target=target, kind=kind)
        made.append(card)
    return made


def _spec(board: Board, column_id: int | None, title: str, **fields: Any) -> CardSpec:
    actor: Actor = ACTOR
    return CardSpec(board_id=pk(board), actor=actor, title=title, column_id=column_id, **fields)


def _specs(board: Board, columns: dict[str, int], links: list[int]) -> list[CardSpec]:
    fire = CardKind.fire
    return [
        _spec(board, columns["Triage"], "one", kind=fire, labels=["b", "a", "b"]),
        _spec(board, columns["Triage"], "two", kind=fire, priority=Priority.urgent),
        _spec(board, columns["Triage"], "three", kind=fire, description="x\ny"),
        _spec(board, None, "four", kind=fire, links=[(links[0], "recurrence_of")]),
        _spec(board, columns["Doing"], "five", kind=fire, labels=["z"]),
        _spec(board, columns["Triage"], "six", kind=fire),
    ]


def _seed(session: Session, board: Board, columns: dict[str, int]) -> list[int]:
    """Two cards on top of Triage already, and an archived one (it holds no place)."""
    made = []
    for title in ("old-1", "old-2", "old-archived"):
        card, _ = cards.new_card(
            session, board=board, actor=ACTOR, title=title, column_id=columns["Triage"], top=True
        )
        made.append(pk(card))
    archived = session.get(Card, made[-1])
    assert archived is not None
    cards.change_card(session, card=archived, fields={"archived": True}, actor=ACTOR)
    session.commit()
    return made


def _normal(data: dict[str, Any], names: dict[int, str], titles: dict[int, str]) -> Any:
    """An event's data with board-specific ids replaced by column names and card titles."""
    card = dict(data["card"])
    card["id"] = titles[card["id"]]
    card.pop("rank")  # compared as the cards' order
    card["board_id"] = None
    card["column_id"] = names[card["column_id"]]
    card["links"] = [
        {**link, "target_card_id": titles[link["target_card_id"]]} for link in card["links"]
    ]
    column = data["to_column_id"]
    return {**data, "card": card, "to_column_id": names.get(column, column)}


def test_open_cards_makes_what_new_card_makes_one_by_one(
    db: Database, manual: clock.ManualClock
) -> None:
    results: dict[str, Any] = {}
    for way in ("bulk", "one-by-one"):
        with db.session() as session:
            board, columns = _board(session, way)
            seeded = _seed(session, board, columns)
            manual.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))  # the same moment both ways
            specs = _specs(board, columns, seeded)
            if way == "bulk":
                opened = open_cards(session, specs, top=True, overflow=True)
                ids = [card.id for card in opened]
            else:
                ids = [pk(card) for card in _one_by_one(session, board, specs)]
            emitted = [event for event in events.pending(session) if event.card_id in ids]
            session.commit()
            names = {column_id: name for name, column_id in columns.items()}
            rows = {pk(row): row for row in session.exec(select(Card).where(col(Card.id).in_(ids)))}
            titles = {card_id: row.title for card_id, row in rows.items()}
            titles.update({card_id: f"seed-{n}" for n, card_id in enumerate(seeded)})
            # Keys of cards on top of a column without a hard WIP limit are this process's
            # own (rank.TopKeys), so the keys differ; the order they give may not.
            placed = session.exec(
                select(Card.column_id, Card.id)
                .where(Card.board_id == board.id, col(Card.archived_at).is_(None))
                .order_by(col(Card.column_id), col(Card.rank))
            ).all()
            results[way] = {
                "order": [(names[column_id], titles[card_id]) for column_id, card_id in placed],
                "cards": [
                    {
                        **CardPublic.model_validate(rows[card_id]).model_dump(
                            mode="json", exclude={"id", "board_id", "column_id", "links", "rank"}
                        ),
                        "column": names[rows[card_id].column_id],
                        "links": [titles[link.target_card_id] for link in rows[card_id].links],
                    }
                    for card_id in ids
                ],
                "events": [
                    (
                        event.type,
                        event.actor,
                        titles[event.card_id],
                        _normal(event.data, names, titles),
                    )
                    for event in emitted
                ],
                "stored": [
                    (row.type, row.actor, titles[row.card_id], row.changes, row.data)
                    for row in session.exec(
                        select(CardEvent)
                        .where(col(CardEvent.card_id).in_(ids))
                        .order_by(col(CardEvent.id))
                    )
                ],
            }
    bulk, reference = results["bulk"], results["one-by-one"]
    assert [card["column"] for card in bulk["cards"]] == [
        "Triage",  # 2 seeded + this one: Triage is full (3)
        "Blocked",  # the next open column with room
        "Doing",  # Blocked is full too; a soft limit never refuses
        "Doing",  # no column given: the first one, full, so the same way down
        "Doing",
        "Doing",
    ]
    assert bulk["order"] == reference["order"]
    assert bulk["cards"] == reference["cards"]
    assert bulk["events"] == reference["events"]
    assert bulk["stored"] == reference["stored"]
    assert [event[0] for event in bulk["events"]] == ["card.created"] * 6


def test_new_cards_go_on_top_newest_first(db: Database) -> None:
    with db.session() as session:
        board, columns = _board(session, "ranks")
        _seed(session, board, columns)
        doing = columns["Doing"]
        top, _ = cards.new_card(
            session, board=board, actor=ACTOR, title="top", column_id=doing, top=True
        )
        session.commit()
        specs = [_spec(board, doing, f"c{n}") for n in range(5)]
        opened = open_cards(session, specs, top=True)
        session.commit()
        bulk_ranks = [card.values["rank"] for card in opened]
        for key in bulk_ranks:
            validate_order_key(key)
        assert bulk_ranks == sorted(bulk_ranks, reverse=True)  # the newest is on top
        assert max(bulk_ranks) < top.rank  # above what was there
        # A person's card on top after them goes above them, as new_card places it.
        person, _ = cards.new_card(
            session, board=board, actor=ACTOR, title="person", column_id=doing, top=True
        )
        session.commit()
        assert person.rank < min(bulk_ranks)
        made = open_cards(session, [_spec(board, columns["Done"], f"d{n}") for n in range(3)])
        session.commit()
    assert [card.values["rank"] for card in made] == sorted(card.values["rank"] for card in made)
    assert all(card.values["done_at"] is not None for card in made)  # a done column


def test_top_keys_never_repeat_in_a_process_nor_match_another_processs() -> None:
    """Two store threads of one process see the same top (neither sees the other's rows
    before they commit); another process, or a person, too."""
    ours, theirs = rank.TopKeys(), rank.TopKeys()
    top = "a0"
    first = ours.issue(1, top, 3)
    second = ours.issue(1, top, 3)  # the first three not committed yet: same top seen
    other = theirs.issue(1, top, 3)
    person = rank.between(None, top)
    given = first + second + other + [person]
    assert len(set(given)) == len(given)
    assert all(key < top for key in given)
    assert second[-1] < second[0] < first[-1] < first[0]  # each newer one above
    for key in given:
        validate_order_key(key)
    # From any top, however its keys ended: still below it and valid.
    for edge in ["a0", "a0V", first[-1], other[-1], "Zz", None]:
        (key,) = rank.TopKeys().issue(2, edge, 1)
        validate_order_key(key)
        assert edge is None or key < edge


def test_two_transactions_place_cards_on_top_of_a_column_at_once(db: Database) -> None:
    """No lock on a column without a hard WIP limit: on PostgreSQL the second transaction
    places its cards while the first is open, and both commit (SQLite lets one writer in
    at a time: there they follow each other)."""
    with db.session() as session:
        board, columns = _board(session, "at-once")
        session.commit()
    doing = columns["Doing"]
    first, second = db.write(), db.write()
    try:
        one = open_cards(first, [_spec(board, doing, "one")], top=True)
        if db.dialect == "sqlite":
            first.commit()
        two = open_cards(second, [_spec(board, doing, "two")], top=True)
        second.commit()
        first.commit()
    finally:
        first.close()
        second.close()
    assert one[0].values["rank"] != two[0].values["rank"]
    with db.session() as session:
        order = session.exec(
            select(Card.title).where(Card.column_id == doing).order_by(col(Card.rank))
        ).all()
    assert order == ["two", "one"]


def test_a_full_board_refuses_and_nothing_is_written(db: Database) -> None:
    with db.session() as session:
        board, columns = _board(session, "full")
        _seed(session, board, columns)  # Triage holds 2 of 3
        before = len(session.exec(select(Card.id)).all())
        specs = [_spec(board, columns["Triage"], f"c{n}") for n in range(2)]
        with pytest.raises(WipLimitReached) as refused:
            open_cards(session, specs)  # no overflow: the second one does not fit
        assert refused.value.extra["column_id"] == columns["Triage"]
        assert "holds 3 card(s)" in refused.value.detail
        filled = open_cards(session, [_spec(board, columns["Blocked"], "b")])
        assert [card.column_id for card in filled] == [columns["Blocked"]]
        session.commit()
    with db.session() as session:
        # Everything open is full except Doing (soft): take Doing's soft limit away too.
        doing = session.get(BoardColumn, columns["Doing"])
        assert doing is not None
        doing.wip_mode = WipMode.hard
        doing.wip_limit = 1
        session.add(doing)
        session.commit()
        many = [_spec(board, columns["Triage"], f"m{n}") for n in range(3)]
        with pytest.raises(WipLimitReached) as refused:
            open_cards(session, many, top=True, overflow=True)
        # As new_card's callers saw it: the refusal of the card's own column.
        assert refused.value.extra["column_id"] == columns["Triage"]
        assert len(session.exec(select(Card.id)).all()) == before + 1
        assert not [event for event in events.pending(session) if event.type == "card.created"]


def test_card_json_is_card_public_for_every_kind_of_card(
    db: Database, member: TestClient, manual: clock.ManualClock
) -> None:
    with db.session() as session:
        board_id = pk(create_board(session, data=BoardCreate(name="x", slug="x")))
    plain = new_card(member, {"id": board_id}, "plain")
    rich = new_card(
        member,
        {"id": board_id},
        "rich",
        description="body",
        kind="maintenance",
        priority="high",
        labels=["b", "a"],
        assignee="mia",
        due_at="2026-12-01T10:00:00+01:00",
        time_spent_minutes=15,
        checklist=["first", "second"],
    )
    item = member.get(f"/api/v1/cards/{rich['id']}").json()["checklist"][0]
    ticked = member.patch(
        f"/api/v1/cards/{rich['id']}/checklist/{item['id']}",
        json={"version": rich["version"], "done": True},
    )
    assert ticked.status_code == 200, ticked.text
    archived = member.patch(
        f"/api/v1/cards/{plain['id']}", json={"version": plain["version"], "archived": True}
    )
    assert archived.status_code == 200, archived.text
    with db.session() as session:
        done_column = session.exec(
            select(BoardColumn.id)
            .where(BoardColumn.board_id == board_id)
            .order_by(col(BoardColumn.position).desc())
        ).first()
        rich_card = session.get(Card, rich["id"])
        assert rich_card is not None and done_column is not None
        cards.place_card(session, card=rich_card, column_id=done_column, actor=ACTOR)
        plain_card = session.get(Card, plain["id"])
        assert plain_card is not None
        cards.link_cards(session, card=rich_card, target=plain_card, kind="follows_up")
        session.commit()
    with db.session() as session:
        loaded = session.exec(select(Card).where(Card.board_id == board_id)).all()
        assert len(loaded) == 2
        for card in loaded:
            assert card_snapshot(card) == CardPublic.model_validate(card).model_dump(mode="json")
        statuses = {card.title: card_snapshot(card)["status"] for card in loaded}
        assert statuses == {"plain": "archived", "rich": "done"}
        # And a card just made, before anything is read back.
        board = session.get(Board, board_id)
        assert board is not None
        fresh, _ = cards.new_card(session, board=board, actor=ACTOR, title="fresh")
        assert card_snapshot(fresh) == CardPublic.model_validate(fresh).model_dump(mode="json")
        session.rollback()


def test_an_opened_cards_snapshot_is_card_public(db: Database) -> None:
    with db.session() as session:
        board, columns = _board(session, "shape")
        seeded = _seed(session, board, columns)
        spec = CardSpec(
            board_id=pk(board),
            actor=ACTOR,
            title="Disk full",
            description="on web-3",
            column_id=columns["Blocked"],
            kind=CardKind.fire,
            priority=Priority.high,
            labels=["alert", "disk"],
            links=[(seeded[0], "recurrence_of")],
        )
        (opened,) = open_cards(session, [spec], top=True)
        created = [event for event in events.pending(session) if event.card_id == opened.id]
        session.commit()
    with db.session() as session:
        card = session.get(Card, opened.id)
        assert card is not None
        public = CardPublic.model_validate(card).model_dump(mode="json")
        assert isinstance(opened, OpenedCard)
        assert opened.snapshot() == public
        # The card.created event was taken before the link was made, as new_card's is.
        assert created[0].data["card"] == {**public, "links": []}
