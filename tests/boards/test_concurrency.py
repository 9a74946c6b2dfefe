"""Concurrent writers on real transactions: nothing lost, nothing duplicated, one winner."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from app.boards import cards
from app.boards.exceptions import VersionConflict
from app.boards.models import Card
from app.boards.schemas import CardMove, CardUpdate
from app.core.db import Database
from tests.boards.conftest import column_titles, new_card

WRITERS = 8


def _together(work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in WRITERS threads released at the same moment; return results/errors."""
    barrier = threading.Barrier(WRITERS)
    results: list[Any] = [None] * WRITERS

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_concurrent_moves_into_one_slot_all_land(
    db: Database, member: TestClient, board: dict[str, Any]
) -> None:
    todo, done = board["columns"]["Todo"], board["columns"]["Done"]
    first = new_card(member, board, "A")
    new_card(member, board, "B")
    movers = [new_card(member, board, f"m{i}", column_id=done) for i in range(WRITERS)]

    def move(index: int) -> Card:
        with db.session() as session:
            card = cards.get_card(session, movers[index]["id"])
            data = CardMove(version=card.version, column_id=todo, after_card_id=first["id"])
            moved, _ = cards.move_card(session, card=card, data=data, actor="system:test")
            return moved

    results = _together(move)
    assert all(isinstance(r, Card) for r in results), results
    titles = column_titles(member, todo)
    assert titles[0] == "A" and titles[-1] == "B"
    assert sorted(titles[1:-1]) == sorted(f"m{i}" for i in range(WRITERS))
    with db.session(readonly=True) as session:
        ranks = session.exec(select(Card.rank).where(Card.column_id == todo)).all()
    assert len(set(ranks)) == len(ranks) == WRITERS + 2


def test_concurrent_edits_of_one_card_have_one_winner(
    db: Database, member: TestClient, board: dict[str, Any]
) -> None:
    card_id = new_card(member, board, "contended")["id"]

    def edit(index: int) -> Card:
        with db.session() as session:
            card = cards.get_card(session, card_id)
            data = CardUpdate(version=1, title=f"writer {index}")
            updated, _ = cards.update_card(session, card=card, data=data, actor="system:test")
            return updated

    results = _together(edit)
    winners = [r for r in results if isinstance(r, Card)]
    losers = [r for r in results if isinstance(r, VersionConflict)]
    assert len(winners) == 1 and len(losers) == WRITERS - 1, results
    final = member.get(f"/api/v1/cards/{card_id}").json()
    assert final["title"] == winners[0].title and final["version"] == 2
    events = member.get(f"/api/v1/cards/{card_id}/events").json()["items"]
    assert [e["type"] for e in events] == ["card.created", "card.updated"]
